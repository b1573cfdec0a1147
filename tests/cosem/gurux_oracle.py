"""gurux's GXDLMSTranslator (standard XML) as an independent decoder to compare against,
reduced to comparable leaves: (element path, normalized text).

Normalizations, for differences in form only: gurux writes booleans as True/0/1, floats as
their octets in hex, utf8-string as spaced hex, bcd as the unsigned octet, value-list items
wrapped in <Data>, and a few element names of its own (listed in RENAMED)."""

from __future__ import annotations

import contextlib
import io
import struct

from gurux_dlms import GXByteBuffer, GXDLMSTranslator
from gurux_dlms.enums import TranslatorOutputType
from lxml import etree

from cas import cosem

RENAMED = {
    "get-response-with-data-block": "get-response-with-datablock",
    "confirmedServiceError": "confirmed-service-error",
}
UNWRAPPED = {"Data"}  # gurux wraps SEQUENCE OF Data items; the schema does not


def gurux_leaves(raw: bytes) -> list[tuple[str, str]]:
    translator = GXDLMSTranslator(TranslatorOutputType.STANDARD_XML)
    translator.comments = False
    with contextlib.redirect_stdout(io.StringIO()):
        text = translator.pduToXml(GXByteBuffer(bytearray(raw)))
    text = text.replace("float64,", "float64")  # gurux's element name is not well-formed
    wrapper = etree.fromstring(text.encode("utf-8"))
    return _leaves(wrapper[0], "")


def our_leaves(raw: bytes) -> list[tuple[str, str]]:
    return _leaves(cosem.apdu_to_element(cosem.decode_apdu(raw)), "")


def _leaves(element: etree._Element, path: str) -> list[tuple[str, str]]:
    name = etree.QName(element).localname
    name = RENAMED.get(name, name)
    if name in UNWRAPPED:
        return [leaf for child in element for leaf in _leaves(child, path)]
    path = f"{path}/{name}"
    if len(element) == 0:
        return [(path, _normalized(name, element))]
    return [leaf for child in element for leaf in _leaves(child, path)]


def _normalized(name: str, element: etree._Element) -> str:
    text = (element.text or "").strip()
    if name in ("boolean", "last-block"):
        return {"true": "true", "1": "true", "false": "false", "0": "false"}[text.lower()]
    if name in ("float32", "float64"):
        if element.get("bits"):
            return element.get("bits")
        size = 4 if name == "float32" else 8
        if len(text) == 2 * size and all(c in "0123456789ABCDEF" for c in text):
            return text  # gurux: the octets
        return struct.pack(">f" if size == 4 else ">d", float(text)).hex().upper()
    if name == "utf8-string":
        if element.get("hex") == "true" or " " in text:
            return text.replace(" ", "").upper()
        return text.encode("utf-8").hex().upper()
    if name == "bcd":
        return str(int(text) & 0xFF)
    return text
