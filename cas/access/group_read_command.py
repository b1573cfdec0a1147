"""``cas group-read``: read one attribute of every meter of a device group, with progress.

A web-service client like any other: it creates a one-shot DeviceAccess on the group
(GroupReference, Activates now), follows its progress in the ResourceDirectory (a progress bar
on stderr), then pages through the results with get DeviceAccess and writes one CSV line per
meter (device, executed at, outcome, value or error). Ctrl-C cancels the group access.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import uuid
from datetime import UTC, datetime

NS = {
    "soap": "http://www.w3.org/2003/05/soap-envelope",
    "mes": "http://iec.ch/TC57/2011/schema/message",
    "dev": "http://iec.ch/TC13/2014/schema/DeviceAccess",
    "cos": "http://www.dlms.com/COSEMpdu",
}
_ENVELOPE = (
    '<soap:Envelope xmlns:soap="{soap}" xmlns:mes="{mes}" xmlns:dev="{dev}" xmlns:cos="{cos}">'
    "<soap:Body><mes:RequestMessage><mes:Header><mes:Verb>{{verb}}</mes:Verb>"
    "<mes:Noun>{{noun}}</mes:Noun><mes:Timestamp>{{now}}</mes:Timestamp>"
    "<mes:MessageID>{{mid}}</mes:MessageID>{{properties}}</mes:Header>{{request}}{{payload}}"
    "</mes:RequestMessage></soap:Body></soap:Envelope>"
).format(**NS)
FINAL = {
    "FINISHED",
    "CANCELLED",
    "ITERATION-OK",
    "ITERATION-FAILED",
    "ITERATION-NOT-COMPLETED",
    "ITERATION-EMPTY",
    "ITERATION-STOPPED",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="http://127.0.0.1:8080/cas", help="the CAS endpoint")
    parser.add_argument("--user", help="NAME:PASSWORD for HTTP Basic")
    parser.add_argument("--api-key", help="sent as X-API-Key")
    parser.add_argument("--csv", default="-", help="where to write results (default stdout)")
    parser.add_argument("--priority", type=int, default=4, help="0..255, higher runs first")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument(
        "--no-retry", action="store_true", help="report unreachable meters at once (BypassRetry)"
    )
    parser.add_argument("group", help="GroupID, e.g. DG_ALL_METERS")
    parser.add_argument("class_id", type=int)
    parser.add_argument("obis", help="e.g. 1.0.1.8.0.255")
    parser.add_argument("attribute", type=int)


def message(
    verb: str, noun: str, *, request: str = "", payload: str = "", bypass_retry: bool = False
) -> bytes:
    properties = (
        "<mes:Property><mes:Name>BypassRetry</mes:Name><mes:Value>true</mes:Value></mes:Property>"
        if bypass_retry
        else ""
    )
    return _ENVELOPE.format(
        verb=verb,
        noun=noun,
        properties=properties,
        now=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        mid=uuid.uuid4(),
        request=f"<mes:Request>{request}</mes:Request>" if request else "",
        payload=f"<mes:Payload>{payload}</mes:Payload>" if payload else "",
    ).encode()


def group_access(group: str, class_id: int, obis: str, attribute: int, priority: int) -> str:
    instance = bytes(int(part) for part in obis.split(".")).hex().upper()
    if len(instance) != 12:
        raise ValueError(f"not an OBIS code (A.B.C.D.E.F): {obis!r}")
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'<mes:DeviceAccess><dev:DevicesReferenceList><dev:GroupReference GroupID="{group}"/>'
        "</dev:DevicesReferenceList><dev:CosemAccessList><dev:CosemAccess>"
        "<dev:CosemAccessDescriptor><dev:CosemXDLMSDescriptor><cos:get-request>"
        "<cos:get-request-normal><cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>"
        f"<cos:cosem-attribute-descriptor><cos:class-id>{class_id}</cos:class-id>"
        f"<cos:instance-id>{instance}</cos:instance-id><cos:attribute-id>{attribute}"
        "</cos:attribute-id></cos:cosem-attribute-descriptor></cos:get-request-normal>"
        "</cos:get-request></dev:CosemXDLMSDescriptor></dev:CosemAccessDescriptor>"
        f"</dev:CosemAccess></dev:CosemAccessList><dev:Priority>{priority}</dev:Priority>"
        f"<dev:Activates>{now}</dev:Activates></mes:DeviceAccess>"
    )


class CasClient:
    def __init__(self, url: str, user: str | None, api_key: str | None) -> None:
        import httpx

        headers = {"content-type": "application/soap+xml; charset=utf-8"}
        if api_key:
            headers["x-api-key"] = api_key
        auth = tuple(user.split(":", 1)) if user else None
        self.http = httpx.Client(headers=headers, auth=auth, timeout=120)
        self.url = url

    def call(self, body: bytes):
        from lxml import etree

        response = self.http.post(self.url, content=body)
        root = etree.fromstring(response.content)
        result = root.findtext(".//mes:Reply/mes:Result", namespaces=NS)
        if response.status_code != 200 or result in (None, "FAILED"):
            errors = [
                e.findtext("mes:reason", namespaces=NS) or e.findtext("mes:code", namespaces=NS)
                for e in root.iterfind(".//mes:Error", NS)
            ]
            raise RuntimeError(f"HTTP {response.status_code}: {'; '.join(filter(None, errors))}")
        return root, result


def progress_line(done: int, failed: int, pending: int, width: int = 30) -> str:
    total = done + failed + pending
    share = (done + failed) / total if total else 1.0
    filled = round(share * width)
    return (
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done + failed}/{total}"
        f"  ok {done}  failed {failed}  pending {pending}"
    )


def result_rows(root):
    """(device, activated, outcome, detail) for each CosemAccessResult in a reply."""
    from lxml import etree

    for result in root.iterfind(".//dev:CosemAccessResult", NS):
        kind = etree.QName(result[0]).localname if len(result) else "empty"
        if kind == "errorResult":
            detail = f"{result.findtext('.//dev:code', namespaces=NS)} " + (
                result.findtext(".//dev:reason", namespaces=NS) or ""
            )
        else:
            data = result.find(".//cos:data", NS)
            leaves = [e for e in data.iter() if len(e) == 0] if data is not None else []
            if leaves:
                detail = " ".join(f"{etree.QName(e).localname}={e.text or ''}" for e in leaves)
            else:
                failure = result.find(".//cos:data-access-result", NS)
                detail = "" if failure is None else f"data-access-result={failure.text}"
        yield result.get("DeviceID"), result.get("Activated"), kind, detail.strip()


def run(args: argparse.Namespace) -> int:
    try:
        payload = group_access(args.group, args.class_id, args.obis, args.attribute, args.priority)
    except ValueError as error:
        print(f"cas group-read: {error}", file=sys.stderr)
        return 2
    client = CasClient(args.url, args.user, args.api_key)
    try:
        created = client.call(
            message("create", "DeviceAccess", payload=payload, bypass_retry=args.no_retry)
        )
        resource_id = created[0].findtext(".//mes:Reply/mes:ID", namespaces=NS)
    except Exception as error:
        print(f"cas group-read: {error}", file=sys.stderr)
        return 1
    print(f"group access {resource_id} on {args.group}", file=sys.stderr)
    try:
        status = follow(client, resource_id)
    except KeyboardInterrupt:
        client.call(message("cancel", "DeviceAccess", request=f"<mes:ID>{resource_id}</mes:ID>"))
        print(f"\ncancelled {resource_id}", file=sys.stderr)
        return 130
    failed = write_results(client, resource_id, args)
    print(f"{resource_id}: {status}, {failed} failed", file=sys.stderr)
    return 1 if failed else 0


def follow(client: CasClient, resource_id: str) -> str:
    """Show progress until the group access is over; returns its final status."""
    while True:
        root, _ = client.call(
            message("get", "ResourceDirectory", request=f"<mes:ID>{resource_id}</mes:ID>")
        )
        entry = root.find(".//dev:Resource", NS)
        status = entry.findtext("dev:ResourceStatus", namespaces=NS) if entry is not None else ""
        counts = [
            int(entry.findtext(f"dev:Progress/dev:{name}", namespaces=NS) or 0)
            if entry is not None
            else 0
            for name in ("Done", "Failed", "Pending")
        ]
        print(progress_line(*counts), end="", file=sys.stderr, flush=True)
        if status in FINAL:
            print(file=sys.stderr)
            return status
        time.sleep(0.5)


def write_results(client: CasClient, resource_id: str, args: argparse.Namespace) -> int:
    out = sys.stdout if args.csv == "-" else open(args.csv, "w", newline="")  # noqa: SIM115
    failed = 0
    try:
        writer = csv.writer(out)
        writer.writerow(["device", "activated", "outcome", "value"])
        after = None
        while True:
            options = f"<mes:Option><mes:name>PageSize</mes:name><mes:value>{args.page_size}"
            options += "</mes:value></mes:Option>"
            if after:
                options += f"<mes:Option><mes:name>After</mes:name><mes:value>{after}"
                options += "</mes:value></mes:Option>"
            root, _ = client.call(
                message("get", "DeviceAccess", request=f"{options}<mes:ID>{resource_id}</mes:ID>")
            )
            for row in result_rows(root):
                failed += row[2] != "XDLMSResult"
                writer.writerow(row)
            after = None
            for identifier in root.iterfind(".//mes:Reply/mes:ID", NS):
                if identifier.get("idType") == "NextPage":
                    after = identifier.text
            if after is None:
                return failed
    finally:
        if out is not sys.stdout:
            out.close()
