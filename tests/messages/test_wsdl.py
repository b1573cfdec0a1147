"""The WSDL as served, and a standard SOAP client (zeep) built from it calling the service.

zeep's transport is replaced by one that answers from this process: GET of the WSDL and
XSD URLs returns render_wsdl / render_schema, POST runs parse_request and renders the reply
(what the HTTP layer does), so the whole path a real client takes is exercised without HTTP.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import zeep
import zeep.exceptions
from lxml import etree

from cas.messages import (
    MessageError,
    build_response,
    content_type,
    parse_request,
    render_error,
    render_response,
    render_schema,
    render_wsdl,
    served_schemas,
)
from cas.messages.schema_files import schema_path
from cas.messages.wsdl import PLACEHOLDER_ADDRESS

from .samples import clock_result

ENDPOINT = "http://cas.test:8080/cas"
WSDL_NS = {
    "wsdl": "http://schemas.xmlsoap.org/wsdl/",
    "soap": "http://schemas.xmlsoap.org/wsdl/soap/",
    "soap12": "http://schemas.xmlsoap.org/wsdl/soap12/",
    "xs": "http://www.w3.org/2001/XMLSchema",
}


class InProcessTransport(zeep.Transport):
    """Serves the WSDL/XSDs and the SOAP endpoint from the message layer, no sockets."""

    def __init__(self):
        super().__init__()
        self.loaded: list[str] = []
        self.requests: list[bytes] = []

    def load(self, url):
        self.loaded.append(url)
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == ENDPOINT, url
        query = parse_qs(parts.query, keep_blank_values=True)
        if "wsdl" in query:
            return render_wsdl(ENDPOINT)
        return render_schema(query["xsd"][0], ENDPOINT)

    def post(self, address, message, headers):
        assert address == ENDPOINT
        self.requests.append(message)
        try:
            request = parse_request(message, content_type=headers.get("Content-Type"))
        except MessageError as error:
            return self._response(
                error.http_status, content_type(error.soap_version), render_error(error)
            )
        response = build_response(
            request.header, ids=["R-1"], payload=clock_result(request.payload)
        )
        body = render_response(response, request.soap_version)
        return self._response(200, content_type(request.soap_version), body)

    @staticmethod
    def _response(status, media_type, body):
        response = requests.Response()
        response.status_code = status
        response.headers["Content-Type"] = media_type
        response._content = body
        response.encoding = "utf-8"
        return response


HEADER = {
    "Verb": "create",
    "Noun": "DeviceAccess",
    "Timestamp": "2024-05-01T12:00:00Z",
    "MessageID": "z-1",
}
PAYLOAD = {
    "DeviceAccess": {
        "DevicesReferenceList": {"DeviceReference": [{"DeviceID": "4C475A0000000001"}]},
        "CosemAccessList": {
            "CosemAccess": [
                {
                    "CosemAccessDescriptor": {
                        "CosemXDLMSDescriptor": {
                            "get-request": {
                                "get-request-normal": {
                                    "invoke-id-and-priority": 64,
                                    "cosem-attribute-descriptor": {
                                        "class-id": 8,
                                        "instance-id": "0000010000FF",
                                        "attribute-id": 2,
                                    },
                                }
                            }
                        }
                    }
                }
            ]
        },
        "Priority": 5,
    }
}


def test_rendered_wsdl_has_the_endpoint_and_schema_urls():
    wsdl = etree.fromstring(render_wsdl(ENDPOINT))
    addresses = wsdl.xpath(
        "//soap:address/@location | //soap12:address/@location", namespaces=WSDL_NS
    )
    cas_ports = wsdl.xpath("wsdl:service[@name='CAS']//@location", namespaces=WSDL_NS)
    assert cas_ports == [ENDPOINT, ENDPOINT]
    assert PLACEHOLDER_ADDRESS not in addresses
    locations = wsdl.xpath("//xs:import/@schemaLocation", namespaces=WSDL_NS)
    assert locations == [f"{ENDPOINT}?xsd=message.xsd"]


def test_served_schemas_are_the_imported_files_only():
    assert served_schemas() == {"message.xsd", "device_access.xsd", "cosem.xsd"}
    message = etree.fromstring(render_schema("message.xsd", ENDPOINT))
    assert message.xpath("xs:import/@schemaLocation", namespaces=WSDL_NS) == [
        f"{ENDPOINT}?xsd=device_access.xsd"
    ]
    for name in ("../pyproject.toml", "cas.wsdl", "/etc/passwd", "nope.xsd"):
        with pytest.raises(KeyError):
            render_schema(name, ENDPOINT)


def test_zeep_loads_the_wsdl_from_local_files():
    client = zeep.Client(str(schema_path("cas.wsdl")))
    services = {service.name: list(service.ports) for service in client.wsdl.services.values()}
    assert services == {
        "CAS": ["CAS_Port_Soap12", "CAS_Port_Soap11"],
        "CASCallback": ["CASCallback_Port_Soap12", "CASCallback_Port_Soap11"],
    }
    operations = (
        client.wsdl.services["CASCallback"].ports["CASCallback_Port_Soap12"].binding._operations
    )
    assert set(operations) == {"Event", "Reply"}


@pytest.fixture(scope="module")
def served_client():
    transport = InProcessTransport()
    client = zeep.Client(f"{ENDPOINT}?wsdl", transport=transport)
    return client, transport


@pytest.mark.parametrize("port", ["CAS_Port_Soap12", "CAS_Port_Soap11"])
def test_zeep_built_from_the_served_wsdl_calls_the_service(served_client, port):
    client, transport = served_client
    assert f"{ENDPOINT}?xsd=cosem.xsd" in transport.loaded
    service = client.bind("CAS", port)
    result = service.Request(Header=HEADER, Payload=PAYLOAD)
    assert result.Header.Verb == "reply"
    assert result.Header.CorrelationID == "z-1"
    assert result.Reply.Result == "OK"
    assert result.Reply.ID[0]._value_1 == "R-1"
    sent = transport.requests[-1]
    soap_ns = (
        "http://www.w3.org/2003/05/soap-envelope"
        if port.endswith("12")
        else ("http://schemas.xmlsoap.org/soap/envelope/")
    )
    assert etree.fromstring(sent).tag == f"{{{soap_ns}}}Envelope"
    # the result APDU comes back typed through zeep, down to the clock's date-time
    (access,) = result.Payload.DeviceAccess.CosemAccessList.CosemAccess
    (device_result,) = access.CosemAccessResult
    assert device_result.DeviceID == "4C475A0000000001"
    normal = device_result.XDLMSResult["get-response"]["get-response-normal"]
    assert normal["invoke-id-and-priority"] == 64
    assert normal["result"]["data"]["date-time"]["_value_1"] == "07E80501030C0001000000FF"


def test_zeep_sees_a_fault_for_an_unknown_verb(served_client):
    client, _ = served_client
    service = client.bind("CAS", "CAS_Port_Soap12")
    with pytest.raises(zeep.exceptions.Fault) as caught:
        service.Request(Header={**HEADER, "Verb": "execute"}, Payload=PAYLOAD)
    assert "not supported for DeviceAccess" in caught.value.message


def test_missing_schema_folder_names_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("CAS_SCHEMA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="CAS_SCHEMA_DIR"):
        schema_path("cas.wsdl")
