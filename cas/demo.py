"""``cas demo``: simulated meters + the gateway on the embedded default, one example request.

Starts N simulated meters and ``cas serve`` in one process, writes the registry and a
ready-to-paste SOAP request into a folder, sends that request once itself and prints what
came back, then keeps serving until Ctrl-C (or exits with ``--once``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

REQUEST_TEMPLATE = """\
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"
               xmlns:mes="http://iec.ch/TC57/2011/schema/message"
               xmlns:dev="http://iec.ch/TC13/2014/schema/DeviceAccess"
               xmlns:cos="http://www.dlms.com/COSEMpdu">
  <soap:Body>
    <mes:RequestMessage>
      <mes:Header>
        <mes:Verb>create</mes:Verb>
        <mes:Noun>DeviceAccess</mes:Noun>
        <mes:Timestamp>{timestamp}</mes:Timestamp>
        <mes:MessageID>demo-1</mes:MessageID>
      </mes:Header>
      <mes:Payload>
        <mes:DeviceAccess>
          <dev:DevicesReferenceList>
{references}
          </dev:DevicesReferenceList>
          <dev:CosemAccessList>
            <dev:CosemAccess><dev:CosemAccessDescriptor><dev:CosemXDLMSDescriptor>
              <cos:get-request><cos:get-request-normal>
                <cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>
                <cos:cosem-attribute-descriptor>
                  <cos:class-id>8</cos:class-id>
                  <cos:instance-id>0000010000FF</cos:instance-id>
                  <cos:attribute-id>2</cos:attribute-id>
                </cos:cosem-attribute-descriptor>
              </cos:get-request-normal></cos:get-request>
            </dev:CosemXDLMSDescriptor></dev:CosemAccessDescriptor></dev:CosemAccess>
            <dev:CosemAccess><dev:CosemAccessDescriptor><dev:CosemXDLMSDescriptor>
              <cos:get-request><cos:get-request-normal>
                <cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>
                <cos:cosem-attribute-descriptor>
                  <cos:class-id>3</cos:class-id>
                  <cos:instance-id>0100010800FF</cos:instance-id>
                  <cos:attribute-id>2</cos:attribute-id>
                </cos:cosem-attribute-descriptor>
              </cos:get-request-normal></cos:get-request>
            </dev:CosemXDLMSDescriptor></dev:CosemAccessDescriptor></dev:CosemAccess>
          </dev:CosemAccessList>
        </mes:DeviceAccess>
      </mes:Payload>
    </mes:RequestMessage>
  </soap:Body>
</soap:Envelope>
"""
NS = {
    "mes": "http://iec.ch/TC57/2011/schema/message",
    "dev": "http://iec.ch/TC13/2014/schema/DeviceAccess",
    "cos": "http://www.dlms.com/COSEMpdu",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--meters", type=int, default=10, help="simulated meters (10)")
    parser.add_argument("--port", type=int, default=8080, help="gateway HTTP port (8080)")
    parser.add_argument("--transport", default="wrapper", choices=["wrapper", "hdlc"])
    parser.add_argument("--security", default="hls-gmac", choices=["none", "low", "hls-gmac"])
    parser.add_argument("--dir", default="cas-demo", help="where files go (./cas-demo)")
    parser.add_argument("--once", action="store_true", help="send the example and exit")
    parser.add_argument(
        "--groups", default=None, metavar="DIR", help="device group files (./device_groups)"
    )


def example_request(device_ids: list[str], now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    references = "\n".join(
        f'            <dev:DeviceReference DeviceID="{device}"/>' for device in device_ids
    )
    return REQUEST_TEMPLATE.format(timestamp=moment, references=references)


def summarize(response: bytes) -> list[str]:
    """One line per device: what the example request read."""
    from lxml import etree

    from cas.cosem import date_time_from_bytes

    root = etree.fromstring(response)
    lines = [f"Reply/Result: {root.findtext('.//mes:Reply/mes:Result', namespaces=NS)}"]
    clock, energy = root.findall(".//dev:CosemAccessList/dev:CosemAccess", NS)[:2]
    for clock_result, energy_result in zip(
        clock.findall("dev:CosemAccessResult", NS),
        energy.findall("dev:CosemAccessResult", NS),
        strict=True,
    ):
        stamp = clock_result.findtext(".//cos:octet-string", namespaces=NS)
        value = energy_result.findtext(".//cos:double-long-unsigned", namespaces=NS)
        error = clock_result.findtext(".//dev:reason", namespaces=NS)
        when = date_time_from_bytes(bytes.fromhex(stamp)).isoformat() if stamp else error
        lines.append(
            f"  meter {clock_result.get('DeviceID')}: clock {when}, active energy import {value} Wh"
        )
    return lines


def run(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s")
    if not 1 <= args.meters <= 5000:
        print("cas demo: --meters must be 1..5000", file=sys.stderr)
        return 2
    from cas.registry.group_files import GroupFileError, startup_groups

    try:
        args.groups_dir, args.device_groups = startup_groups(args.groups)
    except GroupFileError as error:
        print(f"cas demo: {error}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_demo(args))
    except KeyboardInterrupt:
        return 0
    except OSError as error:
        print(f"cas demo: {error}", file=sys.stderr)
        return 1


async def _demo(args: argparse.Namespace) -> int:
    import asyncio
    import socket

    import httpx
    import uvicorn

    from cas.api.app import ENDPOINT, create_app
    from cas.gateway import Gateway
    from cas.registry import Registry
    from cas.simulator import MeterFleet
    from cas.store.groups import group_store, put_groups
    from cas.store.sqlite import SqliteStore

    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    fleet = MeterFleet(count=args.meters, transport=args.transport, security=args.security)
    async with fleet:
        registry_path = folder / "registry.yaml"
        fleet.write_registry(registry_path)
        store = await SqliteStore.open(folder / "cas.db")
        await put_groups(group_store(store), args.device_groups)
        gateway = Gateway(Registry(fleet.meters), store)
        await gateway.start()
        app = create_app(gateway.service, health=gateway.health, on_shutdown=gateway.close)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", args.port))
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if serving.done():
                return serving.result() or 1
            await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{port}{ENDPOINT}"
        request_path = folder / "example-request.xml"
        request_path.write_text(example_request([m.system_title for m in fleet.meters[:3]]))
        print(fleet.describe())
        print(f"registry: {registry_path}   state: {folder / 'cas.db'}")
        print(f"CAS gateway: SOAP endpoint {url}   WSDL {url}?wsdl")
        if args.device_groups:
            names = ", ".join(group.id for group in args.device_groups)
            print(f"device groups from {args.groups_dir}: {names} (get DeviceGroup lists them)")
        async with httpx.AsyncClient(timeout=60) as client:
            response = await client.post(
                url,
                content=request_path.read_bytes(),
                headers={"content-type": "application/soap+xml; charset=utf-8"},
            )
        (folder / "example-response.xml").write_bytes(response.content)
        print(f"\nExample request {request_path} -> HTTP {response.status_code}:")
        print("\n".join(summarize(response.content)))
        print(f"(whole response in {folder / 'example-response.xml'})\n")
        print("Send it yourself:")
        print(
            f"  curl -s -H 'Content-Type: application/soap+xml' --data-binary @{request_path} {url}"
        )
        if args.once:
            server.should_exit = True
        else:
            print("\nServing; Ctrl-C stops.", flush=True)
        await serving
        sock.close()
    return 0 if response.status_code == 200 else 1
