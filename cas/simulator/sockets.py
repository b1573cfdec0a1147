"""Listening sockets for many meters, and the open-files limit they need."""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import random
import resource
import socket
import time
from pathlib import Path

log = logging.getLogger(__name__)

BACKLOG = 100
LISTEN_PORTS = (10_000, 32_767)  # tried first for port 0 (the part below the ephemeral range)
BIND_ATTEMPTS = 200  # random ports tried in a range before the next one
FULL_FOR = 5.0  # seconds a range where BIND_ATTEMPTS ports were taken is skipped
_full_until: dict[tuple[int, int], float] = {}
_PORT_RANGE = "/proc/sys/net/ipv4/ip_local_port_range"
_RESERVED_PORTS = "/proc/sys/net/ipv4/ip_local_reserved_ports"
_random = random.SystemRandom()
FD_HEADROOM = 1024  # descriptors beyond one per listening meter: connections, files, ...


def listen_address(host: str) -> tuple[socket.AddressFamily, tuple]:
    """The family and socket address for ``host`` (the first the resolver gives, as
    asyncio.start_server's first socket would be)."""
    infos = socket.getaddrinfo(
        host, 0, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )
    if not infos:
        raise OSError(f"cannot resolve {host!r}")
    family, _type, _proto, _name, address = infos[0]
    return family, address


def listening_socket(
    family: socket.AddressFamily, address: tuple, port: int, backlog: int = BACKLOG
) -> socket.socket:
    """A non-blocking listening socket on ``port``; 0: a free port the simulator picks.

    For port 0 the free port is found here, by trying random ports until one is free, not
    by the kernel: Linux's own search slows down badly once about half the ephemeral range
    is taken (by this process or any other: 10,000 listeners while another process held
    10,000 took 47 s, and 4.2 s alone when SO_REUSEADDR was set), while a bind to a given
    port is one quick check.

    Ports are tried first in ``LISTEN_PORTS`` (10000-32767, below the ephemeral range when
    it starts at 32768), then in the ephemeral range: the ephemeral range is shared with
    every outgoing connection of the machine, whose TIME_WAIT ports cannot be listened on
    for a minute (after a 10,000-meter group read, 10,000 of its 28,232 ports here), so
    listening below it lets several large fleets and group reads run side by side. A port
    in use (a service's, another test's) is skipped like any taken port.
    """
    if port:
        return _listen(family, address, port, backlog)
    for low, high in _port_ranges():
        if _full_until.get((low, high), 0.0) > time.monotonic():
            continue
        reserved = _reserved_ports()
        for _ in range(BIND_ATTEMPTS):
            candidate = _random.randint(low, high)
            if candidate in reserved:
                continue
            try:
                return _listen(family, address, candidate, backlog)
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
        _full_until[(low, high)] = time.monotonic() + FULL_FOR  # skip it for a while
    try:
        return _listen(family, address, 0, backlog)  # nearly full: the kernel's search
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        ranges = ", ".join(f"{low}-{high}" for low, high in _port_ranges())
        raise OSError(
            errno.EADDRINUSE,
            f"no free port left in {ranges} (shared by every process of the machine; "
            "a meter with a port of its own takes one: shared_port=True takes one in all)",
        ) from None


def _listen(family: socket.AddressFamily, address: tuple, port: int, backlog: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # Set after a bind to port 0 (it slows the kernel's search), before any other:
        # either way the accepted connections inherit it, so the port can be listened on
        # again while they are in TIME_WAIT.
        if port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address[0], port, *address[2:]))
        if not port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


@functools.cache
def _port_ranges() -> tuple[tuple[int, int], ...]:
    """Where free ports are looked for, in order (see ``listening_socket``)."""
    low, high = _ephemeral_range()
    first, last = LISTEN_PORTS
    below = (first, min(last, low - 1))
    if below[1] - below[0] + 1 >= 1024:
        return (below, (low, high))
    return ((low, high),)


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = map(int, Path(_PORT_RANGE).read_text().split())
    except (OSError, ValueError):
        low, high = 49152, 65535  # the IANA dynamic range
    return low, high


@functools.cache
def _reserved_ports() -> frozenset[int]:
    reserved: set[int] = set()
    with contextlib.suppress(OSError, ValueError):
        for part in Path(_RESERVED_PORTS).read_text().strip().split(","):
            if part:
                first, _, last = part.partition("-")
                reserved.update(range(int(first), int(last or first) + 1))
    return frozenset(reserved)


def ensure_open_files(needed: int) -> tuple[int, int]:
    """Raise the soft RLIMIT_NOFILE to the hard limit when below ``needed``.

    Returns the (soft, hard) limits now in force; the soft limit stays below ``needed``
    only when the hard limit is (then listening fails with EMFILE, reported as an OSError).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return soft, hard
    target = hard if hard != resource.RLIM_INFINITY else max(needed, soft)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as error:
            log.warning("cannot raise the open-files limit from %d to %d: %s", soft, target, error)
            return soft, hard
        log.info("open-files limit raised from %d to %d (hard limit %d)", soft, target, hard)
        soft = target
    if soft < needed:
        log.warning(
            "open-files limit %d (hard %d) is below the %d this fleet needs", soft, hard, needed
        )
    return soft, hard
