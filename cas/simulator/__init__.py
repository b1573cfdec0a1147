"""DLMS/COSEM meter simulator on gurux-dlms server classes, for demos, tests and benchmarks.

``MeterFleet`` serves N meters (thousands: one port each, no task per meter) from the
caller's event loop, with latency, failures and network segments; ``FleetThread`` runs one
in a background thread for synchronous callers; ``cas simulate`` runs one as a process
(``cas.simulator.process.FleetProcess``).
"""

from cas.simulator.counters import FleetStats, MeterStats, SegmentStats
from cas.simulator.faults import Faults
from cas.simulator.fleet import MeterFleet, SimulatedMeter
from cas.simulator.server import SecurityMode
from cas.simulator.thread import FleetThread

__all__ = [
    "Faults",
    "FleetStats",
    "FleetThread",
    "MeterFleet",
    "MeterStats",
    "SecurityMode",
    "SegmentStats",
    "SimulatedMeter",
]
