"""Run a DeviceAccess's accesses against one meter, in order, on one association.

Each access ends with its own CosemAccessResult(s); a failure of the association itself
ends every access of that meter with the same result. When the session breaks in the middle,
the accesses after the broken one are reported as not attempted: a SET or ACTION is never
repeated behind the client's back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cas.access import timesync
from cas.access.outcomes import error_result, failure_result, xdlms_result
from cas.cosem import (
    CosemDecodeError,
    CosemEncodeError,
    decode_apdu,
    encode_apdu,
    get_request,
    set_request,
)
from cas.dlms import (
    ConnectionClosed,
    DlmsError,
    MeterBusy,
    MeterTimeout,
    MeterUnreachable,
    Session,
    SessionPool,
)
from cas.messages import ErrorCode
from cas.registry import Registry, UnknownDevice
from generated import cosem as cos
from generated import device_access as dev

logger = logging.getLogger(__name__)

Results = list[dev.CosemAccessResultType]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


TRANSIENT_FAILURES = (MeterUnreachable, MeterTimeout, ConnectionClosed, MeterBusy)
"""Failures worth another try later: the meter may simply not be reachable right now."""


@dataclass
class DeviceRun:
    """The results of one meter's accesses, filled in as they complete (None: not run)."""

    results: list[Results | None]
    failure: DlmsError | None = None  # the association could not be made: nothing ran
    reused: set[int] = field(default_factory=set)  # answered from stored results (NotOlderThan)

    @classmethod
    def empty(cls, count: int) -> DeviceRun:
        return cls([None] * count)

    @property
    def transient(self) -> bool:
        """Nothing ran because the meter could not be reached (retry may help)."""
        return isinstance(self.failure, TRANSIENT_FAILURES)


@dataclass
class DeviceRunner:
    """Executes accesses on meters through the session pool."""

    registry: Registry
    pool: SessionPool
    clock: Clock = utc_now

    async def run(
        self,
        device_id: str,
        accesses: Sequence[dev.CosemAccessType],
        *,
        only: Collection[int] | None = None,
        into: DeviceRun | None = None,
        priority: int = 4,
        keep_session: bool = True,
    ) -> DeviceRun:
        """Run ``accesses`` (those at the indexes in ``only``, or all) on one association, in
        order. Results land in ``into`` (or a new DeviceRun) as each access completes, so a
        caller that cancels the run keeps what was done. ``keep_session=False``: no follow-up
        work for this meter is expected (the pool releases the association after use)."""
        run = into if into is not None else DeviceRun.empty(len(accesses))
        wanted = [i for i in range(len(accesses)) if only is None or i in only]
        started = self.clock()
        try:
            meter = self.registry.resolve(device_id)
        except UnknownDevice:
            reason = f"unknown device {device_id!r}"
            for i in wanted:
                run.results[i] = [error_result(device_id, ErrorCode.INVALID_METER, reason, started)]
            return run
        try:
            async with self.pool.session(meter, priority, keep=keep_session) as session:
                for i in wanted:
                    if not session.usable:
                        break
                    run.results[i] = await self._one(session, device_id, accesses[i])
        except DlmsError as error:  # the association could not be made
            logger.info("device %s: %s", device_id, error)
            if all(run.results[i] is None for i in wanted):
                run.failure = error
                failed = failure_result(device_id, error, started)
                for i in wanted:
                    run.results[i] = [failed]
                return run
        except ValueError as error:  # the registry entry cannot be used (e.g. missing keys)
            reason = f"device {device_id}: {error}"
            for i in wanted:
                run.results[i] = [
                    error_result(device_id, ErrorCode.TRANSACTION_NOT_ATTEMPTED, reason, started)
                ]
            return run
        for i in wanted:
            if run.results[i] is None:
                run.results[i] = [
                    error_result(
                        device_id,
                        ErrorCode.TRANSACTION_NOT_ATTEMPTED,
                        "not attempted: the association failed on an earlier access",
                        self.clock(),
                    )
                ]
        return run

    async def _one(self, session: Session, device_id: str, access: dev.CosemAccessType) -> Results:
        descriptor = (
            access.cosem_access_descriptor.choice if access.cosem_access_descriptor else None
        )
        if isinstance(descriptor, dev.CosemXdlmsdescriptorType):
            return [await self._xdlms(session, device_id, descriptor.choice)]
        if isinstance(descriptor, dev.CosemTimeSyncType):
            return await self._time_sync(session, device_id, descriptor)
        what = {
            dev.CosemUpgradeType: "CosemUpgrade (image transfer)",
            dev.CosemAcsedescriptorType: "CosemACSEDescriptor (a per-access association)",
        }.get(type(descriptor), "this access descriptor")
        return [error_result(device_id, ErrorCode.NOT_SUPPORTED, f"{what} is not supported yet")]

    async def _xdlms(
        self, session: Session, device_id: str, request: object
    ) -> dev.CosemAccessResultType:
        activated = self.clock()
        try:
            outcome = await self._exchange(session, request)
        except _AccessFailed as failed:
            return error_result(device_id, failed.code, failed.reason, activated)
        except DlmsError as error:
            return failure_result(device_id, error, activated)
        return xdlms_result(device_id, outcome, activated)

    async def _exchange(self, session: Session, request: object) -> object:
        """Encode, send, decode. Raises DlmsError or _AccessFailed."""
        try:
            apdu = encode_apdu(request)
        except CosemEncodeError as error:
            raise _AccessFailed(ErrorCode.SCHEMA_VALIDATION_FAILED, str(error)) from None
        try:
            answer = await session.request(apdu)
        except ValueError as error:  # the engine refused to send it (e.g. over the PDU size)
            raise _AccessFailed(ErrorCode.TRANSACTION_NOT_ATTEMPTED, str(error)) from None
        try:
            return decode_apdu(answer)
        except CosemDecodeError as error:
            raise _AccessFailed(
                ErrorCode.TRANSACTION_FAILED, f"the meter's answer cannot be decoded: {error}"
            ) from None

    async def _time_sync(
        self, session: Session, device_id: str, sync: dev.CosemTimeSyncType
    ) -> Results:
        target = sync.cosem_object
        read = get_request(target.class_id, bytes(target.instance_id), target.attribute_id)
        sent = self.clock()
        try:
            answer = await self._exchange(session, read)
        except _AccessFailed as failed:
            return [error_result(device_id, failed.code, failed.reason, sent)]
        except DlmsError as error:
            return [failure_result(device_id, error, sent)]
        received = self.clock()
        results = [xdlms_result(device_id, answer, sent)]
        raw = _clock_octets(answer)
        if raw is None:
            results.append(
                error_result(
                    device_id,
                    ErrorCode.TRANSACTION_FAILED,
                    "time sync: the meter did not return a date-time for the clock",
                    received,
                )
            )
            return results
        reading = timesync.ClockReading(raw, sent, received)
        try:
            drift = reading.drift()
        except ValueError as error:
            reason = f"time sync: {error}"
            return [*results, error_result(device_id, ErrorCode.TRANSACTION_FAILED, reason)]
        verdict = timesync.verdict(drift, sync.min_time_diff, sync.max_time_diff)
        if verdict is timesync.Verdict.REFUSE:
            reason = (
                f"time sync refused: the meter's clock is {drift:+.1f} s off,"
                f" more than max-time-diff {sync.max_time_diff} s"
            )
            results.append(
                error_result(device_id, ErrorCode.CANCELED_BY_BUSINESS_RULE, reason, received)
            )
        elif verdict is timesync.Verdict.SET:
            value = cos.OctetString(value=timesync.clock_octets(reading, self.clock()))
            write = set_request(
                target.class_id, bytes(target.instance_id), target.attribute_id, value
            )
            results.append(await self._xdlms(session, device_id, write))
        return results


def _clock_octets(response: object) -> bytes | None:
    """The 12 date-time octets of a get-response-normal, if that is what it carries."""
    if not isinstance(response, cos.GetResponse):
        return None
    normal = response.choice
    if not isinstance(normal, cos.GetResponseNormal):
        return None
    data = normal.result.data_or_data_access_result
    value = getattr(data, "choice", None)
    raw = getattr(value, "value", None)
    if isinstance(value, cos.OctetString | cos.DateTime) and isinstance(raw, bytes | bytearray):
        return bytes(raw) if len(raw) == 12 else None
    return None


class _AccessFailed(Exception):
    def __init__(self, code: ErrorCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
