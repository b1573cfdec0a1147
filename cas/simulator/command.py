"""``cas simulate``: serve simulated meters until SIGINT/SIGTERM, write their registry file.

With ``--status FILE`` the process rewrites FILE (JSON, ``cas.simulator.status``) every
``--status-interval`` seconds; SIGUSR1 restarts the peaks and SIGUSR2 asks for a rewrite
now (both rewrite the file at once).
"""

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
        help="port of the first meter (meter i listens on P+i; 0: free ports); "
        "with --shared-port, the one port of all",
    )
    parser.add_argument("--transport", choices=("wrapper", "hdlc"), default="wrapper")
    parser.add_argument("--security", choices=("none", "low", "hls-gmac"), default="none")
    parser.add_argument(
        "--registry",
        required=True,
        metavar="FILE",
        help="registry file to write (JSON: a YAML document the registry reads)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of titles, keys and failures")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--inactivity-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="close connections idle this long",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="every meter waits this long before each reply (a WAN round trip)",
    )
    parser.add_argument(
        "--latency-jitter",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="plus a uniform draw in [-J, +J] per reply (at most the latency)",
    )
    parser.add_argument(
        "--failure-rate",
        type=float,
        default=0.0,
        metavar="R",
        help="share of meters (a seeded subset) that never answer, 0..1",
    )
    parser.add_argument(
        "--segments",
        type=int,
        default=None,
        metavar="N",
        help="spread the meters over network segments seg-0..seg-{N-1}",
    )
    parser.add_argument(
        "--segment-layout",
        choices=("round-robin", "blocks"),
        default="round-robin",
        help="meter i in seg-{i %% N} (round-robin) or in consecutive blocks",
    )
    parser.add_argument(
        "--shared-port",
        action="store_true",
        help="all meters behind one port, each at its own address (see cas.simulator.plan)",
    )
    parser.add_argument(
        "--status",
        metavar="FILE",
        default=None,
        help="rewrite FILE (JSON: counters, segment peaks, CPU) every --status-interval",
    )
    parser.add_argument("--status-interval", type=float, default=1.0, metavar="SECONDS")
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="event loop (uvloop when installed: less CPU per connection)",
    )


def run(args: argparse.Namespace) -> int:
    import asyncio

    from cas.simulator.fleet import MeterFleet

    if args.meters < 1:
        print("cas simulate: --meters must be at least 1", file=sys.stderr)
        return 2
    if args.status_interval <= 0:
        print("cas simulate: --status-interval must be positive", file=sys.stderr)
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
            latency=args.latency,
            latency_jitter=args.latency_jitter,
            failure_rate=args.failure_rate,
            segments=args.segments,
            segment_layout=args.segment_layout,
            shared_port=args.shared_port,
        )
    except ValueError as error:
        print(f"cas simulate: {error}", file=sys.stderr)
        return 2
    main = _serve(fleet, args.registry, args.status, args.status_interval)
    try:
        if args.loop == "uvloop":
            try:
                import uvloop
            except ImportError:
                return asyncio.run(main)
            return uvloop.run(main)
        return asyncio.run(main)
    except KeyboardInterrupt:
        return 0


async def _serve(fleet: object, registry: str, status: str | None, interval: float) -> int:
    import asyncio
    import signal

    from cas.simulator.fleet import MeterFleet
    from cas.simulator.status import StatusWriter

    assert isinstance(fleet, MeterFleet)
    try:
        await fleet.start()
    except OSError as error:
        print(f"cas simulate: cannot listen: {error.strerror or error}", file=sys.stderr)
        return 1
    writer = StatusWriter(fleet, status, interval) if status else None
    try:
        fleet.write_registry(registry)
        if writer is not None:
            writer.write()
    except OSError as error:
        await fleet.stop()
        print(f"cas simulate: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    if writer is not None:
        loop.add_signal_handler(signal.SIGUSR1, writer.reset_peaks)
        loop.add_signal_handler(signal.SIGUSR2, writer.write)
        writer.start()
    print(f"{fleet.describe()}; registry {registry}", flush=True)
    try:
        await stopping.wait()
    finally:
        if writer is not None:
            writer.stop()
        await fleet.stop()
    return 0
