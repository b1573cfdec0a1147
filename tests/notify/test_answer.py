"""What a subscriber's answer means (pure: status and body in, verdict out)."""

from __future__ import annotations

import pytest

from cas.messages import (
    ErrorCode,
    ErrorDetail,
    InternalError,
    SoapVersion,
    build_response,
    render_fault,
    render_response,
)
from cas.notify import judge_answer


def response(result: str, version: SoapVersion = SoapVersion.V12, errors=()) -> bytes:
    message = build_response(None, result=result, errors=errors, noun="DeviceAccess")
    return render_response(message, version)


@pytest.mark.parametrize("version", list(SoapVersion))
@pytest.mark.parametrize("status", [200, 202])
def test_a_2xx_response_message_with_result_ok_is_delivered(version, status):
    assert judge_answer(status, response("OK", version)) is None


def test_a_failed_reply_names_its_errors():
    body = response("FAILED", errors=[ErrorDetail(ErrorCode.INVALID_METER, "no such meter")])
    assert judge_answer(200, body) == "HTTP 200, Result FAILED: 2.4 no such meter"


def test_partial_is_not_ok():
    assert judge_answer(200, response("PARTIAL")) == "HTTP 200, Result PARTIAL"


def test_an_ok_reply_with_an_error_status_is_not_delivered():
    assert judge_answer(500, response("OK")) == "HTTP 500, Result OK"


def test_a_soap_fault_gives_its_reason():
    assert judge_answer(500, render_fault(InternalError("disk full"))) == (
        "HTTP 500, SOAP Fault: disk full"
    )


@pytest.mark.parametrize("body", [b"", b"  \r\n"])
def test_an_empty_2xx_answer_is_a_failure(body):
    assert judge_answer(204, body) == (
        "HTTP 204 with an empty body (a ResponseMessage with Result OK is expected)"
    )


def test_an_empty_error_answer():
    assert judge_answer(503, b"") == "HTTP 503 with an empty body"


def test_garbage_and_other_messages_are_unreadable():
    assert judge_answer(200, b"<html>hello</html>").startswith("HTTP 200, unreadable answer: ")
    assert judge_answer(200, b"\x00\xff not xml").startswith("HTTP 200, unreadable answer: ")


def test_redirects_are_failures():
    assert judge_answer(307, b"") == "HTTP 307: redirect not followed"


def test_the_subscribers_text_is_bounded():
    body = render_fault(InternalError("x" * 5000))
    error = judge_answer(500, body)
    assert error is not None and len(error) < 300
