"""Which segment each meter is in, and which meters are down: pure functions of the options.

Tests and benchmarks call these to predict a fleet (also one in another process):

- Segments ``seg-0`` .. ``seg-{N-1}``. ``round-robin``: meter i is in ``seg-{i % N}``;
  ``blocks``: meter i is in ``seg-{i * N // count}`` (consecutive meters together, sizes
  differing by at most one). Without segments every meter is in ``default`` (the
  registry's default segment).
- Addresses behind one port (``shared_port``): meter i answers to address
  ``a(i) = 16 + i``, plus 2 from ``a = 126`` on (0x7E and 0x7F, the HDLC calling and
  all-station addresses, are skipped): the server (wPort) address with the IP wrapper, the
  lower (physical) HDLC address with HDLC (upper address 1); at most 16,364 HDLC meters.
  With a port per meter (the default) every meter is server address 1 (HDLC physical 17).
- Down meters: exactly ``round(failure_rate * count)`` of them, the indices
  ``sorted(random.Random(f"cas-simulator/down/{seed}").sample(range(count), k))``
  (Python's ``random`` seeded with a string is the same on every run and platform). A
  down meter accepts TCP connections but never answers (``faults.no_answer``).
"""

from __future__ import annotations

import random

DEFAULT_SEGMENT = "default"
LAYOUTS = ("round-robin", "blocks")


def segment_names(segments: int | None) -> list[str]:
    if not segments:
        return [DEFAULT_SEGMENT]
    return [f"seg-{n}" for n in range(segments)]


def segment_index(index: int, count: int, segments: int | None, layout: str) -> int:
    """The number of meter ``index``'s segment in ``segment_names(segments)``."""
    if not segments:
        return 0
    if layout == "round-robin":
        return index % segments
    if layout == "blocks":
        return index * segments // count
    raise ValueError(f"segment layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")


FIRST_SHARED_ADDRESS = 0x10
MAX_HDLC_ADDRESS = 0x3FFD  # 0x3FFE calling, 0x3FFF all-station
MAX_WRAPPER_ADDRESS = 0xFFFF


def shared_port_address(index: int) -> int:
    """The address of meter ``index`` when the meters share one port."""
    address = FIRST_SHARED_ADDRESS + index
    return address + 2 if address >= 0x7E else address


def max_shared_port_meters(hdlc: bool) -> int:
    top = MAX_HDLC_ADDRESS if hdlc else MAX_WRAPPER_ADDRESS
    return top - FIRST_SHARED_ADDRESS - 2 + 1


def down_indices(count: int, failure_rate: float, seed: int) -> list[int]:
    """The indices of the meters that are down, ascending."""
    if not 0.0 <= failure_rate <= 1.0:
        raise ValueError(f"failure rate must be within 0..1, got {failure_rate}")
    k = round(failure_rate * count)
    if k == 0:
        return []
    return sorted(random.Random(f"cas-simulator/down/{seed}").sample(range(count), k))


def check_options(
    count: int, segments: int | None, layout: str, latency: float, jitter: float
) -> None:
    """Raise ValueError for options no fleet can have."""
    if segments is not None and not 1 <= segments <= count:
        raise ValueError(f"segments must be within 1..{count} (the meter count), got {segments}")
    if layout not in LAYOUTS:
        raise ValueError(f"segment layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    if latency < 0 or jitter < 0:
        raise ValueError("latency and latency jitter must not be negative")
    if jitter > latency:
        raise ValueError(f"latency jitter {jitter} is larger than the latency {latency}")
