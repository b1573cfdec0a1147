"""Hardened parsing: every unsafe or malformed body is refused with a typed error."""

from __future__ import annotations

import time

import pytest

from cas.messages.errors import ForbiddenXml, MessageTooLarge, NotWellFormed, TooDeep
from cas.messages.namespaces import SoapVersion
from cas.messages.xml_parsing import XmlLimits, parse_xml

from .samples import BILLION_LAUGHS


def test_plain_xml_is_parsed_without_comments_or_pis():
    root = parse_xml(b"<?xml version='1.0'?><a><!-- c --><?pi x?><b>1</b></a>")
    assert [child.tag for child in root] == ["b"]


@pytest.mark.parametrize(
    "body",
    [b"", b"not xml at all", b"<a><b></a>", b'{"json": true}', b"<a>&undefined;</a>"],
)
def test_not_xml_is_refused(body):
    with pytest.raises(NotWellFormed) as caught:
        parse_xml(body)
    assert caught.value.code.code == "1.8"
    assert caught.value.http_status == 400


def test_billion_laughs_is_refused_at_once():
    started = time.perf_counter()
    with pytest.raises(ForbiddenXml):
        parse_xml(BILLION_LAUGHS)
    assert time.perf_counter() - started < 0.5


def test_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]><r>&xxe;</r>'
    ).encode()
    with pytest.raises(ForbiddenXml) as caught:
        parse_xml(body)
    assert "TOP SECRET" not in str(caught.value)


def test_external_dtd_is_refused():
    body = b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd"><r/>'
    with pytest.raises(ForbiddenXml):
        parse_xml(body)


def test_doctype_in_utf16_is_refused_after_parsing():
    body = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>'
    with pytest.raises(ForbiddenXml):
        parse_xml(body.encode("utf-16"))


def test_over_the_size_limit_is_refused_before_parsing():
    body = b"<a>" + b"x" * 2000 + b"</a>"
    with pytest.raises(MessageTooLarge) as caught:
        parse_xml(body, XmlLimits(max_bytes=1000), soap_version=SoapVersion.V11)
    error = caught.value
    assert (error.size, error.limit, error.http_status) == (len(body), 1000, 413)
    assert error.soap_version is SoapVersion.V11
    parse_xml(body, XmlLimits(max_bytes=len(body)))  # exactly at the limit is fine


def test_nesting_deeper_than_the_limit_is_refused():
    def nested(depth: int) -> bytes:
        return b"<a>" * depth + b"</a>" * depth

    parse_xml(nested(10), XmlLimits(max_depth=10))
    with pytest.raises(TooDeep):
        parse_xml(nested(11), XmlLimits(max_depth=10))
    with pytest.raises(TooDeep):  # libxml2's own limit is hit before ours: still TooDeep
        parse_xml(nested(5000))
