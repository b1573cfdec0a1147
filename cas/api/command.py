"""``cas serve``: the CAS web service over HTTP."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys

LOOPBACK = "127.0.0.1"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--registry", required=True, help="meter registry YAML file")
    parser.add_argument("--host", default=LOOPBACK, help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="TCP port (8080)")
    parser.add_argument(
        "--db", default=None, help="SQLite state file (default ./cas.db or $CAS_DB)"
    )
    parser.add_argument(
        "--redis",
        default=None,
        help="share the work with other nodes through Redis (redis://host:6379/0) instead"
        " of the SQLite file",
    )
    parser.add_argument(
        "--role",
        default="all",
        choices=["all", "api", "worker"],
        help="api: web service only; worker: scheduled work only (no HTTP); all: both."
        " api and worker need --redis",
    )
    parser.add_argument(
        "--auth-file",
        default=None,
        help="YAML with 'users: {name: password}' and/or 'api_keys: [...]'"
        " (also $CAS_USERS, $CAS_API_KEYS)",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    import asyncio

    from cas.api.auth import AuthConfigError, ClientAuth
    from cas.registry import Registry, RegistryError

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        registry = Registry.from_file(args.registry)
        auth = ClientAuth.load(args.auth_file)
    except (RegistryError, AuthConfigError) as error:
        print(f"cas serve: {error}", file=sys.stderr)
        return 2
    if args.role != "all" and not args.redis:
        print(
            f"cas serve: --role {args.role} needs --redis (SQLite serves one process)",
            file=sys.stderr,
        )
        return 2
    host = args.host
    if not auth.configured and not is_loopback(host):
        print(
            f"cas serve: no client authentication configured: listening on {LOOPBACK} only"
            f" (not {host}); configure --auth-file or $CAS_USERS / $CAS_API_KEYS",
            file=sys.stderr,
        )
        host = LOOPBACK
    elif not auth.configured:
        print("cas serve: no client authentication configured (localhost only)", file=sys.stderr)
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        return runner.run(serve(registry, auth, host, args.port, args.db, args.log_level))


def event_loop_factory():
    """uvloop's event loop when installed (a dependency where it builds), else asyncio's.

    uvicorn picks uvloop only for a loop it creates itself; ``serve`` runs in ours."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def serve(registry, auth, host: str, port: int, db: str | None, log_level: str) -> int:
    import uvicorn

    from cas.api.app import ENDPOINT, create_app
    from cas.dlms import SqliteInvocationCounterStore
    from cas.gateway import Gateway, default_db_path

    gateway = Gateway(registry, SqliteInvocationCounterStore(db or default_db_path()))
    app = create_app(gateway.service, auth=auth, health=gateway.health, on_shutdown=gateway.close)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False)
    server = uvicorn.Server(config)
    print(
        f"CAS gateway: {len(registry)} meter(s); SOAP endpoint http://{host}:{port}{ENDPOINT}"
        f" (WSDL: http://{host}:{port}{ENDPOINT}?wsdl)",
        flush=True,
    )
    await server.serve()
    return 0
