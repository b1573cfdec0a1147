"""One delivery attempt: POST a message's body to its URL and judge the answer.

Bounded in time (``timeout`` for the whole exchange, whatever the subscriber does: refuse,
hang, trickle bytes) and in the size of the answer read. Errors are short texts naming what
went wrong, never the message body nor the URL's credentials.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from cas.notify.answer import judge_answer, quoted
from cas.notify.urls import redacted
from cas.store import OutboxMessage

MAX_ANSWER_BYTES = 1 << 20  # a ResponseMessage is small; more is not read


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    error: str | None
    """None: delivered. Otherwise why not (stored as the message's last error)."""
    status: int | None = None
    """The HTTP status, when an answer came."""

    @property
    def delivered(self) -> bool:
        return self.error is None


class AnswerTooLarge(Exception):
    pass


def request_headers(message: OutboxMessage) -> dict[str, str]:
    headers = {"Content-Type": message.content_type}
    if message.content_type.split(";", 1)[0].strip().lower() == "text/xml":
        headers["SOAPAction"] = '""'  # SOAP 1.1 over HTTP requires the header (cas.wsdl: "")
    return headers


async def post_message(
    client: httpx.AsyncClient,
    message: OutboxMessage,
    *,
    timeout: float,
    max_answer: int = MAX_ANSWER_BYTES,
) -> AttemptOutcome:
    """POST ``message.body`` (unchanged: its MessageID is the same at every attempt)."""
    try:
        async with (
            asyncio.timeout(timeout),
            client.stream(
                "POST",
                message.url,
                content=message.body,
                headers=request_headers(message),
                timeout=timeout,
                follow_redirects=False,
            ) as response,
        ):
            body = await _read_bounded(response, max_answer)
    except (TimeoutError, httpx.TimeoutException):
        return AttemptOutcome(f"no answer within {timeout:g} s")
    except AnswerTooLarge:
        return AttemptOutcome(f"answer larger than {max_answer} bytes", response.status_code)
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as error:
        return AttemptOutcome(_transport_error(error, message.url))
    return AttemptOutcome(judge_answer(response.status_code, body), response.status_code)


async def _read_bounded(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise AnswerTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _transport_error(error: Exception, url: str) -> str:
    text = str(error).replace(url, redacted(url)) or "no detail"
    return f"{type(error).__name__}: {quoted(text)}"
