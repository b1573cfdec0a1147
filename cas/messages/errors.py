"""Typed errors of the message layer.

Every refusal is a :class:`MessageError` that carries what the reply needs: a 61968-9
:class:`~cas.messages.codes.ErrorCode`, a reason, the xpath of the element in error, the SOAP
version to answer in and, when the Header was understood, the header (then the error is
answered with a ResponseMessage whose Reply/Result is FAILED; otherwise with a SOAP Fault
carrying a mes:FaultMessage). ``http_status`` tells the HTTP layer which status to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from cas.messages.codes import ErrorCode
from cas.messages.model import RequestHeader
from cas.messages.namespaces import SoapVersion


class ErrorLevel(Enum):
    """Error/level of IEC 61968-100."""

    INFORM = "INFORM"
    WARNING = "WARNING"
    FATAL = "FATAL"
    CATASTROPHIC = "CATASTROPHIC"


class FaultCode(Enum):
    """SOAP fault codes (SOAP 1.2 names; SOAP 1.1 maps Sender->Client, Receiver->Server)."""

    SENDER = "Sender"
    RECEIVER = "Receiver"
    VERSION_MISMATCH = "VersionMismatch"
    MUST_UNDERSTAND = "MustUnderstand"


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One Reply/Error element."""

    code: ErrorCode
    reason: str
    xpath: str | None = None
    level: ErrorLevel | None = ErrorLevel.FATAL
    details: str | None = None


class MessageError(Exception):
    """The message layer refuses a request (or a message from a subscriber)."""

    fault_code: FaultCode = FaultCode.SENDER

    def __init__(
        self,
        code: ErrorCode,
        reason: str,
        *,
        xpath: str | None = None,
        soap_version: SoapVersion | None = None,
        header: RequestHeader | None = None,
        more: Sequence[ErrorDetail] = (),
    ) -> None:
        super().__init__(f"{code.code} {reason}" + (f" at {xpath}" if xpath else ""))
        self.code = code
        self.reason = reason
        self.xpath = xpath
        self.soap_version = soap_version
        self.header = header
        self.more = tuple(more)

    @property
    def errors(self) -> tuple[ErrorDetail, ...]:
        """Every Reply/Error to send: this error first, then the others found with it."""
        return (ErrorDetail(self.code, self.reason, self.xpath), *self.more)

    @property
    def answered_with_fault(self) -> bool:
        """True: SOAP Fault + FaultMessage; False: ResponseMessage with Result FAILED."""
        return self.header is None

    @property
    def http_status(self) -> int:
        """400 for a SOAP Fault on client input, 200 for a FAILED ResponseMessage."""
        return 400 if self.answered_with_fault else 200


class XmlRejected(MessageError):
    """The body is not acceptable XML (code 1.8)."""

    def __init__(self, reason: str, *, soap_version: SoapVersion | None = None) -> None:
        super().__init__(ErrorCode.SCHEMA_VALIDATION_FAILED, reason, soap_version=soap_version)


class NotWellFormed(XmlRejected):
    """The body is not well-formed XML."""


class ForbiddenXml(XmlRejected):
    """The body has a DOCTYPE (DTD, entity declarations): never accepted."""


class TooDeep(XmlRejected):
    """Elements are nested deeper than the limit."""


class MessageTooLarge(MessageError):
    """The body is larger than the limit (HTTP 413; code 3.1 in the FaultMessage)."""

    def __init__(self, size: int, limit: int, *, soap_version: SoapVersion | None = None) -> None:
        super().__init__(
            ErrorCode.TOO_MANY_ITEMS,
            f"message of {size} bytes exceeds the limit of {limit} bytes",
            soap_version=soap_version,
        )
        self.size = size
        self.limit = limit

    @property
    def http_status(self) -> int:
        return 413


class SoapError(MessageError):
    """The SOAP envelope is wrong: version, Header blocks, Body (code 1.8)."""

    def __init__(
        self,
        reason: str,
        *,
        soap_version: SoapVersion | None = None,
        fault_code: FaultCode = FaultCode.SENDER,
    ) -> None:
        super().__init__(
            ErrorCode.SCHEMA_VALIDATION_FAILED, reason, soap_version=soap_version, xpath=None
        )
        self.fault_code = fault_code


class HeaderError(MessageError):
    """The message Header cannot be understood: 1.5 missing element, 2.9 verb, 2.5 noun."""


class SchemaError(MessageError):
    """The message does not validate against the schemas (code 1.8, with the xpath)."""


class InternalError(MessageError):
    """The gateway failed (not the client): SOAP Receiver fault, code 4.3, HTTP 500."""

    fault_code = FaultCode.RECEIVER

    def __init__(self, reason: str = "internal error", *, soap_version: SoapVersion | None = None):
        super().__init__(ErrorCode.LOCAL_PROCESSING_ERROR, reason, soap_version=soap_version)

    @property
    def http_status(self) -> int:
        return 500


class AuthenticationFailed(MessageError):
    """The web-service client is not authenticated (7.2) or its credentials are wrong (7.4).

    Answered with a SOAP Fault and HTTP 401 (the HTTP layer adds WWW-Authenticate).
    """

    def __init__(
        self,
        reason: str = "authentication required",
        *,
        code: ErrorCode = ErrorCode.AUTHENTICATION_REQUIRED,
        soap_version: SoapVersion | None = None,
    ) -> None:
        super().__init__(code, reason, soap_version=soap_version)

    @property
    def http_status(self) -> int:
        return 401
