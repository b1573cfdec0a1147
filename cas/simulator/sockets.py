"""Listening sockets for many meters, and the open-files limit they need."""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import random
import resource
import socket
from pathlib import Path

log = logging.getLogger(__name__)

BACKLOG = 100
BIND_ATTEMPTS = 200  # random ephemeral ports tried before leaving the search to the kernel
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
    """A non-blocking listening socket on ``port``; 0: a free port of the ephemeral range.

    For port 0 the free port is found here, by trying random ports of the ephemeral range
    until one is free, not by the kernel: Linux's own search for a free port slows down
    badly once about half the range is taken (by this process or any other: 10,000
    listeners while another process held 10,000 took 47 s, and 4.2 s alone when
    SO_REUSEADDR was set), while a bind to a given port is one quick check. The port
    is an ephemeral one all the same (one the kernel might have given). The range is
    shared by every process of the machine (here 32768-60999: 28,232 ports, also used by
    outgoing connections): two fleets of 10,000 meters fit at once, not three.
    """
    if port:
        return _listen(family, address, port, backlog)
    low, high, reserved = _ephemeral_ports()
    for _ in range(BIND_ATTEMPTS):
        candidate = _random.randint(low, high)
        if candidate in reserved:
            continue
        try:
            return _listen(family, address, candidate, backlog)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
    try:
        return _listen(family, address, 0, backlog)  # nearly full: the kernel's search
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise OSError(
            errno.EADDRINUSE,
            f"no free port left in the ephemeral range {low}-{high} "
            f"({high - low + 1} ports for every process of the machine; a meter takes one)",
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
def _ephemeral_ports() -> tuple[int, int, frozenset[int]]:
    """The ephemeral port range and the reserved ports (Linux; else the IANA range)."""
    try:
        low, high = map(int, Path(_PORT_RANGE).read_text().split())
    except (OSError, ValueError):
        low, high = 49152, 65535
    reserved: set[int] = set()
    with contextlib.suppress(OSError, ValueError):
        for part in Path(_RESERVED_PORTS).read_text().strip().split(","):
            if part:
                first, _, last = part.partition("-")
                reserved.update(range(int(first), int(last or first) + 1))
    return low, high, frozenset(reserved)


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
