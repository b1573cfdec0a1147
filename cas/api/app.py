"""The HTTP edge: ``POST /cas`` (SOAP), ``GET /cas?wsdl`` / ``?xsd=``, ``GET /health``.

Routes only translate HTTP into calls of the message layer and the CAS service and back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from starlette.routing import Route

from cas.access.service import CasService
from cas.api.auth import ClientAuth
from cas.api.soap import SoapEndpoint
from cas.messages import DEFAULT_LIMITS, XmlLimits, render_schema, render_wsdl

ENDPOINT = "/cas"


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

    # POST /cas is a plain ASGI route (cas.api.soap): FastAPI's per-request machinery would
    # cost a tenth of the SOAP path's time.
    app.router.routes.append(
        Route(ENDPOINT, endpoint=SoapEndpoint(service, auth, limits), methods=["POST"])
    )

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
