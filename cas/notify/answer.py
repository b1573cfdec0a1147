"""What a subscriber's answer means: delivered, or why the attempt failed.

The CAS spec has the subscriber answer an EventMessage (or an asynchronous reply) with a
ResponseMessage whose Reply/Result is OK; that, with an HTTP 2xx status, is the only answer
that counts as delivered. Everything else is a failed attempt that is retried: an empty 2xx
body, a Result FAILED or PARTIAL, a SOAP Fault, unreadable XML, any other status. Redirects
are not followed (a 3xx is a failure): the message goes only to the address it was given.
"""

from __future__ import annotations

from cas.messages import MessageError, ParsedResponse, parse_response

MAX_QUOTED = 200  # characters of the subscriber's own text kept in an error


def judge_answer(status: int, body: bytes) -> str | None:
    """None when the answer accepts the message, else a short reason (no message content)."""
    if 300 <= status < 400:
        return f"HTTP {status}: redirect not followed"
    success = 200 <= status < 300
    if not body.strip():
        return f"HTTP {status} with an empty body" + (
            " (a ResponseMessage with Result OK is expected)" if success else ""
        )
    try:
        parsed = parse_response(body)
    except MessageError as error:
        return f"HTTP {status}, unreadable answer: {quoted(error.reason)}"
    if success and parsed.ok:
        return None
    return f"HTTP {status}, {describe(parsed)}"


def describe(parsed: ParsedResponse) -> str:
    if parsed.fault is not None:
        return f"SOAP Fault: {quoted(parsed.fault)}"
    errors = "; ".join(f"{code} {reason or ''}".strip() for code, reason in parsed.errors)
    return f"Result {parsed.result}" + (f": {quoted(errors)}" if errors else "")


def quoted(text: str) -> str:
    """The subscriber's text, on one line and bounded."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 1] + "…"
