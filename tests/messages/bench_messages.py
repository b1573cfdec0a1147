"""Cost of the message layer for one typical on-demand request.

Run: python tests/messages/bench_messages.py [rounds]

Request: create DeviceAccess, one device, one get-request-normal of the clock (SOAP 1.2).
Response: ResponseMessage echoing the access with one CosemAccessResult carrying a
get-response-normal with the clock's date-time. Prints p50/p99 in microseconds per step.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from cas.messages import build_response, parse_request, render_response
from cas.messages.binding import bind, to_xml, xsdata_bind, xsdata_xml
from cas.messages.header import OPERATIONS, check_header
from cas.messages.normalize import normalize_message
from cas.messages.soap import open_envelope
from cas.messages.validation import validate
from cas.messages.xml_parsing import parse_xml
from generated.message import RequestMessage
from tests.messages.samples import clock_result, soap_request


def measure(label: str, function, rounds: int) -> float:
    for _ in range(50):
        function()
    samples = []
    gc.disable()
    try:
        for _ in range(rounds):
            started = time.perf_counter_ns()
            function()
            samples.append((time.perf_counter_ns() - started) / 1000)
    finally:
        gc.enable()
    samples.sort()
    p50 = statistics.median(samples)
    p99 = samples[int(len(samples) * 0.99) - 1]
    print(f"{label:<44} p50 {p50:8.1f} us   p99 {p99:8.1f} us")
    return p50


def main(rounds: int = 2000) -> None:
    body = soap_request()
    request = parse_request(body)
    payload = clock_result(request.payload)
    moment = datetime(2024, 5, 1, 12, 0, 1, tzinfo=UTC)

    def steps_until(step: int, binder=bind):
        def run():
            root = parse_xml(body)
            _, message = open_envelope(root)
            if step == 1:
                return
            check_header(message, OPERATIONS, request.soap_version)
            normalize_message(message)
            if step == 2:
                return
            validate(message)
            if step == 3:
                return
            binder(message, RequestMessage)

        return run

    def render():
        response = build_response(request.header, ids=["R-1"], payload=payload, timestamp=moment)
        return render_response(response, request.soap_version)

    print(f"request {len(body)} bytes, response {len(render())} bytes, {rounds} rounds")
    parse = measure("parse (hardened lxml) + SOAP envelope", steps_until(1), rounds)
    header = measure("  + header checks + normalization", steps_until(2), rounds)
    valid = measure("  + XSD validation", steps_until(3), rounds)
    bound = measure("  + binding (xmlbind fast reader)", steps_until(4), rounds)
    xsdata_bound = measure("  same with xsdata's parser", steps_until(4, xsdata_bind), rounds)
    full = measure("parse_request (everything)", lambda: parse_request(body), rounds)
    out = measure("build_response + render_response", render, rounds)
    response = build_response(request.header, payload=payload, timestamp=moment)
    serialize_only = measure(
        "  of which serialization (xmlbind writer)", lambda: to_xml(response), rounds
    )
    xsdata_only = measure("  same with xsdata's serializer", lambda: xsdata_xml(response), rounds)
    print(
        f"steps p50: parse {parse:.0f}, header+normalize {header - parse:.0f}, "
        f"validate {valid - header:.0f}, bind {bound - valid:.0f} "
        f"(xsdata {xsdata_bound - valid:.0f}); "
        f"render {out:.0f} (serialize {serialize_only:.0f}, xsdata {xsdata_only:.0f}); "
        f"request+response {full + out:.0f} us of the 1000 us budget"
    )
    fast_bind, slow_bind = bound - valid, xsdata_bound - valid
    if fast_bind > 0:
        print(
            f"same run, fast path vs xsdata: binding x{slow_bind / fast_bind:.1f}, "
            f"serialization x{xsdata_only / serialize_only:.1f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
