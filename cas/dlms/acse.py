"""Read the verdict of an AARE (result and diagnostic) before gurux parses the rest.

gurux reports every refusal as a GXDLMSException without the AARE; the engine wants the raw
AARE and a typed error (authentication failure vs other refusals), so it reads the two
fields itself: result [2] and result-source-diagnostic [3].
"""

from __future__ import annotations

from dataclasses import dataclass

from cas.dlms.errors import ProtocolError

AARE_TAG = 0x61
ACCEPTED = 0

# acse-service-user diagnostics (IEC 62056-5-3 / ISO 8650)
USER_DIAGNOSTICS = {
    0: "null",
    1: "no-reason-given",
    2: "application-context-name-not-supported",
    3: "calling-AP-title-not-recognized",
    4: "calling-AP-invocation-identifier-not-recognized",
    5: "calling-AE-qualifier-not-recognized",
    6: "calling-AE-invocation-identifier-not-recognized",
    7: "called-AP-title-not-recognized",
    8: "called-AP-invocation-identifier-not-recognized",
    9: "called-AE-qualifier-not-recognized",
    10: "called-AE-invocation-identifier-not-recognized",
    11: "authentication-mechanism-name-not-recognised",
    12: "authentication-mechanism-name-required",
    13: "authentication-failure",
    14: "authentication-required",
}
AUTHENTICATION_FAILURES = {11, 12, 13}
AUTHENTICATION_REQUIRED = 14
RESULTS = {0: "accepted", 1: "rejected-permanent", 2: "rejected-transient"}


@dataclass(frozen=True, slots=True)
class AareVerdict:
    result: int
    service_user: bool  # diagnostic source: acse-service-user (True) or -provider
    diagnostic: int
    responding_ap_title: bytes | None

    @property
    def diagnostic_name(self) -> str:
        if self.service_user:
            return USER_DIAGNOSTICS.get(self.diagnostic, str(self.diagnostic))
        return f"acse-service-provider {self.diagnostic}"

    @property
    def result_name(self) -> str:
        return RESULTS.get(self.result, str(self.result))


def _tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the BER element at ``offset``."""
    if offset + 2 > len(data):
        raise ProtocolError("AARE truncated")
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        size = length & 0x7F
        if size == 0 or size > 2 or start + size > len(data):
            raise ProtocolError("AARE has an invalid length")
        length = int.from_bytes(data[start : start + size], "big")
        start += size
    end = start + length
    if end > len(data):
        raise ProtocolError("AARE truncated")
    return tag, start, end


def _integer(data: bytes, start: int, end: int) -> int:
    tag, value_start, value_end = _tlv(data, start)
    if tag != 0x02 or value_end > end or value_end == value_start:
        raise ProtocolError("AARE field is not an INTEGER")
    return int.from_bytes(data[value_start:value_end], "big")


def read_aare(aare: bytes) -> AareVerdict:
    tag, start, end = _tlv(aare, 0)
    if tag != AARE_TAG:
        raise ProtocolError(f"expected an AARE, got tag 0x{tag:02X}")
    result = diagnostic = None
    service_user = True
    title = None
    offset = start
    while offset < end:
        tag, value_start, value_end = _tlv(aare, offset)
        if tag == 0xA2:
            result = _integer(aare, value_start, value_end)
        elif tag == 0xA3:
            choice, inner_start, inner_end = _tlv(aare, value_start)
            service_user = choice == 0xA1
            diagnostic = _integer(aare, inner_start, inner_end)
        elif tag == 0xA4:
            inner_tag, inner_start, inner_end = _tlv(aare, value_start)
            if inner_tag == 0x04:
                title = aare[inner_start:inner_end]
        offset = value_end
    if result is None or diagnostic is None:
        raise ProtocolError("AARE without result or diagnostic")
    return AareVerdict(result, service_user, diagnostic, title)
