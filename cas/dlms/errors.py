"""The session engine's typed errors, and the one place where gurux exceptions are classified.

Messages never contain keys, passwords or challenges: they name the meter (system title)
and what went wrong.
"""

from __future__ import annotations

import asyncio
import errno
import socket


class DlmsError(Exception):
    """Base of every error the DLMS engine raises."""


class MeterUnreachable(DlmsError):
    """The TCP connection could not be made (refused, no route, connect timeout)."""


class MeterTimeout(DlmsError):
    """No complete answer arrived within the meter's response timeout."""


class ConnectionClosed(DlmsError):
    """The meter closed the connection (or sent HDLC DM/DISC) while an answer was expected."""


class MeterBusy(DlmsError):
    """Another gateway node holds the meter's association (one per meter across nodes)."""


class FrameError(DlmsError):
    """Garbage, truncated or oversized frame, bad HDLC CRC, wrong frame addresses."""


class ProtocolError(DlmsError):
    """A well-framed answer that makes no sense: malformed APDU, wrong invoke-id, ..."""


class AssociationRefused(DlmsError):
    """The meter rejected the AARQ. Carries the raw AARE and the diagnostic (never keys)."""

    def __init__(
        self, message: str, *, aare: bytes = b"", result: int | None = None, diagnostic=None
    ) -> None:
        super().__init__(message)
        self.aare = bytes(aare)
        self.result = result
        self.diagnostic = diagnostic


class AuthenticationFailed(DlmsError):
    """Wrong password (LLS) or a failed HLS pass 3/4 (wrong keys, bad StoC)."""

    def __init__(self, message: str, *, aare: bytes = b"", diagnostic=None) -> None:
        super().__init__(message)
        self.aare = bytes(aare)
        self.diagnostic = diagnostic


class SecurityError(DlmsError):
    """A ciphered APDU failed verification: bad GCM tag, wrong keys, downgraded security."""


class ReplayError(SecurityError):
    """A ciphered response whose invocation counter does not strictly increase."""


_CONNECT_ERRNOS = {
    errno.ECONNREFUSED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
    errno.EADDRNOTAVAIL,
}


def classify_connect_error(exc: BaseException, where: str) -> DlmsError:
    """An OSError/timeout from opening the TCP connection, as a typed error."""
    if isinstance(exc, DlmsError):
        return exc
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return MeterUnreachable(f"{where}: connect timed out")
    if isinstance(exc, socket.gaierror):
        return MeterUnreachable(f"{where}: cannot resolve host ({exc.strerror})")
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        return MeterUnreachable(f"{where}: {reason}")
    return MeterUnreachable(f"{where}: {type(exc).__name__}")


def classify_io_error(exc: BaseException, where: str) -> DlmsError:
    """An error while reading or writing an open connection."""
    if isinstance(exc, DlmsError):
        return exc
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return MeterTimeout(f"{where}: no answer in time")
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError)):
        return ConnectionClosed(f"{where}: connection closed by the meter")
    if isinstance(exc, OSError):
        return ConnectionClosed(f"{where}: {exc.strerror or type(exc).__name__}")
    return ProtocolError(f"{where}: {type(exc).__name__}")


def classify_gurux_error(exc: BaseException, where: str, *, pending: DlmsError | None = None):
    """Map anything gurux-dlms raised to a DlmsError.

    ``pending`` is an error the fixes recorded before gurux swallowed or re-wrapped it (gurux
    turns any failure while parsing the AARE user-information into a generic rejection, so a
    bad GCM tag there would otherwise look like "association refused").
    """
    # Imported here: the gurux import is heavy and only needed once something failed.
    from gurux_dlms.GXDLMSConfirmedServiceError import GXDLMSConfirmedServiceError
    from gurux_dlms.GXDLMSException import GXDLMSException
    from gurux_dlms.GXDLMSExceptionResponse import GXDLMSExceptionResponse

    if pending is not None:
        return pending
    if isinstance(exc, DlmsError):
        return exc
    if isinstance(exc, GXDLMSException):
        diagnostic = getattr(exc, "diagnostic", None)
        result = getattr(exc, "result", None)
        return AssociationRefused(
            f"{where}: association refused (result={_name(result)}, "
            f"diagnostic={_name(diagnostic)})",
            result=int(result) if result is not None else None,
            diagnostic=diagnostic,
        )
    if isinstance(exc, GXDLMSConfirmedServiceError):
        return ProtocolError(
            f"{where}: confirmed-service-error {_name(exc.confirmedServiceError)} "
            f"{_name(exc.serviceError)} {exc.serviceErrorValue}"
        )
    if isinstance(exc, GXDLMSExceptionResponse):
        return ProtocolError(
            f"{where}: exception-response {_name(exc.exceptionStateError)} "
            f"{_name(exc.exceptionServiceError)}"
        )
    text = str(exc.args[0]) if exc.args else ""
    if "Wrong CRC" in text:
        return FrameError(f"{where}: bad HDLC CRC")
    if "Server to Client do not match" in text:
        return AuthenticationFailed(f"{where}: the meter's HLS pass 4 answer does not verify")
    if "Invalid tag" in text and "Decrypt" in text:
        return SecurityError(f"{where}: GCM tag does not verify")
    # ValueError("Invalid PDU."), "Invalid Command.", "Not enough data.", AttributeError and
    # IndexError from gurux's own bugs on malformed input: the answer made no sense.
    return ProtocolError(f"{where}: malformed answer ({type(exc).__name__}: {_short(text)})")


def _name(value) -> str:
    name = getattr(value, "name", None)
    return str(name) if name is not None else str(value)


def _short(text: str, limit: int = 80) -> str:
    # gurux messages may quote bytes; keep them short and never include long hex dumps.
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."
