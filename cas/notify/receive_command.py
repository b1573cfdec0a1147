"""``cas receive``: a subscriber to point a ReplyAddress at, for trying the gateway out.

It accepts the EventMessages and ResponseMessages the gateway POSTs, prints one line per
message and device result, optionally saves each body, and answers a ResponseMessage with
Result OK (CorrelationID = the received MessageID), which is what the gateway's outbox
waits for.
"""

from __future__ import annotations

import argparse
from pathlib import Path

NS = {
    "mes": "http://iec.ch/TC57/2011/schema/message",
    "dev": "http://iec.ch/TC13/2014/schema/DeviceAccess",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--save", default=None, help="folder to save each message body in")


def summarize(body: bytes) -> tuple[str | None, list[str]]:
    """What arrived: its MessageID, and lines: the message kind and ids, one per result."""
    from lxml import etree

    from cas.messages import XmlLimits
    from cas.messages.xml_parsing import parse_xml

    root = parse_xml(body, XmlLimits())
    header = root.find(".//mes:Header", NS)
    if header is None:
        return None, ["(not a CAS message)"]
    text = {
        name: header.findtext(f"mes:{name}", namespaces=NS)
        for name in ("Verb", "Noun", "MessageID", "CorrelationID")
    }
    properties = {
        p.findtext("mes:Name", namespaces=NS): p.findtext("mes:Value", namespaces=NS)
        for p in header.iterfind("mes:Property", NS)
    }
    kind = etree.QName(header.getparent()).localname
    lines = [
        f"{kind} {text['Verb']} {text['Noun']} MessageID={text['MessageID']}"
        f" CorrelationID={text['CorrelationID']}"
        + "".join(f" {name}={value}" for name, value in properties.items())
    ]
    for index, access in enumerate(root.iterfind(".//dev:CosemAccess", NS)):
        for result in access.iterfind("dev:CosemAccessResult", NS):
            outcome = result[0] if len(result) else None
            if outcome is None:
                what = "(empty)"
            elif etree.QName(outcome).localname == "errorResult":
                what = f"errorResult {outcome.findtext('dev:code', namespaces=NS)}"
            else:
                leaves = [e for e in outcome.iter() if len(e) == 0 and e.text]
                what = etree.QName(outcome).localname + "".join(
                    f" {etree.QName(e).localname}={e.text}" for e in leaves[-2:]
                )
            lines.append(
                f"  access {index} device {result.get('DeviceID')} at {result.get('Activated')}:"
                f" {what}"
            )
    return text["MessageID"], lines


def run(args: argparse.Namespace) -> int:
    import uvicorn

    save = Path(args.save) if args.save else None
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
    app = receiver_app(save)
    print(f"receiving on http://{args.host}:{args.port}/ (Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def receiver_app(save: Path | None):
    """The ASGI app: every POST is printed (and saved) and answered Result OK."""
    from cas.messages import MessageError, build_response, content_type, render_response
    from cas.messages.namespaces import SoapVersion

    counter = 0

    async def app(scope, receive, send):
        nonlocal counter
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] != "POST":
            await _answer(send, 405, b"POST CAS messages here\n", "text/plain")
            return
        try:
            message_id, lines = summarize(body)
        except MessageError as error:
            await _answer(send, 400, f"{error}\n".encode(), "text/plain")
            return
        counter += 1
        print("\n".join(lines), flush=True)
        if save is not None:
            (save / f"{counter:06d}.xml").write_bytes(body)
        message_id = (
            lines[0].split("MessageID=")[1].split()[0] if "MessageID=" in lines[0] else None
        )
        reply = build_response(None, noun="DeviceAccess", correlation_id=message_id)
        await _answer(
            send, 200, render_response(reply, SoapVersion.V12), content_type(SoapVersion.V12)
        )

    return app


async def _answer(send, status: int, body: bytes, media_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", media_type.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
