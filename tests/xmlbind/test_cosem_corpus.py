"""On COSEM APDUs and Data values (published vectors, the README's examples and
hypothesis-generated values of every kind and variant) the fast reader and writer give
exactly what xsdata's parser and serializers give."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from cas import cosem
from generated import cosem as m
from tests.cosem.strategies import ALL_APDUS, data_values
from tests.cosem.test_acse import AARE_CIPHERED, AARE_LLS, AARE_REFUSED, AARQ_CIPHERED, AARQ_LLS
from tests.cosem.test_apdus import GET_CLOCK, GET_GPRS, GET_GPRS_RESPONSE

from .equivalence import assert_reads_alike, assert_round_trips_alike

NS = cosem.COSEM_NS
NSMAPS = [{None: NS}, {"cos": NS}]
README = Path(cosem.__file__).with_name("README.md")

VECTORS = {
    "get-clock": GET_CLOCK,
    "get-gprs": GET_GPRS,
    "get-gprs-response": GET_GPRS_RESPONSE,
    "aarq-lls": AARQ_LLS,
    "aare-lls": AARE_LLS,
    "aare-refused": AARE_REFUSED,
    "aarq-ciphered": AARQ_CIPHERED,
    "aare-ciphered": AARE_CIPHERED,
    "unnamed-data-access-result": bytes.fromhex("C401C10107"),
    "data-notification-no-time": bytes.fromhex("0F0000000100120005"),
    "exception-invocation-counter": bytes.fromhex("D8010600000100"),
    "confirmed-service-error": bytes.fromhex("0E010601"),
}


@pytest.mark.parametrize("name", list(VECTORS))
@pytest.mark.parametrize("nsmap", NSMAPS, ids=["default", "cos"])
def test_published_vectors(name, nsmap):
    assert_round_trips_alike(cosem.decode_apdu(VECTORS[name]), nsmap)


def _readme_examples() -> list[str]:
    return re.findall(r"```xml\n(.*?)```", README.read_text(), flags=re.DOTALL)


@pytest.mark.parametrize("index", range(2))
def test_the_readme_examples(index):
    text = _readme_examples()[index]
    element = etree.fromstring(text)
    clazz = {"get-request": m.GetRequest, "get-response": m.GetResponse}[
        etree.QName(element).localname
    ]
    assert_round_trips_alike(assert_reads_alike(element, clazz), {None: NS})


@pytest.mark.parametrize(
    ("xml", "clazz"),
    [  # lexical forms the writer never produces but the schema accepts
        (
            f'<data xmlns="{NS}"><array>\n  <octet-string> 0a0B\n </octet-string>'
            "<long-unsigned> 7 </long-unsigned><boolean> 1 </boolean><boolean>0</boolean>"
            "<float32>1e0</float32><float64>-INF</float64><float64>+1.50</float64>"
            "<enum>003</enum><visible-string>  a  b  </visible-string>"
            "<utf8-string/><octet-string/><visible-string/></array></data>",
            m.Data,
        ),
        (
            f'<data xmlns="{NS}"><!-- c --><structure><?pi x?><null-data/></structure></data>',
            m.Data,
        ),
        (
            f'<set-response xmlns="{NS}"><set-response-normal>'
            "<invoke-id-and-priority>1</invoke-id-and-priority><result>250</result>"
            "</set-response-normal></set-response>",
            m.SetResponse,
        ),
        (
            f'<aarq xmlns="{NS}"><application-context-name>2.16.756.5.8.1.1'
            "</application-context-name><user-information><initiate-request>"
            "<proposed-dlms-version-number>6</proposed-dlms-version-number>"
            "<proposed-conformance> get  set\n action </proposed-conformance>"
            "<client-max-receive-pdu-size>65535</client-max-receive-pdu-size>"
            "</initiate-request></user-information></aarq>",
            m.Aarq,
        ),
    ],
)
def test_lexical_variants_read_alike(xml, clazz):
    assert_reads_alike(etree.fromstring(xml), clazz)


@pytest.mark.parametrize("name", list(ALL_APDUS))
def test_generated_apdus(name):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ALL_APDUS[name], st.sampled_from(NSMAPS))
    def check(apdu, nsmap):
        assert_round_trips_alike(cosem.decode_apdu(cosem.encode_apdu(apdu)), nsmap)

    check()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data_values, st.sampled_from(NSMAPS))
def test_generated_data_values(kind, nsmap):
    assert_round_trips_alike(m.Data(choice=kind), nsmap)
