"""Micro-benchmark of the COSEM codec: a 2,880-row load profile get-response (array of
structure {date-time octet-string, double-long-unsigned}) and a small get-request, each
through bytes -> object -> XML -> object -> bytes. Prints the median of several runs in ms,
and the binding alone through cas.xmlbind's fast paths and through xsdata's parser and
serializer, timed in the same run (the ratio is what the fast paths save).

For scale it also times a bare lxml walk that builds / reads the same Data tree without
xsdata's metadata (integers and octet strings only: a floor, not a binding).

    python bench/cosem_codec.py [--rows 2880] [--repeat 11]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from lxml import etree

from cas import cosem, xmlbind
from cas.cosem import tags
from cas.cosem import xml as cosem_xml
from generated import cosem as m

_NAMES = {cls: f"{{{cosem.COSEM_NS}}}{name}" for cls, name in tags.DATA_NAME.items()}
_CLASSES = {name: cls for cls, name in _NAMES.items()}


def reference_build(parent: etree._Element, kind: object) -> None:
    """Append a Data kind as XML with plain lxml (integers and octet strings only)."""
    cls = type(kind)
    element = etree.SubElement(parent, _NAMES[cls])
    if cls is m.Array or cls is m.Structure:
        for item in kind.choice:
            reference_build(element, item)
    elif cls is m.OctetString:
        element.text = kind.value.hex().upper()
    else:
        element.text = str(kind.value)


def reference_read(element: etree._Element) -> object:
    cls = _CLASSES[element.tag]
    if cls is m.Array or cls is m.Structure:
        return cls(choice=[reference_read(child) for child in element])
    if cls is m.OctetString:
        return cls(value=bytes.fromhex(element.text))
    return cls(value=int(element.text))


def load_profile_response(rows: int) -> bytes:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    structures = [
        m.Structure(
            choice=[
                m.OctetString(value=cosem.date_time_to_bytes(start + timedelta(minutes=15 * i))),
                m.DoubleLongUnsigned(value=1_000_000 + 37 * i),
            ]
        )
        for i in range(rows)
    ]
    response = m.GetResponse(
        choice=m.GetResponseNormal(
            invoke_id_and_priority=0xC1,
            result=m.GetDataResult(
                data_or_data_access_result=m.DataValue(choice=m.Array(choice=structures))
            ),
        )
    )
    return cosem.encode_apdu(response)


def timed(step: Callable[[], object], repeat: int) -> tuple[float, object]:
    gc.collect()  # start every step with the same heap: less noise from earlier steps
    samples, result = [], None
    for _ in range(repeat):
        begin = time.perf_counter()
        result = step()
        samples.append((time.perf_counter() - begin) * 1000)
    return statistics.median(samples), result


def run(label: str, data: bytes, repeat: int) -> None:
    decode_ms, apdu = timed(lambda: cosem.decode_apdu(data), repeat)
    element_ms, _ = timed(lambda: cosem.apdu_to_element(apdu), repeat)
    text_ms, text = timed(lambda: cosem.apdu_to_xml(apdu), repeat)
    parse_ms, parsed = timed(lambda: etree.fromstring(text.encode()), repeat)
    validate_ms, _ = timed(lambda: cosem_xml._schema().validate(parsed), repeat)
    from_element_ms, back = timed(lambda: cosem.apdu_from_element(parsed), repeat)
    from_xml_ms, _ = timed(lambda: cosem.apdu_from_xml(text), repeat)
    encode_ms, again = timed(lambda: cosem.encode_apdu(back), repeat)
    assert again == data, "round trip changed the bytes"
    nsmap = {"cos": cosem.COSEM_NS}
    write_ms, _ = timed(lambda: xmlbind.to_element(apdu, nsmap), repeat)
    xsdata_write_ms, _ = timed(lambda: xmlbind.xsdata_element(apdu, nsmap), repeat)
    read_ms, _ = timed(lambda: xmlbind.bind(parsed, type(apdu)), repeat)
    xsdata_read_ms, _ = timed(lambda: xmlbind.xsdata_bind(parsed, type(apdu)), repeat)
    print(f"{label}: {len(data)} bytes, XML {len(text)} chars")
    print(f"  bytes -> object          {decode_ms:9.3f} ms")
    print(f"  object -> element        {element_ms:9.3f} ms   (encode check + xmlbind writer)")
    print(f"  object -> XML text       {text_ms:9.3f} ms")
    print(f"  XML text -> element      {parse_ms:9.3f} ms   (lxml parse only)")
    print(f"  XSD validation           {validate_ms:9.3f} ms   (lxml/libxml2)")
    print(f"  element -> object        {from_element_ms:9.3f} ms   (validate + xmlbind + check)")
    print(f"  XML text -> object       {from_xml_ms:9.3f} ms")
    print(f"  object -> bytes          {encode_ms:9.3f} ms")
    print(
        f"  binding alone, same run: write {write_ms:.3f} ms vs xsdata {xsdata_write_ms:.3f} ms"
        f" (x{xsdata_write_ms / write_ms:.1f}), read {read_ms:.3f} ms vs xsdata"
        f" {xsdata_read_ms:.3f} ms (x{xsdata_read_ms / read_ms:.1f})"
    )


def reference(apdu: object, repeat: int) -> None:
    kind = apdu.choice.result.data_or_data_access_result.choice
    build_ms, element = timed(lambda: _reference_element(kind), repeat)
    read_ms, back = timed(lambda: reference_read(element[0]), repeat)
    assert back == kind
    print(f"  floor, bare lxml walk (no metadata): build {build_ms:.3f} ms, read {read_ms:.3f} ms")


def _reference_element(kind: object) -> etree._Element:
    root = etree.Element(f"{{{cosem.COSEM_NS}}}data")
    reference_build(root, kind)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2880)
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    small = cosem.encode_apdu(cosem.get_request(8, "0.0.1.0.0.255", 2))
    run("get-request-normal (clock)", small, max(args.repeat, 50))
    profile = load_profile_response(args.rows)
    run(f"get-response, {args.rows}-row load profile", profile, args.repeat)
    reference(cosem.decode_apdu(profile), args.repeat)


if __name__ == "__main__":
    main()
