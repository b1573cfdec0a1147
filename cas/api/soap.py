"""``POST /cas``: the SOAP endpoint as a plain ASGI application.

It is mounted as a Starlette route in the FastAPI app but does its own HTTP work (headers,
body, response): FastAPI's request/response machinery (dependency solving, Request and
Response objects) cost about 0.1 ms a request, a tenth of the whole SOAP path. The
behaviour is the same as a FastAPI route's: credentials checked before the body is read,
the body bounded, every answer a SOAP message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from cas.access.service import CasService
from cas.api.auth import ClientAuth
from cas.messages import (
    AuthenticationFailed,
    ErrorCode,
    InternalError,
    MessageError,
    MessageTooLarge,
    XmlLimits,
    content_type,
    parse_request,
    render_error,
    render_response,
)
from cas.messages.namespaces import SoapVersion

logger = logging.getLogger(__name__)

_CHALLENGE = [(b"www-authenticate", b'Basic realm="cas"')]


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


class _Disconnected(Exception):
    """The client went away before its body was read."""


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Request headers by lower-case name; the first of repeated ones, as Starlette's
    ``Headers.get``."""
    headers: dict[str, str] = {}
    for name, value in raw:
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return headers


def _guess_version(content_type_header: str | None) -> SoapVersion | None:
    if content_type_header and "text/xml" in content_type_header:
        return SoapVersion.V11
    return None


class SoapEndpoint:
    """ASGI app answering SOAP requests with ``service`` (HTTP method checked by the route)."""

    def __init__(self, service: CasService, auth: ClientAuth, limits: XmlLimits) -> None:
        self.service = service
        self.auth = auth
        self.limits = limits

    async def __call__(self, scope, receive, send) -> None:
        headers = _headers(scope["headers"])
        ctype = headers.get("content-type")
        if not self.auth.allows(headers):
            has_credentials = "authorization" in headers or "x-api-key" in headers
            error = AuthenticationFailed(
                "credentials refused" if has_credentials else "authentication required",
                code=(
                    ErrorCode.AUTHENTICATION_FAILURE
                    if has_credentials
                    else ErrorCode.AUTHENTICATION_REQUIRED
                ),
                soap_version=_guess_version(ctype),
            )
            await _send_error(send, error, _CHALLENGE)
            return
        try:
            body = await _read_body(receive, headers.get("content-length"), self.limits.max_bytes)
        except _TooLarge as too_large:
            error = MessageTooLarge(
                too_large.size, self.limits.max_bytes, soap_version=_guess_version(ctype)
            )
            await _send_error(send, error)
            return
        except _Disconnected:
            return
        try:
            parsed = parse_request(body, content_type=ctype, limits=self.limits)
            response = await self.service.handle(parsed)
            answer = render_response(response, parsed.soap_version)
        except MessageError as error:
            await _send_error(send, error)
            return
        except Exception:
            logger.exception("request failed inside the gateway")
            await _send_error(send, InternalError(soap_version=_guess_version(ctype)))
            return
        await _send(send, 200, answer, content_type(parsed.soap_version))


async def _read_body(receive, announced: str | None, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit`` (announced or streamed)."""
    if announced is not None and announced.isdigit() and int(announced) > limit:
        raise _TooLarge(int(announced))
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge(size)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _send_error(
    send, error: MessageError, extra_headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await _send(
        send,
        error.http_status,
        render_error(error),
        content_type(error.soap_version),
        extra_headers,
    )


async def _send(
    send,
    status: int,
    body: bytes,
    media_type: str,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        *(extra_headers or ()),
        (b"content-length", str(len(body)).encode("latin-1")),
        (b"content-type", media_type.encode("latin-1")),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
