"""The HTTP edge: ``POST /cas`` (SOAP), ``GET /cas?wsdl`` / ``?xsd=``, ``GET /health``.

Routes only translate HTTP into calls of the message layer and the CAS service and back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from cas.access.service import CasService
from cas.api.auth import ClientAuth
from cas.messages import (
    DEFAULT_LIMITS,
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
    render_schema,
    render_wsdl,
)
from cas.messages.namespaces import SoapVersion

logger = logging.getLogger(__name__)

ENDPOINT = "/cas"


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit`` (announced or streamed)."""
    announced = request.headers.get("content-length")
    if announced is not None and announced.isdigit() and int(announced) > limit:
        raise _TooLarge(int(announced))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge(size)
        chunks.append(chunk)
    return b"".join(chunks)


def _guess_version(content_type_header: str | None) -> SoapVersion | None:
    if content_type_header and "text/xml" in content_type_header:
        return SoapVersion.V11
    return None


def _error_response(error: MessageError, extra_headers: dict[str, str] | None = None) -> Response:
    return Response(
        content=render_error(error),
        status_code=error.http_status,
        media_type=content_type(error.soap_version),
        headers=extra_headers,
    )


def create_app(
    service: CasService,
    *,
    auth: ClientAuth | None = None,
    limits: XmlLimits = DEFAULT_LIMITS,
    health: Callable[[], dict] | None = None,
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
) -> FastAPI:
    """The FastAPI application around ``service``.

    ``health`` gives the facts /health shows; ``on_shutdown`` runs when the server stops
    (releasing meter sessions)."""
    auth = auth or ClientAuth.none()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        if on_shutdown is not None:
            await on_shutdown()

    app = FastAPI(title="CAS gateway", docs_url=None, redoc_url=None, lifespan=lifespan)

    @app.post(ENDPOINT)
    async def soap_endpoint(request: Request) -> Response:
        ctype = request.headers.get("content-type")
        if not auth.allows(request.headers):
            has_credentials = "authorization" in request.headers or "x-api-key" in request.headers
            error = AuthenticationFailed(
                "credentials refused" if has_credentials else "authentication required",
                code=(
                    ErrorCode.AUTHENTICATION_FAILURE
                    if has_credentials
                    else ErrorCode.AUTHENTICATION_REQUIRED
                ),
                soap_version=_guess_version(ctype),
            )
            return _error_response(error, {"WWW-Authenticate": 'Basic realm="cas"'})
        try:
            body = await _read_body(request, limits.max_bytes)
        except _TooLarge as too_large:
            return _error_response(
                MessageTooLarge(
                    too_large.size, limits.max_bytes, soap_version=_guess_version(ctype)
                )
            )
        try:
            parsed = parse_request(body, content_type=ctype, limits=limits)
            response = await service.handle(parsed)
            return Response(
                content=render_response(response, parsed.soap_version),
                media_type=content_type(parsed.soap_version),
            )
        except MessageError as error:
            return _error_response(error)
        except Exception:
            logger.exception("request failed inside the gateway")
            return _error_response(InternalError(soap_version=_guess_version(ctype)))

    @app.get(ENDPOINT)
    async def wsdl_endpoint(request: Request) -> Response:
        endpoint = str(request.url.replace(query="", fragment=""))
        params = request.query_params
        if "wsdl" in params or "WSDL" in params:
            return Response(render_wsdl(endpoint), media_type="text/xml")
        name = params.get("xsd")
        if name:
            try:
                return Response(render_schema(name, endpoint), media_type="text/xml")
            except KeyError:
                return Response(f"no schema {name!r}\n", status_code=404, media_type="text/plain")
        return Response(
            "POST SOAP requests here; GET ?wsdl for the WSDL\n",
            status_code=400,
            media_type="text/plain",
        )

    @app.get("/health")
    async def health_endpoint() -> dict:
        return {"status": "ok", **(health() if health else {})}

    return app
