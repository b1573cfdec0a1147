"""Golden requests of every kind parse into the values they carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cas.messages import SoapVersion, parse_request
from generated import cosem
from generated import device_access as dev

from .samples import GOLDEN


def parse_golden(name: str):
    return parse_request((GOLDEN / name).read_bytes())


def test_on_demand_get_of_the_clock():
    request = parse_golden("create_device_access_get_clock.xml")
    assert request.soap_version is SoapVersion.V12
    header = request.header
    assert (header.verb, header.noun, header.message_id) == ("create", "DeviceAccess", "78465521")
    assert header.timestamp == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert header.correlation_id == "78465521"
    assert not header.async_reply_flag and not header.bypass_retry
    payload = request.payload
    assert isinstance(payload, dev.DeviceAccessType)
    references = payload.devices_reference_list.device_reference_or_group_reference
    assert [r.device_id for r in references] == ["4C475A0000000001"]
    (access,) = payload.cosem_access_list.cosem_access
    get_request = access.cosem_access_descriptor.choice.choice
    assert isinstance(get_request, cosem.GetRequest)
    normal = get_request.choice
    assert isinstance(normal, cosem.GetRequestNormal)
    assert normal.invoke_id_and_priority == 64
    descriptor = normal.cosem_attribute_descriptor
    assert (descriptor.class_id, descriptor.instance_id.hex(), descriptor.attribute_id) == (
        8,
        "0000010000ff",
        2,
    )
    assert payload.priority is None  # the access layer applies DEFAULT_PRIORITY
    assert request.other_payload == ()


def test_soap11_dev_namespace_alias_and_header_order():
    request = parse_golden("create_device_access_soap11_dev_namespace.xml")
    assert request.soap_version is SoapVersion.V11
    assert request.header.source == "portal"
    assert request.header.timestamp == datetime(2024, 5, 1, 14, tzinfo=timezone(timedelta(hours=2)))
    references = request.payload.devices_reference_list.device_reference_or_group_reference
    assert [r.device_id for r in references] == ["meter-1", "4C475A0000000002"]
    descriptor = request.payload.cosem_access_list.cosem_access[0].cosem_access_descriptor
    assert isinstance(descriptor.choice, dev.CosemXdlmsdescriptorType)


def test_scheduled_group_access_with_time_sync_set_and_action():
    request = parse_golden("create_device_access_scheduled.xml")
    header = request.header
    assert header.async_reply_flag
    assert header.reply_address == "http://127.0.0.1:8099/results"
    assert header.bypass_retry
    assert header.properties == (("BypassRetry", "true"),)
    payload = request.payload
    groups = payload.devices_reference_list.device_reference_or_group_reference
    assert [g.group_id for g in groups] == ["DG_ALL_METERS", "segment-7"]
    assert payload.priority == 200
    assert str(payload.repeating_interval) == "PT15M"
    assert str(payload.duration) == "PT10M"
    assert payload.activates.to_datetime() == datetime(2024, 5, 1, 13, tzinfo=UTC)
    assert payload.expires.to_datetime() == datetime(2024, 6, 1, tzinfo=UTC)
    assert payload.not_older_than.to_datetime() == datetime(2024, 5, 1, 11, 55, tzinfo=UTC)
    time_sync, set_access, action_access = payload.cosem_access_list.cosem_access
    sync = time_sync.cosem_access_descriptor.choice
    assert isinstance(sync, dev.CosemTimeSyncType)
    assert (sync.cosem_object.class_id, sync.min_time_diff, sync.max_time_diff) == (8, 5, 3600)
    set_request = set_access.cosem_access_descriptor.choice.choice
    assert isinstance(set_request, cosem.SetRequest)
    value = set_request.choice.value.choice
    assert isinstance(value, cosem.OctetString) and value.value == bytes.fromhex("4C475A")
    action = action_access.cosem_access_descriptor.choice.choice
    assert isinstance(action, cosem.ActionRequest)
    assert action.choice.cosem_method_descriptor.method_id == 1


def test_upgrade_and_acse_descriptor():
    request = parse_golden("create_device_access_upgrade_acse.xml")
    acse, upgrade = request.payload.cosem_access_list.cosem_access
    assert isinstance(acse.cosem_access_descriptor.choice, dev.CosemAcsedescriptorType)
    aarq = acse.cosem_access_descriptor.choice.aarq_or_rlrq
    assert isinstance(aarq, cosem.Aarq)
    assert aarq.mechanism_name == "2.16.756.5.8.2.1"
    upgrade = upgrade.cosem_access_descriptor.choice
    assert isinstance(upgrade, dev.CosemUpgradeType)
    assert (upgrade.upgrade_file, upgrade.image_identifier, upgrade.image_size) == (
        "firmware-2.1.bin",
        "FW-2.1",
        65536,
    )
    # dev:class-id inside cosem-object is accepted as cos:class-id
    assert upgrade.cosem_object.class_id == 18


def test_change_with_payload_before_request():
    request = parse_golden("change_device_access.xml")
    assert request.request.id == "R-17"
    assert request.payload.id == "R-17"
    assert request.payload.priority == 9
    assert str(request.payload.repeating_interval) == "P1D"


def test_get_with_filters_in_client_order_and_empty_device_filter():
    request = parse_golden("get_device_access.xml")
    params = request.request
    assert params.ids == ("R-17",)
    assert params.start_time == datetime(2024, 4, 30, tzinfo=UTC)
    assert params.end_time == datetime(2024, 5, 1, tzinfo=UTC)
    assert params.last_valid_data is True
    assert request.payload.devices_reference_list is None  # empty filter = no filter


def test_delete_needs_only_the_id():
    request = parse_golden("delete_device_access.xml")
    assert (request.header.verb, request.request.id, request.payload) == ("delete", "R-17", None)


def test_resource_directory_with_data():
    request = parse_golden("get_resource_directory.xml")
    assert request.request.with_data is True
    assert request.header.timestamp.microsecond == 123000


def test_device_group_in_the_mes_namespace_as_the_real_client_sends_it():
    request = parse_golden("create_device_group.xml")
    (group,) = request.payload.device_group
    assert (group.group_id, group.prefix, group.type_value) == ("street-12", "4C475A00", None)
    assert [m.device_id for m in group.device_reference] == [
        "4C475A0000000001",
        "4C475A0000000002",
    ]


def test_device_group_with_a_selector_in_the_dev_namespace():
    request = parse_golden("create_device_group_selector.xml")
    (group,) = request.payload.device_group
    assert group.type_value is dev.GroupKindType.SELECTOR
    assert group.description == "Three-phase meters of the north segment"
    assert [(m.attribute, m.value) for m in group.selector.match] == [
        ("network_segment", "north"),
        ("meter_type", "three-phase"),
    ]


@pytest.mark.parametrize("name", ["get_device_group.xml"])
def test_get_without_payload(name):
    request = parse_golden(name)
    assert request.payload is None
    assert request.request.ids == ()
