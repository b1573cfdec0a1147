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
    parser.add_argument(
        "--segment-limits",
        default=None,
        metavar="FILE",
        help="YAML: connections open at once and new per second, per network segment",
    )
    parser.add_argument(
        "--groups",
        default=None,
        metavar="DIR",
        help="device group files (*.yaml) put into the store at start, replacing stored groups"
        " of the same id (default ./device_groups when it exists)",
    )
    tuning = parser.add_argument_group("worker tuning")
    tuning.add_argument(
        "--worker-concurrency",
        type=int,
        default=64,
        metavar="N",
        help="device tasks this node runs at once (64)",
    )
    tuning.add_argument(
        "--task-lease",
        type=float,
        default=60.0,
        metavar="S",
        help="s before another node takes over the tasks of a silent one (60)",
    )
    tuning.add_argument(
        "--poll-interval",
        type=float,
        default=1.0,
        metavar="S",
        help="s between looks for work queued by other nodes (1)",
    )


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
    from cas.dlms.limits_file import LimitsFileError, load_segment_limits
    from cas.registry.group_files import GroupFileError, startup_groups

    try:
        registry = Registry.from_file(args.registry)
        auth = ClientAuth.load(args.auth_file)
        if args.segment_limits:
            args.segment_default, args.segment_table = load_segment_limits(args.segment_limits)
        args.groups_dir, args.device_groups = startup_groups(args.groups)
    except (RegistryError, AuthConfigError, LimitsFileError, GroupFileError) as error:
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
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            return runner.run(serve(registry, auth, host, args))
    except KeyboardInterrupt:
        return 0


def event_loop_factory():
    """uvloop's event loop when installed (a dependency where it builds), else asyncio's.

    uvicorn picks uvloop only for a loop it creates itself; ``serve`` runs in ours."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def serve(registry, auth, host: str, args: argparse.Namespace) -> int:
    import asyncio
    import signal

    import uvicorn

    from cas.api.app import ENDPOINT, create_app
    from cas.gateway import Gateway, GatewaySettings, default_db_path
    from cas.store import open_store

    location = args.redis or args.db or default_db_path()
    try:
        store = await open_store(location)
    except Exception as error:  # unreachable Redis, unwritable file: say so, no traceback
        print(f"cas serve: cannot open the store {location}: {error}", file=sys.stderr)
        return 1
    if getattr(args, "device_groups", None):
        from cas.store.groups import group_store, put_groups

        count = await put_groups(group_store(store), args.device_groups)
        logging.getLogger(__name__).info("%d device group(s) from %s", count, args.groups_dir)
    settings = GatewaySettings(
        worker_concurrency=args.worker_concurrency,
        task_lease=args.task_lease,
        poll_interval=args.poll_interval,
    )
    if args.segment_limits:
        settings.segment_default = args.segment_default
        settings.segment_limits = args.segment_table
    gateway = Gateway(registry, store, settings, role=args.role)
    await gateway.start()
    where = f"Redis {args.redis}" if args.redis else f"SQLite {location}"
    if args.role == "worker":
        print(f"CAS worker {gateway.node}: {len(registry)} meter(s); store {where}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        await gateway.close()
        return 0
    app = create_app(gateway.service, auth=auth, health=gateway.health, on_shutdown=gateway.close)
    config = uvicorn.Config(
        app, host=host, port=args.port, log_level=args.log_level, access_log=False
    )
    server = uvicorn.Server(config)
    print(
        f"CAS gateway ({args.role}): {len(registry)} meter(s); store {where};"
        f" SOAP endpoint http://{host}:{args.port}{ENDPOINT}"
        f" (WSDL: http://{host}:{args.port}{ENDPOINT}?wsdl)",
        flush=True,
    )
    await server.serve()
    return 0
