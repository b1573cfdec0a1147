"""The xDLMS service APDUs, transcribed from the COSEMpdu ASN.1 (Green Book /
IEC 62056-5-3) into codecs over the generated classes: GET, SET, ACTION (all variants),
data-notification, exception-response, confirmed-service-error, and the initiate
request/response carried in the ACSE user-information.

Each ``NAME = Sequence(...)`` mirrors the ASN.1 type of the same name; tags come from
cas/cosem/tags.py.
"""

from __future__ import annotations

from typing import Any

from cas.cosem import axdr, tags
from cas.cosem.codec import (
    Alternative,
    Boolean,
    Choice,
    Codec,
    Data,
    DataList,
    Enumerated,
    FixedOctets,
    ListOfChoice,
    Octets,
    Optional,
    Sequence,
    SequenceOf,
    Signed,
    Unsigned,
    Variants,
    Wrapped,
)
from cas.cosem.errors import CosemDecodeError, CosemEncodeError
from generated import cosem as m

# -- Useful types ----------------------------------------------------------------------

INVOKE_ID_AND_PRIORITY = Unsigned(1, "invoke-id-and-priority")
LONG_INVOKE_ID_AND_PRIORITY = Unsigned(4, "long-invoke-id-and-priority")
UNSIGNED8 = Unsigned(1, "Unsigned8")
UNSIGNED16 = Unsigned(2, "Unsigned16")
UNSIGNED32 = Unsigned(4, "Unsigned32")
INTEGER8 = Signed(1, "Integer8")
INTEGER16 = Signed(2, "Integer16")
INSTANCE_ID = FixedOctets(6, "instance-id")
DATA = Data()

DATA_ACCESS_RESULT = Enumerated(tags.DATA_ACCESS_RESULT, "data-access-result")
ACTION_RESULT = Enumerated(tags.ACTION_RESULT, "action-result")

COSEM_ATTRIBUTE_DESCRIPTOR = Sequence(
    m.CosemAttributeDescriptor,
    ("class-id", UNSIGNED16),
    ("instance-id", INSTANCE_ID),
    ("attribute-id", INTEGER8),
)

COSEM_METHOD_DESCRIPTOR = Sequence(
    m.CosemMethodDescriptor,
    ("class-id", UNSIGNED16),
    ("instance-id", INSTANCE_ID),
    ("method-id", INTEGER8),
)

SELECTIVE_ACCESS_DESCRIPTOR = Sequence(
    m.SelectiveAccessDescriptor,
    ("access-selector", UNSIGNED8),
    ("access-parameters", DATA),
)
ACCESS_SELECTION = Optional(SELECTIVE_ACCESS_DESCRIPTOR, "access-selection")

COSEM_ATTRIBUTE_DESCRIPTOR_WITH_SELECTION = Sequence(
    m.CosemAttributeDescriptorWithSelection,
    ("cosem-attribute-descriptor", COSEM_ATTRIBUTE_DESCRIPTOR),
    ("access-selection", ACCESS_SELECTION),
)
ATTRIBUTE_DESCRIPTOR_LIST = SequenceOf(
    m.AttributeDescriptorList,
    "Cosem-Attribute-Descriptor-With-Selection",
    COSEM_ATTRIBUTE_DESCRIPTOR_WITH_SELECTION,
    min_item_size=10,
)
METHOD_DESCRIPTOR_LIST = SequenceOf(
    m.MethodDescriptorList, "Cosem-Method-Descriptor", COSEM_METHOD_DESCRIPTOR, min_item_size=9
)
DATA_ACCESS_RESULT_LIST = SequenceOf(
    m.DataAccessResultList, "data-access-result", DATA_ACCESS_RESULT
)

_RESULT_CODE = (m.DataAccessResult, int)

GET_DATA_RESULT_CHOICE = Choice(
    "Get-Data-Result",
    Alternative(0, "data", DATA, m.DataValue),
    Alternative(1, "data-access-result", DATA_ACCESS_RESULT, _RESULT_CODE),
)
GET_DATA_RESULT = Wrapped(m.GetDataResult, GET_DATA_RESULT_CHOICE)
GET_DATA_RESULT_LIST = ListOfChoice(m.GetDataResultList, GET_DATA_RESULT_CHOICE)

DATA_BLOCK_G = Sequence(
    m.DataBlockG,
    ("last-block", Boolean()),
    ("block-number", UNSIGNED32),
    (
        "result",
        Wrapped(
            m.DataBlockResult,
            Choice(
                "DataBlock-G result",
                Alternative(0, "raw-data", Octets("raw-data"), (bytes, bytearray)),
                Alternative(1, "data-access-result", DATA_ACCESS_RESULT, _RESULT_CODE),
            ),
        ),
    ),
)

DATA_BLOCK_SA = Sequence(
    m.DataBlockSa,
    ("last-block", Boolean()),
    ("block-number", UNSIGNED32),
    ("raw-data", Octets("raw-data")),
)

ACTION_RESPONSE_WITH_OPTIONAL_DATA = Sequence(
    m.ActionResponseWithOptionalData,
    ("result", ACTION_RESULT),
    ("return-parameters", Optional(GET_DATA_RESULT, "return-parameters")),
)

# -- GET -------------------------------------------------------------------------------

GET_REQUEST = Variants(
    m.GetRequest,
    "get-request",
    {
        1: (
            "get-request-normal",
            Sequence(
                m.GetRequestNormal,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("cosem-attribute-descriptor", COSEM_ATTRIBUTE_DESCRIPTOR),
                ("access-selection", ACCESS_SELECTION),
            ),
        ),
        2: (
            "get-request-next",
            Sequence(
                m.GetRequestNext,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("block-number", UNSIGNED32),
            ),
        ),
        3: (
            "get-request-with-list",
            Sequence(
                m.GetRequestWithList,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("attribute-descriptor-list", ATTRIBUTE_DESCRIPTOR_LIST),
            ),
        ),
    },
)

GET_RESPONSE = Variants(
    m.GetResponse,
    "get-response",
    {
        1: (
            "get-response-normal",
            Sequence(
                m.GetResponseNormal,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("result", GET_DATA_RESULT),
            ),
        ),
        2: (
            "get-response-with-datablock",
            Sequence(
                m.GetResponseWithDatablock,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("result", DATA_BLOCK_G),
            ),
        ),
        3: (
            "get-response-with-list",
            Sequence(
                m.GetResponseWithList,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("result", GET_DATA_RESULT_LIST),
            ),
        ),
    },
)

# -- SET -------------------------------------------------------------------------------

SET_REQUEST = Variants(
    m.SetRequest,
    "set-request",
    {
        1: (
            "set-request-normal",
            Sequence(
                m.SetRequestNormal,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("cosem-attribute-descriptor", COSEM_ATTRIBUTE_DESCRIPTOR),
                ("access-selection", ACCESS_SELECTION),
                ("value", DATA),
            ),
        ),
        2: (
            "set-request-with-first-datablock",
            Sequence(
                m.SetRequestWithFirstDatablock,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("cosem-attribute-descriptor", COSEM_ATTRIBUTE_DESCRIPTOR),
                ("access-selection", ACCESS_SELECTION),
                ("datablock", DATA_BLOCK_SA),
            ),
        ),
        3: (
            "set-request-with-datablock",
            Sequence(
                m.SetRequestWithDatablock,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("datablock", DATA_BLOCK_SA),
            ),
        ),
        4: (
            "set-request-with-list",
            Sequence(
                m.SetRequestWithList,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("attribute-descriptor-list", ATTRIBUTE_DESCRIPTOR_LIST),
                ("value-list", DataList()),
            ),
        ),
        5: (
            "set-request-with-list-and-first-datablock",
            Sequence(
                m.SetRequestWithListAndFirstDatablock,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("attribute-descriptor-list", ATTRIBUTE_DESCRIPTOR_LIST),
                ("datablock", DATA_BLOCK_SA),
            ),
        ),
    },
)

SET_RESPONSE = Variants(
    m.SetResponse,
    "set-response",
    {
        1: (
            "set-response-normal",
            Sequence(
                m.SetResponseNormal,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("result", DATA_ACCESS_RESULT),
            ),
        ),
        2: (
            "set-response-datablock",
            Sequence(
                m.SetResponseDatablock,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("block-number", UNSIGNED32),
            ),
        ),
        3: (
            "set-response-last-datablock",
            Sequence(
                m.SetResponseLastDatablock,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("result", DATA_ACCESS_RESULT),
                ("block-number", UNSIGNED32),
            ),
        ),
        4: (
            "set-response-last-datablock-with-list",
            Sequence(
                m.SetResponseLastDatablockWithList,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("result", DATA_ACCESS_RESULT_LIST),
                ("block-number", UNSIGNED32),
            ),
        ),
        5: (
            "set-response-with-list",
            Sequence(
                m.SetResponseWithList,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("result", DATA_ACCESS_RESULT_LIST),
            ),
        ),
    },
)

# -- ACTION ----------------------------------------------------------------------------

ACTION_REQUEST = Variants(
    m.ActionRequest,
    "action-request",
    {
        1: (
            "action-request-normal",
            Sequence(
                m.ActionRequestNormal,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("cosem-method-descriptor", COSEM_METHOD_DESCRIPTOR),
                (
                    "method-invocation-parameters",
                    Optional(DATA, "method-invocation-parameters"),
                ),
            ),
        ),
        2: (
            "action-request-next-pblock",
            Sequence(
                m.ActionRequestNextPblock,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("block-number", UNSIGNED32),
            ),
        ),
        3: (
            "action-request-with-list",
            Sequence(
                m.ActionRequestWithList,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("cosem-method-descriptor-list", METHOD_DESCRIPTOR_LIST),
                ("method-invocation-parameters", DataList()),
            ),
        ),
        4: (
            "action-request-with-first-pblock",
            Sequence(
                m.ActionRequestWithFirstPblock,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("cosem-method-descriptor", COSEM_METHOD_DESCRIPTOR),
                ("pblock", DATA_BLOCK_SA),
            ),
        ),
        5: (
            "action-request-with-list-and-first-pblock",
            Sequence(
                m.ActionRequestWithListAndFirstPblock,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("cosem-method-descriptor-list", METHOD_DESCRIPTOR_LIST),
                ("pblock", DATA_BLOCK_SA),
            ),
        ),
        6: (
            "action-request-with-pblock",
            Sequence(
                m.ActionRequestWithPblock,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("pBlock", DATA_BLOCK_SA),
            ),
        ),
    },
)

ACTION_RESPONSE = Variants(
    m.ActionResponse,
    "action-response",
    {
        1: (
            "action-response-normal",
            Sequence(
                m.ActionResponseNormal,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("single-response", ACTION_RESPONSE_WITH_OPTIONAL_DATA),
            ),
        ),
        2: (
            "action-response-with-pblock",
            Sequence(
                m.ActionResponseWithPblock,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("pblock", DATA_BLOCK_SA),
            ),
        ),
        3: (
            "action-response-with-list",
            Sequence(
                m.ActionResponseWithList,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                (
                    "list-of-responses",
                    SequenceOf(
                        m.ActionResponseList,
                        "Action-Response-With-Optional-Data",
                        ACTION_RESPONSE_WITH_OPTIONAL_DATA,
                        min_item_size=2,
                    ),
                ),
            ),
        ),
        4: (
            "action-response-next-pblock",
            Sequence(
                m.ActionResponseNextPblock,
                ("invoke-id-and-priority", INVOKE_ID_AND_PRIORITY),
                ("block-number", UNSIGNED32),
            ),
        ),
    },
)

# -- Data-Notification -----------------------------------------------------------------


class _NotificationTime(Codec):
    """date-time OCTET STRING: zero octets (no time stamp, None) or the 12 of a date-time."""

    def read(self, buf: bytes, pos: int) -> tuple[bytes | None, int]:
        raw, new = axdr.read_octets(buf, pos, "date-time")
        if len(raw) not in (0, 12):
            raise CosemDecodeError(pos, f"date-time of {len(raw)} octets (0 or 12 expected)")
        return (raw or None), new

    def write(self, value: Any, out: bytearray) -> None:
        if value is None:
            value = b""
        if not isinstance(value, (bytes, bytearray)) or len(value) not in (0, 12):
            raise CosemEncodeError("date-time must be 12 octets or left out")
        axdr.write_octets(value, out)


DATA_NOTIFICATION = Sequence(
    m.DataNotification,
    ("long-invoke-id-and-priority", LONG_INVOKE_ID_AND_PRIORITY),
    ("date-time", _NotificationTime()),
    ("notification-body", Sequence(m.NotificationBody, ("data-value", DATA))),
)

# -- EXCEPTION-Response ----------------------------------------------------------------


class _ExceptionResponse(Codec):
    """state-error, service-error and, for invocation-counter-error, the Unsigned32 the
    server expects (schema element invocation-counter)."""

    STATE = Enumerated(tags.STATE_ERROR, "state-error")
    SERVICE = Enumerated(tags.EXCEPTION_SERVICE_ERROR, "service-error")

    def read(self, buf: bytes, pos: int) -> tuple[m.ExceptionResponse, int]:
        state, pos = self.STATE.read(buf, pos)
        service_at = pos
        service, pos = self.SERVICE.read(buf, pos)
        counter = None
        if buf[service_at] == tags.INVOCATION_COUNTER_ERROR:
            counter, pos = UNSIGNED32.read(buf, pos)
        value = m.ExceptionResponse(
            state_error=state, service_error=service, invocation_counter=counter
        )
        return value, pos

    def write(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, m.ExceptionResponse):
            raise CosemEncodeError(f"ExceptionResponse expected, got {type(value).__name__}")
        for element, codec, field in (
            ("state-error", self.STATE, value.state_error),
            ("service-error", self.SERVICE, value.service_error),
        ):
            try:
                codec.write(field, out)
            except CosemEncodeError as error:
                raise error.within(element) from None
        counter_expected = out[-1] == tags.INVOCATION_COUNTER_ERROR
        try:
            if counter_expected:
                if value.invocation_counter is None:
                    raise CosemEncodeError("required with invocation-counter-error")
                UNSIGNED32.write(value.invocation_counter, out)
            elif value.invocation_counter is not None:
                raise CosemEncodeError("only allowed with invocation-counter-error")
        except CosemEncodeError as error:
            raise error.within("invocation-counter") from None


EXCEPTION_RESPONSE = _ExceptionResponse()

# -- ConfirmedServiceError -------------------------------------------------------------


class _ServiceError(Codec):
    """ServiceError: choice tag, then the ENUMERATED of that alternative."""

    def __init__(self) -> None:
        self.by_tag = {
            tag: (enum, Enumerated(table, enum.__name__, allow_unknown=False))
            for tag, (enum, table) in tags.SERVICE_ERROR_CHOICES.items()
        }
        self.by_enum = {enum: (tag, codec) for tag, (enum, codec) in self.by_tag.items()}

    def read_into(self, cls: type, buf: bytes, pos: int) -> tuple[Any, int]:
        tag, new = axdr.read_u8(buf, pos, "ServiceError choice")
        entry = self.by_tag.get(tag)
        if entry is None:
            raise CosemDecodeError(pos, f"unknown ServiceError choice {tag}")
        value, new = entry[1].read(buf, new)
        return cls(choice=value), new

    def write(self, value: Any, out: bytearray) -> None:
        entry = self.by_enum.get(type(value.choice))
        if entry is None:
            raise CosemEncodeError(f"{value.choice!r} is not a ServiceError value")
        tag, codec = entry
        out.append(tag)
        codec.write(value.choice, out)


class _ConfirmedServiceError(Codec):
    SERVICE_ERROR = _ServiceError()
    CHOICES = tags.CONFIRMED_SERVICE_ERROR_CHOICES
    BY_CLASS = {cls: (tag, element) for tag, (element, cls) in CHOICES.items()}

    def read(self, buf: bytes, pos: int) -> tuple[m.ConfirmedServiceError, int]:
        tag, new = axdr.read_u8(buf, pos, "ConfirmedServiceError choice")
        entry = self.CHOICES.get(tag)
        if entry is None:
            raise CosemDecodeError(pos, f"unknown ConfirmedServiceError choice {tag}")
        value, new = self.SERVICE_ERROR.read_into(entry[1], buf, new)
        return m.ConfirmedServiceError(choice=value), new

    def write(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, m.ConfirmedServiceError):
            raise CosemEncodeError(f"ConfirmedServiceError expected, got {type(value).__name__}")
        entry = self.BY_CLASS.get(type(value.choice))
        if entry is None:
            raise CosemEncodeError("confirmed-service-error: no alternative chosen")
        tag, element = entry
        out.append(tag)
        try:
            self.SERVICE_ERROR.write(value.choice, out)
        except CosemEncodeError as error:
            raise error.within(element) from None


CONFIRMED_SERVICE_ERROR = _ConfirmedServiceError()

# -- xDLMS-Initiate.request / .response ------------------------------------------------


class _Conformance(Codec):
    """Conformance ::= [APPLICATION 31] IMPLICIT BIT STRING (SIZE(24)), BER-encoded as
    5F 1F 04 00 followed by 3 octets; held as the list of set bits' names."""

    BITS = list(tags.CONFORMANCE_BIT)

    def read(self, buf: bytes, pos: int) -> tuple[list, int]:
        end = pos + 7
        if end > len(buf):
            raise axdr.truncated(pos, "conformance block")
        if buf[pos : pos + 4] != tags.CONFORMANCE_TAG + b"\x04\x00":
            raise CosemDecodeError(pos, "conformance block must start with 5F 1F 04 00")
        bits = int.from_bytes(buf[pos + 4 : end], "big")
        return [bit for index, bit in enumerate(self.BITS) if bits >> (23 - index) & 1], end

    def write(self, value: Any, out: bytearray) -> None:
        bits = 0
        for bit in value:
            number = tags.CONFORMANCE_BIT.get(bit)
            if number is None:
                raise CosemEncodeError(f"{bit!r} is not a conformance bit")
            bits |= 1 << (23 - number)
        out += tags.CONFORMANCE_TAG + b"\x04\x00" + bits.to_bytes(3, "big")


INITIATE_REQUEST = Sequence(
    m.InitiateRequest,
    ("dedicated-key", Optional(Octets("dedicated-key"), "dedicated-key")),
    ("response-allowed", Optional(Boolean(), "response-allowed")),
    ("proposed-quality-of-service", Optional(INTEGER8, "proposed-quality-of-service")),
    ("proposed-dlms-version-number", UNSIGNED8),
    ("proposed-conformance", _Conformance()),
    ("client-max-receive-pdu-size", UNSIGNED16),
)

INITIATE_RESPONSE = Sequence(
    m.InitiateResponse,
    ("negotiated-quality-of-service", Optional(INTEGER8, "negotiated-quality-of-service")),
    ("negotiated-dlms-version-number", UNSIGNED8),
    ("negotiated-conformance", _Conformance()),
    ("server-max-receive-pdu-size", UNSIGNED16),
    ("vaa-name", INTEGER16),
)
