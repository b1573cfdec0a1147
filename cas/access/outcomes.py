"""CosemAccessResult elements for each way an access can end.

A meter that answered gives an XDLMSResult (even when the answer is a data-access-result
error: the meter spoke, the client reads its verdict); a refused association gives an
ACSEResult carrying the meter's AARE; anything the gateway could not do gives an errorResult
with an IEC 61968-9 code (see cas.messages.codes for the CAS's own codes).
"""

from __future__ import annotations

from datetime import UTC, datetime

from xsdata.models.datatype import XmlDateTime

from cas.cosem import CosemError, decode_apdu
from cas.dlms import (
    AssociationRefused,
    AuthenticationFailed,
    ConnectionClosed,
    DlmsError,
    FrameError,
    MeterBusy,
    MeterTimeout,
    MeterUnreachable,
    ProtocolError,
    SecurityError,
)
from cas.messages import ErrorCode
from generated import cosem as cos
from generated import device_access as dev

# How a DLMS failure reads to the client: the code, and whether trying again later may help.
_FAILURES: tuple[tuple[type[DlmsError], ErrorCode], ...] = (
    (MeterBusy, ErrorCode.TRANSACTION_NOT_ATTEMPTED),
    (MeterUnreachable, ErrorCode.DEVICE_UNREACHABLE),
    (MeterTimeout, ErrorCode.REQUEST_TIMED_OUT),
    (SecurityError, ErrorCode.DEVICE_SECURITY_FAILURE),
    (AuthenticationFailed, ErrorCode.DEVICE_SECURITY_FAILURE),
    (AssociationRefused, ErrorCode.DEVICE_SECURITY_FAILURE),
    (ConnectionClosed, ErrorCode.TRANSACTION_FAILED),
    (FrameError, ErrorCode.TRANSACTION_FAILED),
    (ProtocolError, ErrorCode.TRANSACTION_FAILED),
)


def xml_moment(moment: datetime | None = None) -> XmlDateTime:
    moment = moment or datetime.now(UTC)
    return XmlDateTime.from_datetime(moment.replace(microsecond=moment.microsecond // 1000 * 1000))


def xdlms_result(
    device_id: str, response: object, activated: datetime
) -> dev.CosemAccessResultType:
    return dev.CosemAccessResultType(
        device_id=device_id,
        activated=xml_moment(activated),
        choice=dev.XdlmsresultType(choice=response),
    )


def error_result(
    device_id: str, code: ErrorCode, reason: str, activated: datetime | None = None
) -> dev.CosemAccessResultType:
    return dev.CosemAccessResultType(
        device_id=device_id,
        activated=xml_moment(activated),
        choice=dev.ErrorResultType(code=code.code, reason=reason),
    )


def failure_code(error: DlmsError) -> ErrorCode:
    for kind, code in _FAILURES:
        if isinstance(error, kind):
            return code
    return ErrorCode.TRANSACTION_FAILED


def failure_result(
    device_id: str, error: DlmsError, activated: datetime
) -> dev.CosemAccessResultType:
    """The result of an access the session could not complete.

    A refusal that came with an AARE is reported as an ACSEResult carrying it (decoded
    exactly by the codec); otherwise, or if the AARE cannot be decoded, an errorResult."""
    aare_bytes = getattr(error, "aare", None)
    if aare_bytes:
        try:
            aare = decode_apdu(bytes(aare_bytes))
        except CosemError:
            aare = None
        if isinstance(aare, cos.Aare):
            return dev.CosemAccessResultType(
                device_id=device_id,
                activated=xml_moment(activated),
                choice=dev.AcseresultType(aare_or_rlre=aare),
            )
    return error_result(device_id, failure_code(error), str(error), activated)


def is_success(result: dev.CosemAccessResultType) -> bool:
    return isinstance(result.choice, dev.XdlmsresultType)
