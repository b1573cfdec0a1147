"""The COSEM objects of a simulated meter: gurux object classes with live values.

Dynamic attributes are computed at read time from the meter's state and ``readings`` and
returned to gurux as exact A-XDR bytes (``e.byteArray``). Static attributes (logical names,
capture periods, ...) go through gurux's own encoders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from gurux_dlms import GXDateTime
from gurux_dlms.enums import DataType, ErrorCode, ObjectType
from gurux_dlms.objects import (
    GXDLMSAssociationLogicalName,
    GXDLMSCaptureObject,
    GXDLMSClock,
    GXDLMSData,
    GXDLMSDisconnectControl,
    GXDLMSObject,
    GXDLMSProfileGeneric,
    GXDLMSPushSetup,
    GXDLMSRegister,
)
from gurux_dlms.objects.enums import ControlMode

from cas.simulator import axdr, readings
from cas.simulator.state import MeterState

CLOCK = "0.0.1.0.0.255"
SERIAL_NUMBER = "0.0.96.1.0.255"
ENERGY_IMPORT = "1.0.1.8.0.255"
ENERGY_EXPORT = "1.0.2.8.0.255"
VOLTAGE_L1 = "1.0.32.7.0.255"
LOAD_PROFILE = "1.0.99.1.0.255"
EVENT_LOG = "0.0.99.98.0.255"
EVENT_CODE = "0.0.96.11.0.255"  # captured by the event log
DISCONNECT_CONTROL = "0.0.96.3.10.255"
PUSH_SETUP = "0.0.25.9.0.255"
INVOCATION_COUNTER = "0.0.43.1.0.255"
ASSOCIATION = "0.0.40.0.0.255"

UNIT_WH = 30
UNIT_V = 35

# Row source of a profile: (meter state, start, end) -> rows (time, value) oldest first, as
# the meter holds them at its own clock.
RowSource = Callable[[MeterState, datetime | None, datetime | None], list[tuple[datetime, int]]]


class StateRef:
    """The meter whose state a set of objects shows; rebound when a pooled server changes
    meters (one set of gurux objects serves every meter, one connection at a time)."""

    __slots__ = ("state",)

    def __init__(self, state: MeterState | None = None) -> None:
        self.state = state


class _Raw:
    """Mixin: return ``encoded`` bytes for some attributes, gurux's value for the rest."""

    def _raw(self, e: Any, encoded: bytes) -> bytes:
        e.byteArray = True
        return encoded


class SimClock(_Raw, GXDLMSClock):
    """Clock 0.0.1.0.0.255: the meter's time in UTC (deviation 0); SET attribute 2 moves it."""

    def __init__(self, ref: StateRef) -> None:
        super().__init__(CLOCK)
        self.ref = ref
        self.timeZone = 0
        self.clockBase = 1  # crystal

    def getValue(self, settings: Any, e: Any) -> Any:
        if e.index == 2:
            return self._raw(e, axdr.datetime_value(self.ref.state.now()))
        return super().getValue(settings, e)

    def setValue(self, settings: Any, e: Any) -> None:
        if e.index != 2:
            e.error = ErrorCode.READ_WRITE_DENIED
            return
        value = e.value
        try:
            if isinstance(value, GXDateTime):
                moment = value.value
                if moment.tzinfo is None:
                    raise ValueError("date-time without deviation")
            else:
                moment = axdr.parse_cosem_datetime(bytes(value))
        except (TypeError, ValueError):
            e.error = ErrorCode.UNMATCHED_TYPE
            return
        self.ref.state.set_time(moment)


class SimData(_Raw, GXDLMSData):
    """A Data object whose attribute 2 is computed by ``encode(settings, state)``."""

    def __init__(self, ln: str, ref: StateRef, encode: Callable[[Any, MeterState], bytes]) -> None:
        super().__init__(ln)
        self.ref = ref
        self.encode = encode

    def getValue(self, settings: Any, e: Any) -> Any:
        if e.index == 2:
            return self._raw(e, self.encode(settings, self.ref.state))
        return super().getValue(settings, e)


class SimRegister(_Raw, GXDLMSRegister):
    """A Register with a value computed by ``encode(state)`` and an exactly encoded
    scaler_unit (static: encoded once)."""

    def __init__(
        self, ln: str, ref: StateRef, scaler: int, unit: int, encode: Callable[[MeterState], bytes]
    ) -> None:
        super().__init__(ln)
        self.ref = ref
        self.scaler_exponent = scaler
        self.unit = unit
        self.encode = encode
        self._scaler_unit = axdr.structure((axdr.integer(scaler), axdr.enum(unit)))

    def getValue(self, settings: Any, e: Any) -> Any:
        if e.index == 2:
            return self._raw(e, self.encode(self.ref.state))
        if e.index == 3:
            return self._raw(e, self._scaler_unit)
        return super().getValue(settings, e)


class SimDisconnectControl(_Raw, GXDLMSDisconnectControl):
    """Disconnect control: methods 1 (remote_disconnect) and 2 (remote_reconnect)."""

    def __init__(self, ref: StateRef) -> None:
        super().__init__(DISCONNECT_CONTROL)
        self.ref = ref
        self.controlMode = ControlMode.MODE_1

    def getValue(self, settings: Any, e: Any) -> Any:
        if e.index == 2:
            return self._raw(e, axdr.boolean(self.ref.state.output_state))
        if e.index == 3:
            return self._raw(e, axdr.enum(self.ref.state.control_state))
        return super().getValue(settings, e)

    def invoke(self, settings: Any, e: Any) -> None:
        if e.index == 1:
            self.ref.state.remote_disconnect()
        elif e.index == 2:
            self.ref.state.remote_reconnect()
        else:
            e.error = ErrorCode.READ_WRITE_DENIED


class SimProfile(_Raw, GXDLMSProfileGeneric):
    """Profile generic whose buffer (attribute 2) is computed per request.

    Rows are ``(time, value)``: column 1 the clock (octet-string date-time), column 2
    ``encode_value(value)``. Selective access: by range (selector 1, restricting object the
    clock attribute 2, optional column selection) and by entry (selector 2).
    """

    def __init__(
        self,
        ln: str,
        ref: StateRef,
        clock: GXDLMSObject,
        value_object: GXDLMSObject,
        rows: RowSource,
        encode_value: Callable[[int], bytes],
        capture_period: int,
        profile_entries: int,
    ) -> None:
        super().__init__(ln)
        self.ref = ref
        self.rows = rows
        self.encode_value = encode_value
        self.captureObjects = [
            (clock, GXDLMSCaptureObject(2, 0)),
            (value_object, GXDLMSCaptureObject(2, 0)),
        ]
        self.capturePeriod = capture_period
        self.profileEntries = profile_entries
        self.sortObject = None

    def getValue(self, settings: Any, e: Any) -> Any:
        if e.index == 2:
            return self._raw(e, self._buffer(e))
        if e.index == 7:
            return len(self.rows(self.ref.state, None, None))
        return super().getValue(settings, e)

    def getDataType(self, index: int) -> Any:
        if index in (7, 8):
            return DataType.UINT32
        return super().getDataType(index)

    def _buffer(self, e: Any) -> bytes:
        state = self.ref.state
        columns = [0, 1]
        try:
            if e.selector == 0:
                rows = self.rows(state, None, None)
            elif e.selector == 1:
                rows, columns = self._by_range(state, e.parameters)
            elif e.selector == 2:
                rows, columns = self._by_entry(state, e.parameters)
            else:
                e.error = ErrorCode.ACCESS_VIOLATED
                return b""
        except _SelectionError as error:
            e.error = error.code
            return b""
        encoders = (axdr.datetime_value, self.encode_value)
        parts = [axdr.structure(encoders[c](row[c]) for c in columns) for row in rows]
        return bytes((axdr.ARRAY,)) + axdr.length(len(parts)) + b"".join(parts)

    def _by_range(self, state: MeterState, parameters: Any) -> tuple[list, list[int]]:
        if not isinstance(parameters, list) or len(parameters) != 4:
            raise _SelectionError(ErrorCode.UNMATCHED_TYPE)
        restricting, start, end, selected = parameters
        if not _is_column(restricting, ObjectType.CLOCK, CLOCK, 2):
            raise _SelectionError(ErrorCode.ACCESS_VIOLATED)
        try:
            low, high = _as_time(start), _as_time(end)
        except (TypeError, ValueError):
            raise _SelectionError(ErrorCode.UNMATCHED_TYPE) from None
        return self.rows(state, low, high), self._columns(selected)

    def _columns(self, selected: Any) -> list[int]:
        if not selected:
            return [0, 1]
        columns = []
        for definition in selected:
            for number, (obj, capture) in enumerate(self.captureObjects):
                if _is_column(definition, obj.objectType, obj.logicalName, capture.attributeIndex):
                    columns.append(number)
                    break
            else:
                raise _SelectionError(ErrorCode.ACCESS_VIOLATED)
        return columns

    def _by_entry(self, state: MeterState, parameters: Any) -> tuple[list, list[int]]:
        if not isinstance(parameters, list) or len(parameters) != 4:
            raise _SelectionError(ErrorCode.UNMATCHED_TYPE)
        first, last, first_column, last_column = (int(p) for p in parameters)
        rows = self.rows(state, None, None)
        last = len(rows) if last == 0 else min(last, len(rows))
        last_column = len(self.captureObjects) if last_column == 0 else last_column
        if (
            first < 1
            or first_column < 1
            or last_column > len(self.captureObjects)
            or (first_column > last_column)
        ):
            raise _SelectionError(ErrorCode.ACCESS_VIOLATED)
        return rows[first - 1 : last], list(range(first_column - 1, last_column))


class _SelectionError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _is_column(definition: Any, class_id: int, ln: str, attribute: int) -> bool:
    if not isinstance(definition, list) or len(definition) < 3:
        return False
    ci, raw_ln, index = definition[0], definition[1], definition[2]
    try:
        name = ".".join(str(b) for b in bytes(raw_ln))
    except TypeError:
        return False
    return int(ci) == int(class_id) and name == ln and int(index) == attribute


def _as_time(value: Any) -> datetime:
    if isinstance(value, GXDateTime):
        moment = value.value
        if moment.tzinfo is None:
            raise ValueError("date-time without deviation")
        return moment
    return axdr.parse_cosem_datetime(bytes(value))


@lru_cache(maxsize=65536)
def _serial_value(title: str) -> bytes:
    return axdr.visible_string(readings.serial_number(title))


def _serial(_settings: Any, state: MeterState) -> bytes:
    return _serial_value(state.system_title)


def _energy_import(state: MeterState) -> bytes:
    return axdr.double_long_unsigned(readings.energy_import_wh(state.system_title, state.now()))


def _energy_export(state: MeterState) -> bytes:
    return axdr.double_long_unsigned(readings.energy_export_wh(state.system_title, state.now()))


def _voltage(state: MeterState) -> bytes:
    return axdr.long_unsigned(readings.voltage_l1_decivolt(state.system_title, state.now()))


def _event_code(_settings: Any, state: MeterState) -> bytes:
    return axdr.long_unsigned(state.last_event_code())


def _invocation_counter(settings: Any, _state: MeterState) -> bytes:
    return axdr.double_long_unsigned(settings.cipher.invocationCounter & 0xFFFFFFFF)


def _load_profile_rows(
    state: MeterState, start: datetime | None, end: datetime | None
) -> list[tuple[datetime, int]]:
    return readings.load_profile_rows(state.system_title, state.now(), start, end)


def _event_rows(
    state: MeterState, start: datetime | None, end: datetime | None
) -> list[tuple[datetime, int]]:
    return state.event_log(state.now(), start, end)


def build_objects(source: MeterState | StateRef) -> list[GXDLMSObject]:
    """The meter objects, showing ``source`` (a meter's state, or a reference that a pooled
    server rebinds to each meter it serves). The association object is built apart."""
    ref = source if isinstance(source, StateRef) else StateRef(source)
    clock = SimClock(ref)
    energy_import = SimRegister(ENERGY_IMPORT, ref, 0, UNIT_WH, _energy_import)
    event_code = SimData(EVENT_CODE, ref, _event_code)
    push = GXDLMSPushSetup(PUSH_SETUP)
    push.pushObjectList = [(clock, GXDLMSCaptureObject(2, 0))]
    push.destination = "127.0.0.1:4059"
    return [
        clock,
        SimData(SERIAL_NUMBER, ref, _serial),
        energy_import,
        SimRegister(ENERGY_EXPORT, ref, 0, UNIT_WH, _energy_export),
        SimRegister(VOLTAGE_L1, ref, -1, UNIT_V, _voltage),
        SimProfile(
            LOAD_PROFILE,
            ref,
            clock,
            energy_import,
            _load_profile_rows,
            axdr.double_long_unsigned,
            900,
            readings.PROFILE_ROWS,
        ),
        SimProfile(
            EVENT_LOG,
            ref,
            clock,
            event_code,
            _event_rows,
            axdr.long_unsigned,
            0,
            readings.EVENT_LOG_DAYS * 2,
        ),
        event_code,
        SimDisconnectControl(ref),
        push,
        SimData(INVOCATION_COUNTER, ref, _invocation_counter),
    ]


def build_association(
    objects: list[GXDLMSObject],
    client_address: int,
    server_address: int,
    mechanism: int,
    password: bytes | None,
) -> GXDLMSAssociationLogicalName:
    """The current association object (0.0.40.0.0.255) listing every object and itself."""
    association = GXDLMSAssociationLogicalName(ASSOCIATION)
    for obj in objects:
        association.objectList.append(obj)
    association.objectList.append(association)
    association.clientSAP = client_address
    association.serverSAP = server_address
    association.authenticationMechanismName.mechanismId = mechanism
    if password is not None:
        association.secret = bytearray(password)
    return association
