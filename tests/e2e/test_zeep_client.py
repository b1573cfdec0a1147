"""A standard SOAP client (zeep), built from the WSDL the gateway serves, reads a meter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import zeep

from cas.simulator import MeterFleet, readings
from tests.support.gateway import running_gateway


def call_with_zeep(wsdl_url: str, port: str, title: str):
    client = zeep.Client(wsdl_url)
    service = client.bind("CAS", port)
    header = {
        "Verb": "create",
        "Noun": "DeviceAccess",
        "Timestamp": datetime.now(UTC),
        "MessageID": f"zeep-{port}",
    }
    get_energy = {
        "get-request": {
            "get-request-normal": {
                "invoke-id-and-priority": 193,
                "cosem-attribute-descriptor": {
                    "class-id": 3,
                    "instance-id": "0100010800FF",
                    "attribute-id": 2,
                },
            }
        }
    }
    payload = {
        "DeviceAccess": {
            "DevicesReferenceList": {"DeviceReference": [{"DeviceID": title}]},
            "CosemAccessList": {
                "CosemAccess": [{"CosemAccessDescriptor": {"CosemXDLMSDescriptor": get_energy}}]
            },
        }
    }
    return service.Request(Header=header, Payload=payload)


async def test_zeep_from_the_served_wsdl_reads_the_energy_register():
    async with MeterFleet(count=1) as fleet, running_gateway(fleet.meters) as gateway:
        title = fleet.meters[0].system_title
        for port in ("CAS_Port_Soap12", "CAS_Port_Soap11"):
            before = datetime.now(UTC)
            result = await asyncio.to_thread(call_with_zeep, f"{gateway.url}?wsdl", port, title)
            after = datetime.now(UTC)
            assert result.Header.Verb == "reply"
            assert result.Header.CorrelationID == f"zeep-{port}"
            assert result.Reply.Result == "OK"
            (access,) = result.Payload.DeviceAccess.CosemAccessList.CosemAccess
            (device_result,) = access.CosemAccessResult
            assert device_result.DeviceID == title
            normal = device_result.XDLMSResult["get-response"]["get-response-normal"]
            value = normal["result"]["data"]["double-long-unsigned"]["_value_1"]
            expected = {readings.energy_import_wh(title, moment) for moment in (before, after)}
            assert value in expected
