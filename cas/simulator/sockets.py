"""Listening sockets for many meters, and the open-files limit they need."""

from __future__ import annotations

import logging
import resource
import socket

log = logging.getLogger(__name__)

BACKLOG = 100
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
    """A non-blocking listening socket on ``port`` (0: an ephemeral port).

    SO_REUSEADDR is set before a bind to a fixed port, but only after a bind to port 0:
    with it, Linux searches ephemeral ports ever more slowly once thousands are taken
    (10,000 binds: 4.2 s with it, 0.02 s without). Set afterwards it still passes to the
    accepted connections, so the port can be listened on again while they are in TIME_WAIT.
    """
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
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
