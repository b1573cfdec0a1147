"""Device group definitions, their validation, and resolution against a registry."""

from __future__ import annotations

import time
from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cas.registry import Meter, Registry, Transport
from cas.registry.groups import (
    ALL_METERS,
    SELECTOR_ATTRIBUTES,
    DeviceGroup,
    GroupKind,
    InvalidGroup,
    define_group,
    is_built_in,
    member_count,
    resolve,
)


def meter(index: int, **changes) -> Meter:
    values = {
        "system_title": f"53494D{index:010X}",
        "host": "127.0.0.1",
        "port": 4000 + index,
        "device_id": f"SIM-{index:04d}",
        "network_segment": "north" if index % 2 else "south",
        "meter_type": "E1",
    }
    return Meter(**{**values, **changes})


@pytest.fixture
def registry() -> Registry:
    others = [
        meter(100, system_title="4C47000000000001", device_id="LG-1", meter_type="E3"),
        meter(101, system_title="4C47000000000002", device_id=None, transport=Transport.HDLC),
    ]
    # registry order is not title order: resolution sorts
    return Registry([meter(3), meter(1), meter(2), *others])


def test_kind_follows_the_fields_given():
    assert define_group("A", members=["X"]).kind is GroupKind.EXPLICIT
    assert define_group("A").kind is GroupKind.EXPLICIT  # an empty group is allowed
    assert define_group("A", prefix="53").kind is GroupKind.PREFIX
    assert define_group("A", selector={"meter_type": "E1"}).kind is GroupKind.SELECTOR
    assert define_group("A", kind="prefix", prefix="53").kind is GroupKind.PREFIX


def test_explicit_members_resolve_as_given_unknown_ones_included(registry):
    group = define_group("A", members=["SIM-0002", "53494d0000000001", "NOPE", "SIM-0002"])
    assert group.members == ("SIM-0002", "53494d0000000001", "NOPE")  # repeats kept once
    assert resolve(group, registry) == ["SIM-0002", "53494d0000000001", "NOPE"]
    assert member_count(group, registry) == 3


def test_prefix_matches_titles_in_any_case_and_device_ids_exactly(registry):
    titles = ["53494D0000000001", "53494D0000000002", "53494D0000000003"]
    assert resolve(define_group("P", prefix="53494d"), registry) == titles
    assert resolve(define_group("P", prefix="4C47"), registry) == [
        "4C47000000000001",
        "4C47000000000002",
    ]
    # by device id, named by system title, one entry per meter
    assert resolve(define_group("P", prefix="LG-"), registry) == ["4C47000000000001"]
    assert resolve(define_group("P", prefix="sim-"), registry) == []  # ids keep their case
    assert resolve(define_group("P", prefix="SIM-000"), registry) == titles
    assert member_count(define_group("P", prefix="53494D"), registry) == 3


def test_selector_matches_every_pair(registry):
    north = define_group("N", selector={"network_segment": "north"})
    assert resolve(north, registry) == ["4C47000000000002", "53494D0000000001", "53494D0000000003"]
    both = define_group("N", selector={"network_segment": "north", "meter_type": "E1"})
    assert resolve(both, registry) == ["4C47000000000002", "53494D0000000001", "53494D0000000003"]
    hdlc = define_group("H", selector={"transport": "HDLC"})  # choices in any case
    assert resolve(hdlc, registry) == ["4C47000000000002"]
    assert resolve(define_group("P", selector={"port": "4002"}), registry) == ["53494D0000000002"]
    assert resolve(define_group("T", selector={"response_timeout": "5"}), registry) != []
    assert resolve(define_group("T", selector={"meter_type": "E9"}), registry) == []
    assert member_count(north, registry) == 3


def test_built_in_group_is_every_meter(registry):
    assert ALL_METERS.built_in and is_built_in("DG_ALL_METERS") and is_built_in("dg_all_meters")
    assert resolve(ALL_METERS, registry) == sorted(m.system_title for m in registry)
    assert member_count(ALL_METERS, registry) == 5
    assert resolve(ALL_METERS, Registry()) == []


def test_selector_attributes_are_the_meter_fields_without_secrets():
    assert set(SELECTOR_ATTRIBUTES) == {f.name for f in fields(Meter)} - {"password", "keys"}
    assert "network_segment" in SELECTOR_ATTRIBUTES and "keys" not in SELECTOR_ATTRIBUTES


@pytest.mark.parametrize(
    ("arguments", "part", "key", "words"),
    [
        ({"selector": {"colour": "red"}}, "selector", "colour", "valid attributes: system_title"),
        ({"selector": {"keys": "x"}}, "selector", "keys", "unknown selector attribute"),
        ({"selector": {"port": "80a"}}, "selector-value", "port", "not a whole number"),
        ({"selector": {"transport": "serial"}}, "selector-value", "transport", "wrapper, hdlc"),
        ({"selector": {"response_timeout": "soon"}}, "selector-value", None, "not a number"),
        ({"selector": {"meter_type": " "}}, "selector-value", "meter_type", "empty value"),
        ({"selector": {"meter_type": True}}, "selector-value", "meter_type", "text or a number"),
        ({"selector": {}}, "selector", None, "at least one attribute"),
        ({"kind": "SELECTOR"}, "selector", None, "at least one attribute"),
        ({"kind": "PREFIX"}, "prefix", None, "needs a prefix"),
        ({"prefix": ""}, "prefix", None, "non-empty"),
        ({"prefix": "53", "selector": {"host": "h"}}, "type", None, "not both"),
        ({"kind": "EXPLICIT", "prefix": "53"}, "prefix", None, "no prefix"),
        ({"kind": "EXPLICIT", "selector": {"host": "h"}}, "selector", None, "no selector"),
        ({"kind": "PREFIX", "prefix": "53", "selector": {"host": "h"}}, "selector", None, ""),
        ({"kind": "SELECTOR", "prefix": "53", "selector": {"host": "h"}}, "prefix", None, ""),
        ({"prefix": "53", "members": ["A"]}, "members", None, "no listed members"),
        ({"kind": "GROUPY"}, "type", None, "EXPLICIT, PREFIX, SELECTOR"),
        ({"members": ["A", ""]}, "members", 1, "non-empty"),
        ({"members": ["A", " B"]}, "members", 1, "leading/trailing"),
        ({"members": ["A", "x" * 257]}, "members", 1, "longer than 256"),
        ({"description": 12}, "description", None, "text"),
        ({"description": "bell\x07"}, "description", None, "control characters"),
    ],
)
def test_bad_definitions_say_what_and_where(arguments, part, key, words):
    with pytest.raises(InvalidGroup) as raised:
        define_group("G", **arguments)
    assert raised.value.part == part
    if key is not None:
        assert raised.value.key == key
    assert words in raised.value.reason


@pytest.mark.parametrize(
    "group_id", ["", " G", "G\n", "x" * 257, 12, "DG_ALL_METERS", "Dg_All_Meters"]
)
def test_bad_or_reserved_ids(group_id):
    with pytest.raises(InvalidGroup) as raised:
        define_group(group_id, members=["A"])
    assert raised.value.part == "id"


def test_a_selector_attribute_given_twice_is_refused():
    with pytest.raises(InvalidGroup, match="given twice"):
        define_group("G", selector=[("host", "a"), ("host", "b")])


def test_values_are_kept_canonical():
    group = define_group(
        "G", selector={"transport": "HDLC", "port": "04059", "response_timeout": 5}
    )
    assert group.selector == (("port", "4059"), ("response_timeout", "5.0"), ("transport", "hdlc"))


def test_a_stored_selector_on_an_attribute_this_version_lacks_matches_nothing(registry):
    group = DeviceGroup("OLD", GroupKind.SELECTOR, selector=(("firmware", "1.2"),))
    assert resolve(group, registry) == []


def test_resolution_is_fast_for_10000_meters():
    registry = Registry(meter(i, port=4000 + i % 100) for i in range(10_000))
    groups = [
        ALL_METERS,
        define_group("P", prefix="53494D00000001"),
        define_group("S", selector={"network_segment": "north"}),
        define_group(
            "S2", selector={"network_segment": "north", "port": "4003", "transport": "wrapper"}
        ),
    ]
    expected = [10_000, 256, 5_000, 100]
    for group, count in zip(groups, expected, strict=True):
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            members = resolve(group, registry)
            best = min(best, time.perf_counter() - started)
        assert len(members) == count
        assert members == sorted(members)
        assert best < 0.1, f"{group.id}: {best * 1000:.1f} ms"  # measured: 0.3 to 3 ms


titles = st.integers(min_value=0, max_value=0xFFFF).map(lambda n: f"53494D{n:010X}")
fleets = st.lists(
    st.tuples(
        titles, st.sampled_from(["north", "south", "default"]), st.sampled_from([None, "E1"])
    ),
    max_size=30,
    unique_by=lambda item: item[0],
)


@given(
    fleets,
    st.text(alphabet="0123456789abcdefABCDEF", min_size=1, max_size=8),
    st.sampled_from(["north", "south"]),
)
def test_resolution_equals_a_plain_filter(entries, prefix, segment):
    meters = [
        meter(i, system_title=title, device_id=f"D{i}", network_segment=seg, meter_type=kind)
        for i, (title, seg, kind) in enumerate(entries)
    ]
    registry = Registry(meters)
    by_prefix = resolve(define_group("P", prefix=prefix), registry)
    assert by_prefix == sorted(
        m.system_title
        for m in meters
        if m.system_title.startswith(prefix.upper()) or m.device_id.startswith(prefix)
    )
    selected = resolve(
        define_group("S", selector={"network_segment": segment, "meter_type": "E1"}), registry
    )
    assert selected == sorted(
        m.system_title for m in meters if m.network_segment == segment and m.meter_type == "E1"
    )
    assert resolve(ALL_METERS, registry) == sorted(m.system_title for m in meters)
