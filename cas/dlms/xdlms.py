"""Just enough of the xDLMS service layer to carry APDUs the codec built (sans-IO).

The engine does not decode Data: it checks the request's service and invoke-id, joins
block transfers, and hands back one complete plaintext response APDU per request:

- get-response-with-datablock blocks become one get-response-normal (or -with-list, when
  the request was a with-list) carrying the joined raw data; a data-access-result in a
  block comes back as a get-response-normal carrying that result;
- action-response-with-pblock blocks become one action-response-normal (success, with the
  joined data as return parameters, as gurux reads them);
- every other response (normal, with-list, set responses, confirmed-service-error,
  exception-response) is returned byte for byte.
"""

from __future__ import annotations

import logging

from cas.dlms.errors import FrameError, ProtocolError

logger = logging.getLogger(__name__)

GET_REQUEST = 0xC0
SET_REQUEST = 0xC1
ACTION_REQUEST = 0xC3
GET_RESPONSE = 0xC4
SET_RESPONSE = 0xC5
ACTION_RESPONSE = 0xC7
EVENT_NOTIFICATION = 0xC2
DATA_NOTIFICATION = 0x0F
CONFIRMED_SERVICE_ERROR = 0x0E
EXCEPTION_RESPONSE = 0xD8

REQUESTS = {GET_REQUEST: GET_RESPONSE, SET_REQUEST: SET_RESPONSE, ACTION_REQUEST: ACTION_RESPONSE}
GLO_REQUEST = {GET_REQUEST: 0xC8, SET_REQUEST: 0xC9, ACTION_REQUEST: 0xCB}
GLO_RESPONSE = {0xCC: GET_RESPONSE, 0xCD: SET_RESPONSE, 0xCF: ACTION_RESPONSE}
DED_RESPONSE = {0xD4: GET_RESPONSE, 0xD5: SET_RESPONSE, 0xD7: ACTION_RESPONSE}
GENERAL_GLO_CIPHERING = 0xDB
GENERAL_DED_CIPHERING = 0xDC
NOTIFICATIONS = {DATA_NOTIFICATION, EVENT_NOTIFICATION, 0xCA, 0xD2}

GET_NORMAL, GET_NEXT, GET_WITH_LIST = 1, 2, 3
ACTION_NORMAL, ACTION_NEXT_PBLOCK = 1, 2
GET_RESPONSE_WITH_DATABLOCK = 2
ACTION_RESPONSE_WITH_PBLOCK = 2


def encode_length(length: int) -> bytes:
    """A-XDR / BER length."""
    if length < 0x80:
        return bytes((length,))
    size = (length.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + length.to_bytes(size, "big")


def decode_length(data: bytes, offset: int) -> tuple[int, int]:
    """(length, offset after the length field)."""
    if offset >= len(data):
        raise ProtocolError("APDU ends where a length was expected")
    first = data[offset]
    if first < 0x80:
        return first, offset + 1
    size = first & 0x7F
    if size == 0 or size > 4 or offset + 1 + size > len(data):
        raise ProtocolError("invalid length field")
    return int.from_bytes(data[offset + 1 : offset + 1 + size], "big"), offset + 1 + size


def check_request(apdu: bytes) -> None:
    if len(apdu) < 3 or apdu[0] not in REQUESTS:
        raise ValueError("request must be a get-, set- or action-request APDU")
    if not apdu[2] & 0x40:
        # An unconfirmed request gets no answer: the caller would only ever see a timeout.
        raise ValueError("request must use the confirmed service class (invoke-id bit 0x40)")


class PendingRequest:
    """One request in flight: joins response blocks, asks for the next ones."""

    def __init__(self, request: bytes, max_response: int) -> None:
        check_request(request)
        self.request = request
        self.service = request[0]
        self.request_type = request[1]
        self.invoke_id_and_priority = request[2]
        self.max_response = max_response
        self._blocks: list[bytes] = []
        self._size = 0
        self._next_block: int | None = None
        self.blocks_received = 0

    def on_response(self, apdu: bytes) -> tuple[bytes | None, bytes | None]:
        """A plaintext response APDU -> (complete response, or the next request to send)."""
        if not apdu:
            raise ProtocolError("empty APDU")
        tag = apdu[0]
        if tag in (CONFIRMED_SERVICE_ERROR, EXCEPTION_RESPONSE):
            return apdu, None
        if tag != REQUESTS[self.service]:
            raise ProtocolError(
                f"answer 0x{tag:02X} does not belong to request 0x{self.service:02X}"
            )
        if len(apdu) < 3:
            raise ProtocolError("response APDU too short")
        if apdu[2] & 0x0F != self.invoke_id_and_priority & 0x0F:
            raise ProtocolError(
                f"answer invoke-id {apdu[2] & 0x0F} does not match request "
                f"{self.invoke_id_and_priority & 0x0F}"
            )
        if tag == GET_RESPONSE and apdu[1] == GET_RESPONSE_WITH_DATABLOCK:
            return self._get_block(apdu)
        if tag == ACTION_RESPONSE and apdu[1] == ACTION_RESPONSE_WITH_PBLOCK:
            return self._action_block(apdu)
        if self._blocks:
            raise ProtocolError("block transfer interrupted by another response")
        return apdu, None

    def _block_number(self, apdu: bytes) -> int:
        if len(apdu) < 8:
            raise ProtocolError("block response too short")
        number = int.from_bytes(apdu[4:8], "big")
        if self._next_block is not None and number != self._next_block:
            raise ProtocolError(f"block {number} received, {self._next_block} expected")
        self._next_block = number + 1
        return number

    def _append(self, apdu: bytes, offset: int) -> None:
        length, start = decode_length(apdu, offset)
        if start + length != len(apdu):
            raise ProtocolError("raw-data length does not match the block")
        self._size += length
        if self._size > self.max_response:
            raise FrameError(f"response exceeds {self.max_response} bytes")
        self._blocks.append(apdu[start:])
        self.blocks_received += 1

    def _get_block(self, apdu: bytes) -> tuple[bytes | None, bytes | None]:
        last = apdu[3]
        number = self._block_number(apdu)
        iid = apdu[2:3]
        if len(apdu) < 9:
            raise ProtocolError("block response too short")
        if apdu[8] == 1:  # data-access-result instead of raw-data
            if len(apdu) != 10:
                raise ProtocolError("malformed data-access-result in a block")
            self._blocks = []
            return bytes((GET_RESPONSE, GET_NORMAL)) + iid + b"\x01" + apdu[9:10], None
        if apdu[8] != 0:
            raise ProtocolError("unknown block result choice")
        self._append(apdu, 9)
        if not last:
            next_request = bytes((GET_REQUEST, GET_NEXT)) + iid + number.to_bytes(4, "big")
            return None, next_request
        joined = b"".join(self._blocks)
        self._blocks = []
        if self.request_type == GET_WITH_LIST:
            return bytes((GET_RESPONSE, GET_WITH_LIST)) + iid + joined, None
        return bytes((GET_RESPONSE, GET_NORMAL)) + iid + b"\x00" + joined, None

    def _action_block(self, apdu: bytes) -> tuple[bytes | None, bytes | None]:
        last = apdu[3]
        number = self._block_number(apdu)
        iid = apdu[2:3]
        self._append(apdu, 8)
        if not last:
            next_request = (
                bytes((ACTION_REQUEST, ACTION_NEXT_PBLOCK)) + iid + number.to_bytes(4, "big")
            )
            return None, next_request
        joined = b"".join(self._blocks)
        self._blocks = []
        return bytes((ACTION_RESPONSE, ACTION_NORMAL)) + iid + b"\x00\x01\x00" + joined, None
