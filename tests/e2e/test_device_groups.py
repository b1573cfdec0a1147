"""The DeviceGroup noun over SOAP, to a real gateway on SQLite and on Redis, and group files
loaded by ``cas serve`` at start."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from cas.registry import Meter
from cas.simulator import MeterFleet
from tests.support.gateway import running_gateway
from tests.support.serve import Serve
from tests.support.soap import NS, device_access, envelope, get_xml

ITEM = "/mes:RequestMessage/mes:Payload/mes:DeviceGroup/dev:DeviceGroup"
ENERGY = (3, "1.0.1.8.0.255", 2)


# --- building requests and reading replies ----------------------------------------------------


def group_xml(
    group_id: str,
    *,
    kind: str | None = None,
    prefix: str | None = None,
    members: tuple[str, ...] = (),
    selector: dict[str, str] | None = None,
    description: str | None = None,
) -> str:
    attributes = f'GroupID="{group_id}"'
    if kind:
        attributes += f' Type="{kind}"'
    if prefix is not None:
        attributes += f' Prefix="{prefix}"'
    children = f"<dev:Description>{description}</dev:Description>" if description else ""
    children += "".join(f'<dev:DeviceReference DeviceID="{m}"/>' for m in members)
    if selector:
        matches = "".join(f'<dev:Match Attribute="{a}" Value="{v}"/>' for a, v in selector.items())
        children += f"<dev:Selector>{matches}</dev:Selector>"
    return f"<dev:DeviceGroup {attributes}>{children}</dev:DeviceGroup>"


def payload(*groups: str) -> str:
    return f"<mes:DeviceGroup>{''.join(groups)}</mes:DeviceGroup>"


def options(**values: int | str) -> str:
    return "".join(
        f"<mes:Option><mes:name>{name}</mes:name><mes:value>{value}</mes:value></mes:Option>"
        for name, value in values.items()
    )


def groups_of(reply) -> list[dict]:
    found = []
    for element in reply.root.iterfind(".//mes:Payload/mes:DeviceGroup/dev:DeviceGroup", NS):
        found.append(
            {
                "id": element.get("GroupID"),
                "type": element.get("Type"),
                "prefix": element.get("Prefix"),
                "built_in": element.get("BuiltIn"),
                "count": int(element.get("MemberCount")),
                "description": element.findtext("dev:Description", namespaces=NS),
                "members": [r.get("DeviceID") for r in element.iterfind("dev:DeviceReference", NS)],
                "selector": {
                    m.get("Attribute"): m.get("Value")
                    for m in element.iterfind("dev:Selector/dev:Match", NS)
                },
            }
        )
    return found


def errors_of(reply) -> list[tuple[str, str | None, str]]:
    return [
        (
            e.findtext("mes:code", namespaces=NS),
            e.findtext("mes:xpath", namespaces=NS),
            e.findtext("mes:reason", namespaces=NS),
        )
        for e in reply.root.iterfind(".//mes:Reply/mes:Error", NS)
    ]


def next_page(reply) -> str | None:
    for element in reply.root.iterfind(".//mes:Reply/mes:ID", NS):
        if element.get("idType") == "NextPage":
            return element.text
    return None


# --- fixtures ------------------------------------------------------------------------------------


def segmented(meters: list[Meter]) -> list[Meter]:
    """Meters 1 and 3 in segment north, 2 in south, the others in default."""
    segments = {0: "north", 1: "south", 2: "north"}
    return [replace(m, network_segment=segments.get(i, "default")) for i, m in enumerate(meters)]


@pytest.fixture
async def fleet():
    async with MeterFleet(count=4) as simulated:
        yield simulated


@pytest.fixture
async def gateway(fleet, backend):
    async with running_gateway(segmented(fleet.meters), store=backend) as running:
        running.titles = sorted(m.system_title for m in fleet.meters)
        yield running


# --- round trips -------------------------------------------------------------------------------


async def test_explicit_group_round_trip(gateway, fleet):
    first, second = fleet.meters[0], fleet.meters[1]
    members = (second.device_id, first.system_title, "NOT-A-METER")
    created = await gateway.post(
        envelope(
            "create",
            "DeviceGroup",
            payload(group_xml("PILOT", members=members, description="pilot meters")),
        )
    )
    assert (created.result, created.ids) == ("OK", ["PILOT"])
    got = await gateway.post(envelope("get", "DeviceGroup", payload(group_xml("PILOT"))))
    assert got.result == "OK" and got.ids == ["PILOT"]
    (group,) = groups_of(got)
    assert group["type"] == "EXPLICIT" and group["built_in"] == "false"
    assert group["description"] == "pilot meters"
    assert group["members"] == list(members) and group["count"] == 3  # unknown one included

    changed = await gateway.post(
        envelope("change", "DeviceGroup", payload(group_xml("PILOT", members=(first.device_id,))))
    )
    assert (changed.result, changed.ids) == ("OK", ["PILOT"])
    (group,) = groups_of(
        await gateway.post(envelope("get", "DeviceGroup", payload(group_xml("PILOT"))))
    )
    assert group["members"] == [first.device_id] and group["description"] is None  # replaced

    deleted = await gateway.post(envelope("delete", "DeviceGroup", payload(group_xml("PILOT"))))
    assert (deleted.result, deleted.ids) == ("OK", ["PILOT"])
    gone = await gateway.post(envelope("get", "DeviceGroup", payload(group_xml("PILOT"))))
    assert gone.result == "FAILED" and gone.error_codes == ["2.101"]


async def test_prefix_group_round_trip(gateway, fleet):
    created = await gateway.post(
        envelope("create", "DeviceGroup", payload(group_xml("SIM", prefix="53494d")))
    )
    assert created.result == "OK"
    (group,) = groups_of(
        await gateway.post(envelope("get", "DeviceGroup", payload(group_xml("SIM"))))
    )
    assert group["type"] == "PREFIX" and group["prefix"] == "53494d"
    assert group["members"] == gateway.titles and group["count"] == 4

    # by device id: named by system title, one entry per meter
    changed = await gateway.post(
        envelope(
            "change", "DeviceGroup", payload(group_xml("SIM", kind="PREFIX", prefix="SIM-0002"))
        )
    )
    assert changed.result == "OK"
    (group,) = groups_of(
        await gateway.post(envelope("get", "DeviceGroup", payload(group_xml("SIM"))))
    )
    assert group["members"] == [fleet.meters[1].system_title]

    assert (
        await gateway.post(envelope("delete", "DeviceGroup", payload(group_xml("SIM"))))
    ).result == "OK"
    listed = groups_of(await gateway.post(envelope("get", "DeviceGroup")))
    assert [g["id"] for g in listed] == ["DG_ALL_METERS"]


async def test_selector_group_round_trip(gateway, fleet):
    north = sorted(fleet.meters[i].system_title for i in (0, 2))
    created = await gateway.post(
        envelope(
            "create",
            "DeviceGroup",
            payload(
                group_xml("NORTH", selector={"network_segment": "north", "meter_type": "CAS-SIM"})
            ),
        )
    )
    assert created.result == "OK", errors_of(created)
    (group,) = groups_of(
        await gateway.post(envelope("get", "DeviceGroup", payload(group_xml("NORTH"))))
    )
    assert group["type"] == "SELECTOR"
    assert group["selector"] == {"meter_type": "CAS-SIM", "network_segment": "north"}
    assert group["members"] == north and group["count"] == 2

    changed = await gateway.post(
        envelope(
            "change",
            "DeviceGroup",
            payload(group_xml("NORTH", selector={"network_segment": "south"})),
        )
    )
    assert changed.result == "OK"
    (group,) = groups_of(
        await gateway.post(envelope("get", "DeviceGroup", payload(group_xml("NORTH"))))
    )
    assert group["members"] == [fleet.meters[1].system_title]
    assert (
        await gateway.post(envelope("delete", "DeviceGroup", payload(group_xml("NORTH"))))
    ).result == "OK"


async def test_list_shows_every_group_with_its_counts(gateway):
    await gateway.post(
        envelope(
            "create",
            "DeviceGroup",
            payload(
                group_xml("B_PREFIX", prefix="53494D", description="all simulated"),
                group_xml("A_LIST", members=("X", "Y")),
                group_xml("C_SOUTH", selector={"network_segment": "south"}),
            ),
        )
    )
    listed = await gateway.post(envelope("get", "DeviceGroup"))
    assert listed.result == "OK"
    groups = groups_of(listed)
    assert [g["id"] for g in groups] == ["DG_ALL_METERS", "A_LIST", "B_PREFIX", "C_SOUTH"]
    by_id = {g["id"]: g for g in groups}
    assert by_id["DG_ALL_METERS"]["built_in"] == "true" and by_id["DG_ALL_METERS"]["count"] == 4
    assert (by_id["A_LIST"]["type"], by_id["A_LIST"]["count"]) == ("EXPLICIT", 2)
    assert (by_id["B_PREFIX"]["type"], by_id["B_PREFIX"]["count"]) == ("PREFIX", 4)
    assert by_id["B_PREFIX"]["description"] == "all simulated"
    assert (by_id["C_SOUTH"]["type"], by_id["C_SOUTH"]["count"]) == ("SELECTOR", 1)
    assert all(g["built_in"] == "false" for g in groups[1:])
    assert all(g["members"] == [] for g in groups)  # the list carries counts, not members


# --- the built-in group ---------------------------------------------------------------------


async def test_dg_all_meters_lists_every_meter_and_cannot_be_written(gateway):
    got = await gateway.post(envelope("get", "DeviceGroup", payload(group_xml("DG_ALL_METERS"))))
    (group,) = groups_of(got)
    assert group["built_in"] == "true" and group["members"] == gateway.titles
    by_request_id = await gateway.post(
        envelope("get", "DeviceGroup", request="<mes:ID>DG_ALL_METERS</mes:ID>")
    )
    assert groups_of(by_request_id)[0]["members"] == gateway.titles

    for verb, group_id in (
        ("create", "DG_ALL_METERS"),
        ("create", "dg_all_meters"),
        ("change", "DG_ALL_METERS"),
        ("delete", "DG_ALL_METERS"),
    ):
        reply = await gateway.post(
            envelope(verb, "DeviceGroup", payload(group_xml(group_id, prefix="53")))
        )
        assert reply.result == "FAILED", verb
        ((code, xpath, reason),) = errors_of(reply)
        assert (code, xpath) == ("6.1", f"{ITEM}/@GroupID"), verb
        assert "built in" in reason
    listed = groups_of(await gateway.post(envelope("get", "DeviceGroup")))
    assert [g["id"] for g in listed] == ["DG_ALL_METERS"]
    assert listed[0]["count"] == 4


# --- refusals ---------------------------------------------------------------------------------


async def test_unknown_group_is_2_101(gateway):
    for verb in ("get", "change", "delete"):
        reply = await gateway.post(envelope(verb, "DeviceGroup", payload(group_xml("NOPE"))))
        assert reply.result == "FAILED"
        assert errors_of(reply) == [("2.101", f"{ITEM}/@GroupID", "no device group 'NOPE'")]
    by_id = await gateway.post(envelope("get", "DeviceGroup", request="<mes:ID>NOPE</mes:ID>"))
    assert errors_of(by_id)[0][:2] == ("2.101", "/mes:RequestMessage/mes:Request/mes:ID")
    # several named: every unknown one is listed, nothing is deleted
    await gateway.post(envelope("create", "DeviceGroup", payload(group_xml("KEEP"))))
    reply = await gateway.post(
        envelope(
            "delete",
            "DeviceGroup",
            payload(group_xml("KEEP"), group_xml("NOPE"), group_xml("NADA")),
        )
    )
    assert [(c, x) for c, x, _r in errors_of(reply)] == [
        ("2.101", f"{ITEM}[2]/@GroupID"),
        ("2.101", f"{ITEM}[3]/@GroupID"),
    ]
    assert [g["id"] for g in groups_of(await gateway.post(envelope("get", "DeviceGroup")))][1:] == [
        "KEEP"
    ]


async def test_existing_id_is_2_102_and_nothing_is_created(gateway):
    assert (
        await gateway.post(envelope("create", "DeviceGroup", payload(group_xml("G", prefix="53"))))
    ).result == "OK"
    again = await gateway.post(
        envelope("create", "DeviceGroup", payload(group_xml("G", prefix="4C")))
    )
    assert again.result == "FAILED"
    assert errors_of(again)[0][:2] == ("2.102", f"{ITEM}/@GroupID")
    both = await gateway.post(
        envelope("create", "DeviceGroup", payload(group_xml("NEW", prefix="53"), group_xml("G")))
    )
    assert both.result == "FAILED" and errors_of(both)[0][:2] == ("2.102", f"{ITEM}[2]/@GroupID")
    groups = groups_of(await gateway.post(envelope("get", "DeviceGroup")))
    assert [g["id"] for g in groups] == ["DG_ALL_METERS", "G"]  # NEW was not created
    assert groups[1]["prefix"] == "53"  # the first definition stays


@pytest.mark.parametrize(
    ("group", "xpath", "words"),
    [
        (
            group_xml("X", selector={"network_segment": "north", "colour": "red"}),
            f"{ITEM}/dev:Selector/dev:Match[2]/@Attribute",
            "unknown selector attribute 'colour'; valid attributes: system_title, host, port",
        ),
        (
            group_xml("X", selector={"transport": "serial"}),
            f"{ITEM}/dev:Selector/dev:Match/@Value",
            "'serial' is not one of wrapper, hdlc",
        ),
        (group_xml("X", kind="PREFIX"), f"{ITEM}/@Prefix", "needs a prefix"),
        (group_xml("X", kind="SELECTOR"), f"{ITEM}/dev:Selector", "at least one attribute"),
        (group_xml("X", kind="EXPLICIT", prefix="53"), f"{ITEM}/@Prefix", "no prefix"),
        (
            group_xml("X", prefix="53", selector={"host": "a"}),
            f"{ITEM}/@Type",
            "a prefix or a selector, not both",
        ),
        (
            group_xml("X", members=("SIM-1", " SIM-2")),
            f"{ITEM}/dev:DeviceReference[2]/@DeviceID",
            "leading/trailing spaces",
        ),
        (group_xml(" X", members=("A",)), f"{ITEM}/@GroupID", "leading/trailing spaces"),
    ],
)
async def test_invalid_definitions_are_1_8_with_the_xpath(gateway, group, xpath, words):
    for verb in ("create", "change"):
        reply = await gateway.post(envelope(verb, "DeviceGroup", payload(group)))
        assert reply.result == "FAILED"
        ((code, where, reason),) = errors_of(reply)
        assert (code, where) == ("1.8", xpath), reason
        assert words in reason
    assert len(groups_of(await gateway.post(envelope("get", "DeviceGroup")))) == 1


async def test_request_level_refusals(gateway):
    twice = await gateway.post(
        envelope("create", "DeviceGroup", payload(group_xml("A"), group_xml("A", prefix="5")))
    )
    assert errors_of(twice)[0][:2] == ("1.8", f"{ITEM}[2]/@GroupID")
    several = await gateway.post(
        envelope("get", "DeviceGroup", payload(group_xml("DG_ALL_METERS"), group_xml("B")))
    )
    assert several.result == "FAILED" and several.error_codes == ["3.1"]
    no_payload = await gateway.post(envelope("create", "DeviceGroup"))
    assert no_payload.error_codes == ["1.7"]
    for bad in (
        options(PageSize=0),
        options(PageSize=10001),
        options(PageSize="ten"),
        options(After="-1"),
    ):
        reply = await gateway.post(
            envelope("get", "DeviceGroup", request=bad + "<mes:ID>DG_ALL_METERS</mes:ID>")
        )
        assert reply.error_codes == ["1.8"], bad
    unknown_type = await gateway.post(
        envelope("create", "DeviceGroup", payload('<dev:DeviceGroup GroupID="X" Type="RANGE"/>'))
    )
    assert unknown_type.result == "FAILED" and unknown_type.error_codes == ["1.8"]  # schema


# --- what the real client sends ------------------------------------------------------------------


def real_client(verb: str, group: str) -> bytes:
    """As the LTFE web portal builds it: everything in mes, Prefix without Type on create."""
    return envelope(
        verb,
        "DeviceGroup",
        f"<mes:DeviceGroup>{group}</mes:DeviceGroup>",
        header_extra="<mes:CorrelationID>78465521</mes:CorrelationID>",
    )


async def test_the_real_clients_messages(gateway, fleet):
    created = await gateway.post(
        real_client("create", '<mes:DeviceGroup GroupID="PORTAL" Prefix="53494D"/>')
    )
    assert created.result == "OK", errors_of(created)
    got = await gateway.post(real_client("get", '<mes:DeviceGroup GroupID="PORTAL"/>'))
    (group,) = groups_of(got)
    assert group["prefix"] == "53494D" and group["members"] == gateway.titles
    # editing a prefix group: Type PREFIX, the prefix, and the members it read back
    echoed = "".join(f'<mes:DeviceReference DeviceID="{t}"/>' for t in gateway.titles)
    changed = await gateway.post(
        real_client(
            "change",
            f'<mes:DeviceGroup GroupID="PORTAL" Type="PREFIX" Prefix="SIM-0001">{echoed}'
            "</mes:DeviceGroup>",
        )
    )
    assert changed.result == "OK", errors_of(changed)
    (group,) = groups_of(
        await gateway.post(real_client("get", '<mes:DeviceGroup GroupID="PORTAL"/>'))
    )
    assert group["type"] == "PREFIX" and group["members"] == [fleet.meters[0].system_title]
    explicit = await gateway.post(
        real_client(
            "create",
            '<mes:DeviceGroup GroupID="PICKED"><mes:DeviceReference DeviceID="53494D00000F4242"/>'
            "</mes:DeviceGroup>",
        )
    )
    assert explicit.result == "OK"
    listed = await gateway.post(
        envelope("get", "DeviceGroup", header_extra="<mes:CorrelationID>1</mes:CorrelationID>")
    )
    assert [g["id"] for g in groups_of(listed)] == ["DG_ALL_METERS", "PICKED", "PORTAL"]
    assert (
        await gateway.post(real_client("delete", '<mes:DeviceGroup GroupID="PORTAL"/>'))
    ).result == "OK"


# --- paging a large group ----------------------------------------------------------------------


def paper_meters(count: int) -> list[Meter]:
    """Registry entries only (nothing listens): enough to page through a large group."""
    return [
        Meter(system_title=f"4C47{i:012X}", host="127.0.0.1", port=9, device_id=f"LG-{i}")
        for i in range(count)
    ]


async def test_dg_all_meters_of_10000_meters_comes_in_pages(fleet, backend):
    meters = [*fleet.meters, *paper_meters(10_000)]
    expected = sorted(m.system_title for m in meters)
    async with running_gateway(meters, store=backend) as gateway:
        first = await gateway.post(
            envelope("get", "DeviceGroup", request="<mes:ID>DG_ALL_METERS</mes:ID>")
        )
        assert first.result == "PARTIAL" and first.error_codes == ["0.1"]
        (group,) = groups_of(first)
        assert group["count"] == 10_004 and len(group["members"]) == 1000  # the default page
        assert next_page(first) == "1000"
        received, after = [], "0"
        while after is not None:
            reply = await gateway.post(
                envelope(
                    "get",
                    "DeviceGroup",
                    request=options(PageSize=4000, After=after) + "<mes:ID>DG_ALL_METERS</mes:ID>",
                )
            )
            (group,) = groups_of(reply)
            received += group["members"]
            after = next_page(reply)
            assert reply.result == ("PARTIAL" if after else "OK")
        assert received == expected
        past_the_end = await gateway.post(
            envelope(
                "get",
                "DeviceGroup",
                request=options(After=20000) + "<mes:ID>DG_ALL_METERS</mes:ID>",
            )
        )
        assert past_the_end.result == "OK" and groups_of(past_the_end)[0]["members"] == []


# --- a group used by a DeviceAccess ------------------------------------------------------------


async def test_a_group_made_over_soap_is_read_by_group_reference(gateway, fleet):
    await gateway.post(
        envelope(
            "create",
            "DeviceGroup",
            payload(group_xml("NORTH", selector={"network_segment": "north"})),
        )
    )
    access = device_access([], [get_xml(*ENERGY)]).replace(
        "<dev:DevicesReferenceList></dev:DevicesReferenceList>",
        '<dev:DevicesReferenceList><dev:GroupReference GroupID="NORTH"/>'
        "</dev:DevicesReferenceList>",
    )
    reply = await gateway.post(envelope("create", "DeviceAccess", access))
    assert reply.result == "OK", errors_of(reply)
    results = reply.results(0)
    north = sorted(fleet.meters[i].system_title for i in (0, 2))
    assert sorted(r.device_id for r in results) == north
    for result in results:
        assert result.kind == "XDLMSResult"
        assert result.value(".//cos:double-long-unsigned") is not None


# --- group files at start ------------------------------------------------------------------------


async def test_cas_serve_loads_group_files_and_they_replace_stored_groups(tmp_path):
    async with MeterFleet(count=2) as fleet:
        registry = tmp_path / "meters.yaml"
        fleet.write_registry(registry)
        folder = tmp_path / "groups"
        folder.mkdir()
        (folder / "a.yaml").write_text(
            "groups:\n  - {id: FILE_SIM, prefix: 53494D, description: from a file}\n"
        )
        database = tmp_path / "cas.db"
        server = Serve(registry, "--db", str(database), "--groups", str(folder))
        try:
            server.wait_http()
            groups = {g["id"]: g for g in groups_of(server.post(envelope("get", "DeviceGroup")))}
            assert groups["FILE_SIM"]["count"] == 2
            assert groups["FILE_SIM"]["description"] == "from a file"
            # changed over SOAP ...
            changed = server.post(
                envelope("change", "DeviceGroup", payload(group_xml("FILE_SIM", members=("X",))))
            )
            assert changed.result == "OK"
            created = server.post(
                envelope("create", "DeviceGroup", payload(group_xml("SOAP_ONLY", prefix="53")))
            )
            assert created.result == "OK"
        finally:
            server.stop()
        # ... and put back by the file at the next start; a SOAP-made group stays
        server = Serve(registry, "--db", str(database), "--groups", str(folder))
        try:
            server.wait_http()
            groups = {g["id"]: g for g in groups_of(server.post(envelope("get", "DeviceGroup")))}
            assert (groups["FILE_SIM"]["type"], groups["FILE_SIM"]["prefix"]) == (
                "PREFIX",
                "53494D",
            )
            assert "SOAP_ONLY" in groups
        finally:
            server.stop()


def test_a_broken_group_file_stops_the_start_naming_file_and_entry(tmp_path):
    registry = tmp_path / "meters.yaml"
    registry.write_text("meters: []\n")
    folder = tmp_path / "groups"
    folder.mkdir()
    (folder / "ok.yaml").write_text("groups:\n  - {id: FINE, prefix: '53'}\n")
    broken = folder / "zz-broken.yaml"
    broken.write_text("groups:\n  - {id: A, prefix: '53'}\n  - {id: B, selector: {colour: red}}\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cas",
            "serve",
            "--registry",
            str(registry),
            "--port",
            "0",
            "--db",
            str(tmp_path / "cas.db"),
            "--groups",
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        f"cas serve: {broken}: groups[1] (id B): selector.colour: unknown selector attribute"
        in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "cas.db").exists()  # refused before anything was opened
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "cas",
            "serve",
            "--registry",
            str(registry),
            "--groups",
            str(tmp_path / "none"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "not a directory of group files" in missing.stderr
