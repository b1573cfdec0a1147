"""``cas simulate``: serve simulated meters until SIGINT/SIGTERM, write their registry file."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--meters", type=int, default=1, metavar="N", help="number of meters")
    parser.add_argument(
        "--port",
        type=int,
        required=True,
        metavar="P",
        help="port of the first meter (meter i listens on P+i; 0: ephemeral ports)",
    )
    parser.add_argument("--transport", choices=("wrapper", "hdlc"), default="wrapper")
    parser.add_argument("--security", choices=("none", "low", "hls-gmac"), default="none")
    parser.add_argument(
        "--registry", required=True, metavar="FILE", help="registry YAML file to write"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of titles and keys")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--inactivity-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="close connections idle this long",
    )


def run(args: argparse.Namespace) -> int:
    import asyncio

    from cas.simulator.fleet import MeterFleet

    if args.meters < 1:
        print("cas simulate: --meters must be at least 1", file=sys.stderr)
        return 2
    try:
        fleet = MeterFleet(
            count=args.meters,
            transport=args.transport,
            security=args.security,
            host=args.host,
            base_port=args.port,
            seed=args.seed,
            inactivity_timeout=args.inactivity_timeout,
        )
    except ValueError as error:
        print(f"cas simulate: {error}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(fleet, args.registry))
    except KeyboardInterrupt:
        return 0


async def _serve(fleet: object, registry: str) -> int:
    import asyncio
    import signal

    from cas.simulator.fleet import MeterFleet

    assert isinstance(fleet, MeterFleet)
    try:
        await fleet.start()
    except OSError as error:
        print(f"cas simulate: cannot listen: {error.strerror or error}", file=sys.stderr)
        return 1
    try:
        fleet.write_registry(registry)
    except OSError as error:
        await fleet.stop()
        print(f"cas simulate: cannot write {registry}: {error.strerror}", file=sys.stderr)
        return 1
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    print(f"{fleet.describe()}; registry {registry}", flush=True)
    try:
        await stopping.wait()
    finally:
        await fleet.stop()
    return 0
