"""XML namespaces of the CAS messages and the SOAP versions the CAS speaks."""

from __future__ import annotations

from enum import Enum

MES = "http://iec.ch/TC57/2011/schema/message"
DEV = "http://iec.ch/TC13/2014/schema/DeviceAccess"
COS = "http://www.dlms.com/COSEMpdu"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XML = "http://www.w3.org/XML/1998/namespace"

# Prefixes the CAS emits (and uses in the xpath of errors).
PREFIXES: dict[str, str] = {"mes": MES, "dev": DEV, "cos": COS}


class SoapVersion(Enum):
    """The SOAP version of a request; the reply is sent in the same version."""

    V11 = "1.1"
    V12 = "1.2"

    @property
    def namespace(self) -> str:
        return SOAP11 if self is SoapVersion.V11 else SOAP12

    @property
    def content_type(self) -> str:
        """HTTP Content-Type of a message in this version."""
        if self is SoapVersion.V11:
            return "text/xml; charset=utf-8"
        return "application/soap+xml; charset=utf-8"

    @classmethod
    def from_namespace(cls, namespace: str | None) -> SoapVersion | None:
        return _BY_NAMESPACE.get(namespace or "")

    @classmethod
    def from_content_type(cls, content_type: str | None) -> SoapVersion | None:
        """A hint from an HTTP Content-Type (used only before the envelope is read)."""
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media == "application/soap+xml":
            return cls.V12
        if media == "text/xml":
            return cls.V11
        return None


_BY_NAMESPACE = {SOAP11: SoapVersion.V11, SOAP12: SoapVersion.V12}
