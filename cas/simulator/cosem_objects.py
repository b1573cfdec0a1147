"""The COSEM objects of a simulated meter: gurux object classes with live values.

Dynamic attributes are computed at read time from the meter's state and ``readings`` and
returned to gurux as exact A-XDR bytes (``e.byteArray``). Static attributes (logical names,
capture periods, ...) go through gurux's own encoders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
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

# Row source of a profile: (meter time, start, end) -> rows (time, value) oldest first.
RowSource = Callable[[datetime, datetime | None, datetime | None], list[tuple[datetime, int]]]


class _Raw:
    """Mixin: return ``encoded`` bytes for some attributes, gurux's value for the rest."""

    def _raw(self, e: Any, encoded: bytes) -> bytes:
        e.byteArray = True
        return encoded


class SimClock(_Raw, GXDLMSClock):
    """Clock 0.0.1.0.0.255: the meter's time in UTC (deviation 0); SET attribute 2 moves it."""

    def __init__(self, state: MeterState) -> None:
        super().__init__(CLOCK)
        self.state = state
        self.timeZone = 0
        self.clockBase = 1  # crystal

    def getValue(self, settings: Any, e: Any) -> Any:
        if e.index == 2:
            return self._raw(e, axdr.datetime_value(self.state.now()))
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
        self.state.set_time(moment)


class SimData(_Raw, GXDLMSData):
    """A Data object whose attribute 2 is computed by ``encode(settings)``."""

    def __init__(self, ln: str, encode: Callable[[Any], bytes]) -> None:
        super().__init__(ln)
        self.encode = encode

    def getValue(self, settings: Any, e: Any) -> Any:
        if e.index == 2:
            return self._raw(e, self.encode(settings))
        return super().getValue(settings, e)


class SimRegister(_Raw, GXDLMSRegister):
    """A Register with a computed value and an exactly encoded scaler_unit."""

    def __init__(self, ln: str, scaler: int, unit: int, encode: Callable[[], bytes]) -> None:
        super().__init__(ln)
        self.scaler_exponent = scaler
        self.unit = unit
        self.encode = encode

    def getValue(self, settings: Any, e: Any) -> Any:
        if e.index == 2:
            return self._raw(e, self.encode())
        if e.index == 3:
            return self._raw(
                e, axdr.structure((axdr.integer(self.scaler_exponent), axdr.enum(self.unit)))
            )
        return super().getValue(settings, e)


class SimDisconnectControl(_Raw, GXDLMSDisconnectControl):
    """Disconnect control: methods 1 (remote_disconnect) and 2 (remote_reconnect)."""

    def __init__(self, state: MeterState) -> None:
        super().__init__(DISCONNECT_CONTROL)
        self.state = state
        self.controlMode = ControlMode.MODE_1

    def getValue(self, settings: Any, e: Any) -> Any:
        if e.index == 2:
            return self._raw(e, axdr.boolean(self.state.output_state))
        if e.index == 3:
            return self._raw(e, axdr.enum(self.state.control_state))
        return super().getValue(settings, e)

    def invoke(self, settings: Any, e: Any) -> None:
        if e.index == 1:
            self.state.remote_disconnect()
        elif e.index == 2:
            self.state.remote_reconnect()
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
        state: MeterState,
        clock: GXDLMSObject,
        value_object: GXDLMSObject,
        rows: RowSource,
        encode_value: Callable[[int], bytes],
        capture_period: int,
        profile_entries: int,
    ) -> None:
        super().__init__(ln)
        self.state = state
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
            return len(self.rows(self.state.now(), None, None))
        return super().getValue(settings, e)

    def getDataType(self, index: int) -> Any:
        if index in (7, 8):
            return DataType.UINT32
        return super().getDataType(index)

    def _buffer(self, e: Any) -> bytes:
        now = self.state.now()
        columns = [0, 1]
        try:
            if e.selector == 0:
                rows = self.rows(now, None, None)
            elif e.selector == 1:
                rows, columns = self._by_range(now, e.parameters)
            elif e.selector == 2:
                rows, columns = self._by_entry(now, e.parameters)
            else:
                e.error = ErrorCode.ACCESS_VIOLATED
                return b""
        except _SelectionError as error:
            e.error = error.code
            return b""
        encoders = (axdr.datetime_value, self.encode_value)
        parts = [axdr.structure(encoders[c](row[c]) for c in columns) for row in rows]
        return bytes((axdr.ARRAY,)) + axdr.length(len(parts)) + b"".join(parts)

    def _by_range(self, now: datetime, parameters: Any) -> tuple[list, list[int]]:
        if not isinstance(parameters, list) or len(parameters) != 4:
            raise _SelectionError(ErrorCode.UNMATCHED_TYPE)
        restricting, start, end, selected = parameters
        if not _is_column(restricting, ObjectType.CLOCK, CLOCK, 2):
            raise _SelectionError(ErrorCode.ACCESS_VIOLATED)
        try:
            low, high = _as_time(start), _as_time(end)
        except (TypeError, ValueError):
            raise _SelectionError(ErrorCode.UNMATCHED_TYPE) from None
        return self.rows(now, low, high), self._columns(selected)

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

    def _by_entry(self, now: datetime, parameters: Any) -> tuple[list, list[int]]:
        if not isinstance(parameters, list) or len(parameters) != 4:
            raise _SelectionError(ErrorCode.UNMATCHED_TYPE)
        first, last, first_column, last_column = (int(p) for p in parameters)
        rows = self.rows(now, None, None)
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


def build_objects(state: MeterState) -> list[GXDLMSObject]:
    """The meter's objects, shared by all its connections (the association is per connection)."""
    title = state.system_title
    clock = SimClock(state)
    serial = SimData(SERIAL_NUMBER, lambda _s: axdr.visible_string(readings.serial_number(title)))
    energy_import = SimRegister(
        ENERGY_IMPORT,
        0,
        UNIT_WH,
        lambda: axdr.double_long_unsigned(readings.energy_import_wh(title, state.now())),
    )
    energy_export = SimRegister(
        ENERGY_EXPORT,
        0,
        UNIT_WH,
        lambda: axdr.double_long_unsigned(readings.energy_export_wh(title, state.now())),
    )
    voltage = SimRegister(
        VOLTAGE_L1,
        -1,
        UNIT_V,
        lambda: axdr.long_unsigned(readings.voltage_l1_decivolt(title, state.now())),
    )
    event_code = SimData(EVENT_CODE, lambda _s: axdr.long_unsigned(state.last_event_code()))
    load_profile = SimProfile(
        LOAD_PROFILE,
        state,
        clock,
        energy_import,
        lambda now, start, end: readings.load_profile_rows(title, now, start, end),
        axdr.double_long_unsigned,
        900,
        readings.PROFILE_ROWS,
    )
    event_log = SimProfile(
        EVENT_LOG,
        state,
        clock,
        event_code,
        state.event_log,
        axdr.long_unsigned,
        0,
        readings.EVENT_LOG_DAYS * 2,
    )
    push = GXDLMSPushSetup(PUSH_SETUP)
    push.pushObjectList = [(clock, GXDLMSCaptureObject(2, 0))]
    push.destination = "127.0.0.1:4059"
    invocation_counter = SimData(
        INVOCATION_COUNTER,
        lambda settings: axdr.double_long_unsigned(settings.cipher.invocationCounter & 0xFFFFFFFF),
    )
    return [
        clock,
        serial,
        energy_import,
        energy_export,
        voltage,
        load_profile,
        event_log,
        event_code,
        SimDisconnectControl(state),
        push,
        invocation_counter,
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
