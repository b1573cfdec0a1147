"""Registry file round trip, lookups and the validation errors a utility engineer sees."""

from __future__ import annotations

import pytest

from cas.registry import (
    Authentication,
    Meter,
    MeterKeys,
    Registry,
    RegistryError,
    Secret,
    SecurityPolicy,
    Transport,
    UnknownDevice,
    load_meters,
    save_meters,
)

KEY_A = bytes(range(16))
KEY_B = bytes(range(16, 32))


def hls_meter(title: str = "53494D0000000001", device_id: str | None = "SIM-1") -> Meter:
    return Meter(
        system_title=title,
        device_id=device_id,
        host="127.0.0.1",
        port=4061,
        transport=Transport.HDLC,
        client_address=1,
        server_address=1,
        physical_address=17,
        authentication=Authentication.HLS_GMAC,
        security=SecurityPolicy.AUTHENTICATED_ENCRYPTED,
        keys=MeterKeys(Secret(KEY_A), Secret(KEY_B)),
        network_segment="north",
    )


def test_file_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "registry.yaml"
    low = Meter(
        system_title="53494D0000000002",
        host="10.0.0.2",
        port=4059,
        authentication=Authentication.LOW,
        password=Secret(b"12345678"),
    )
    save_meters(path, [hls_meter(), low])
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_meters(path) == [hls_meter(), low]


def test_keys_never_appear_in_repr():
    meter = hls_meter()
    text = repr(meter) + str(meter.keys) + repr(Secret(KEY_A))
    assert KEY_A.hex() not in text.lower()
    assert "Secret(***)" in repr(Secret(KEY_A))


def test_resolve_by_title_any_case_or_device_id():
    registry = Registry([hls_meter()])
    assert registry.resolve("53494d0000000001").device_id == "SIM-1"
    assert registry.resolve("SIM-1").system_title == "53494D0000000001"
    assert "SIM-1" in registry
    with pytest.raises(UnknownDevice) as caught:
        registry.resolve("SIM-2")
    assert caught.value.reference == "SIM-2"


def test_changes_at_run_time():
    registry = Registry([hls_meter()])
    moved = Meter(system_title="53494D0000000001", device_id="SIM-9", host="h", port=1)
    registry.put(moved)
    assert registry.resolve("SIM-9").host == "h"
    assert "SIM-1" not in registry
    with pytest.raises(RegistryError, match="already names"):
        registry.put(hls_meter(title="53494D00000000FF", device_id="SIM-9"))
    registry.remove("53494D0000000001")
    assert len(registry) == 0


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"host": "h", "port": 1}, r"meters\[0\].system_title: required"),
        ({"system_title": "XYZ", "host": "h", "port": 1}, "16 hex"),
        ({"system_title": "53494D0000000001", "host": "h", "port": 70000}, "port"),
        ({"system_title": "53494D0000000001", "host": "h", "port": 1, "transport": "x"}, "x"),
        (
            {"system_title": "53494D0000000001", "host": "h", "port": 1, "authentication": "low"},
            "password: required",
        ),
        (
            {
                "system_title": "53494D0000000001",
                "host": "h",
                "port": 1,
                "authentication": "hls-gmac",
            },
            "needs both keys",
        ),
        (
            {
                "system_title": "53494D0000000001",
                "host": "h",
                "port": 1,
                "keys": {"block_cipher_key": "00"},
            },
            "32 hex",
        ),
        ({"system_title": "53494D0000000001", "host": "h", "port": 1, "colour": 1}, "colour"),
    ],
)
def test_bad_entries_name_the_field(tmp_path, entry, message):
    import yaml

    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"meters": [entry]}))
    with pytest.raises(RegistryError, match=message):
        load_meters(path)


def test_unreadable_or_malformed_files(tmp_path):
    with pytest.raises(RegistryError, match="cannot read"):
        load_meters(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("meters: [\n")
    with pytest.raises(RegistryError, match="not valid YAML"):
        load_meters(bad)
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(RegistryError, match="'meters' list"):
        load_meters(bad)
