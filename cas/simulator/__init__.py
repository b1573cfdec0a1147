"""DLMS/COSEM meter simulator on gurux-dlms server classes, for demos, tests and benchmarks.

``MeterFleet`` serves N meters from the caller's event loop; ``FleetThread`` runs one in a
background thread for synchronous callers; ``cas simulate`` runs one as a process.
"""

from cas.simulator.faults import Faults
from cas.simulator.fleet import MeterFleet, MeterStats, SimulatedMeter
from cas.simulator.server import SecurityMode
from cas.simulator.thread import FleetThread

__all__ = ["Faults", "FleetThread", "MeterFleet", "MeterStats", "SecurityMode", "SimulatedMeter"]
