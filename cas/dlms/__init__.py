"""DLMS session engine: transports, associations, security, association reuse.

Callers hand over complete plaintext xDLMS request APDUs (built by cas.cosem) and get back
the complete plaintext response APDU::

    pool = SessionPool(SqliteInvocationCounterStore("counters.sqlite"))
    response = await pool.request(meter, apdu)      # or: async with pool.session(meter) as s
    await pool.close()

gurux-dlms is used as a sans-IO codec for the association; ``cas.dlms.gurux_fixes`` holds
every fix applied to it. Importing this package does not import gurux (it is loaded when
the first session is created).
"""

from cas.dlms.counters import (
    InvocationCounterStore,
    MemoryInvocationCounterStore,
    MeterCounters,
    SqliteInvocationCounterStore,
)
from cas.dlms.errors import (
    AssociationRefused,
    AuthenticationFailed,
    ConnectionClosed,
    DlmsError,
    FrameError,
    MeterBusy,
    MeterTimeout,
    MeterUnreachable,
    ProtocolError,
    ReplayError,
    SecurityError,
)
from cas.dlms.pool import MeterGuard, PoolStats, SessionPool
from cas.dlms.session import Session, SessionSettings

__all__ = [
    "AssociationRefused",
    "AuthenticationFailed",
    "ConnectionClosed",
    "DlmsError",
    "FrameError",
    "InvocationCounterStore",
    "MemoryInvocationCounterStore",
    "MeterBusy",
    "MeterCounters",
    "MeterGuard",
    "MeterTimeout",
    "MeterUnreachable",
    "PoolStats",
    "ProtocolError",
    "ReplayError",
    "SecurityError",
    "Session",
    "SessionPool",
    "SessionSettings",
    "SqliteInvocationCounterStore",
]
