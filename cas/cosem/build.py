"""Constructors for the requests the gateway sends most: GET/SET/ACTION for one attribute
or method by class id and OBIS code, GET with-list, and the two standard selective accesses
of a profile generic (by range and by entry)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from cas.cosem.dates import date_time_to_bytes
from cas.cosem.obis import obis_to_bytes
from generated import cosem as m

DEFAULT_INVOKE_ID_AND_PRIORITY = 0xC1
"""Invoke id 1, confirmed, high priority (what gurux and most clients send)."""

CLOCK_TIME = (8, "0.0.1.0.0.255", 2)


def _instance_id(obis: str | bytes) -> bytes:
    return obis if isinstance(obis, bytes) else obis_to_bytes(obis)


def attribute(class_id: int, obis: str | bytes, attribute_id: int) -> m.CosemAttributeDescriptor:
    return m.CosemAttributeDescriptor(
        class_id=class_id, instance_id=_instance_id(obis), attribute_id=attribute_id
    )


def range_access(
    start: datetime | bytes,
    end: datetime | bytes,
    *,
    restricting_object: tuple[int, str, int] = CLOCK_TIME,
    data_index: int = 0,
    columns: Iterable[tuple[int, str, int, int]] = (),
) -> m.SelectiveAccessDescriptor:
    """Selector 1 (range_descriptor) of a profile generic: rows whose restricting object
    (default: the clock's time) lies in [start, end]; ``columns`` as (class id, OBIS,
    attribute, data index), none = all. Datetimes become COSEM date-time octet strings."""
    class_id, obis, attribute_id = restricting_object
    return m.SelectiveAccessDescriptor(
        access_selector=1,
        access_parameters=m.DataValue(
            choice=m.Structure(
                choice=[
                    _capture_object(class_id, obis, attribute_id, data_index),
                    m.OctetString(value=_moment(start)),
                    m.OctetString(value=_moment(end)),
                    m.Array(choice=[_capture_object(*column) for column in columns]),
                ]
            )
        ),
    )


def entry_access(
    from_entry: int, to_entry: int = 0, from_value: int = 1, to_value: int = 0
) -> m.SelectiveAccessDescriptor:
    """Selector 2 (entry_descriptor): rows from_entry..to_entry (0 = the last), columns
    from_value..to_value (0 = the last)."""
    return m.SelectiveAccessDescriptor(
        access_selector=2,
        access_parameters=m.DataValue(
            choice=m.Structure(
                choice=[
                    m.DoubleLongUnsigned(value=from_entry),
                    m.DoubleLongUnsigned(value=to_entry),
                    m.LongUnsigned(value=from_value),
                    m.LongUnsigned(value=to_value),
                ]
            )
        ),
    )


def get_request(
    class_id: int,
    obis: str | bytes,
    attribute_id: int,
    *,
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY,
    access: m.SelectiveAccessDescriptor | None = None,
) -> m.GetRequest:
    """get-request-normal for one attribute, optionally with selective access."""
    return m.GetRequest(
        choice=m.GetRequestNormal(
            invoke_id_and_priority=invoke_id_and_priority,
            cosem_attribute_descriptor=attribute(class_id, obis, attribute_id),
            access_selection=access,
        )
    )


def get_request_with_list(
    attributes: Sequence[tuple[int, str | bytes, int]],
    *,
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY,
) -> m.GetRequest:
    """get-request-with-list for (class id, OBIS, attribute) triples, no selective access."""
    return m.GetRequest(
        choice=m.GetRequestWithList(
            invoke_id_and_priority=invoke_id_and_priority,
            attribute_descriptor_list=m.AttributeDescriptorList(
                cosem_attribute_descriptor_with_selection=[
                    m.CosemAttributeDescriptorWithSelection(
                        cosem_attribute_descriptor=attribute(*item)
                    )
                    for item in attributes
                ]
            ),
        )
    )


def set_request(
    class_id: int,
    obis: str | bytes,
    attribute_id: int,
    value: Any,
    *,
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY,
) -> m.SetRequest:
    """set-request-normal; ``value`` is a Data kind (e.g. ``m.LongUnsigned(value=5)``)."""
    return m.SetRequest(
        choice=m.SetRequestNormal(
            invoke_id_and_priority=invoke_id_and_priority,
            cosem_attribute_descriptor=attribute(class_id, obis, attribute_id),
            value=_data(value),
        )
    )


def action_request(
    class_id: int,
    obis: str | bytes,
    method_id: int,
    parameters: Any = None,
    *,
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY,
) -> m.ActionRequest:
    """action-request-normal; ``parameters`` a Data kind or None (no parameters)."""
    return m.ActionRequest(
        choice=m.ActionRequestNormal(
            invoke_id_and_priority=invoke_id_and_priority,
            cosem_method_descriptor=m.CosemMethodDescriptor(
                class_id=class_id, instance_id=_instance_id(obis), method_id=method_id
            ),
            method_invocation_parameters=None if parameters is None else _data(parameters),
        )
    )


def _data(value: Any) -> m.DataValue:
    return value if type(value) is m.DataValue else m.DataValue(choice=value)


def _moment(value: datetime | bytes) -> bytes:
    return value if isinstance(value, bytes) else date_time_to_bytes(value)


def _capture_object(class_id: int, obis: str, attribute_id: int, data_index: int) -> m.Structure:
    return m.Structure(
        choice=[
            m.LongUnsigned(value=class_id),
            m.OctetString(value=_instance_id(obis)),
            m.Integer(value=attribute_id),
            m.LongUnsigned(value=data_index),
        ]
    )
