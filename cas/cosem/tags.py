"""Every tag the codec knows, named once: APDU tags, Data tags and the numbered choices and
enumerations of the COSEMpdu ASN.1 (DLMS UA Green Book / IEC 62056-5-3).

Readers and writers look tags up here; nothing else in the package spells a tag number.
"""

from __future__ import annotations

from enum import Enum

from generated import cosem as m

# --------------------------------------------------------------------------------------
# APDU tags (first octet). Only the ones with a class below are encoded/decoded; the rest
# are named so an unsupported APDU is reported by name.
# --------------------------------------------------------------------------------------

APDU_NAMES: dict[int, str] = {
    0x01: "initiate-request",
    0x08: "initiate-response",
    0x0E: "confirmed-service-error",
    0x0F: "data-notification",
    0x21: "glo-initiate-request",
    0x28: "glo-initiate-response",
    0x60: "aarq",
    0x61: "aare",
    0x62: "rlrq",
    0x63: "rlre",
    0xC0: "get-request",
    0xC1: "set-request",
    0xC2: "event-notification-request",
    0xC3: "action-request",
    0xC4: "get-response",
    0xC5: "set-response",
    0xC7: "action-response",
    0xC8: "glo-get-request",
    0xC9: "glo-set-request",
    0xCA: "glo-event-notification-request",
    0xCB: "glo-action-request",
    0xCC: "glo-get-response",
    0xCD: "glo-set-response",
    0xCF: "glo-action-response",
    0xD0: "ded-get-request",
    0xD1: "ded-set-request",
    0xD2: "ded-event-notification-request",
    0xD3: "ded-action-request",
    0xD4: "ded-get-response",
    0xD5: "ded-set-response",
    0xD7: "ded-action-response",
    0xD8: "exception-response",
    0xD9: "access-request",
    0xDA: "access-response",
    0xDB: "general-glo-ciphering",
    0xDC: "general-ded-ciphering",
    0xDD: "general-ciphering",
    0xDF: "general-signing",
    0xE0: "general-block-transfer",
}

APDU_TAG: dict[type, int] = {
    m.GetRequest: 0xC0,
    m.SetRequest: 0xC1,
    m.ActionRequest: 0xC3,
    m.GetResponse: 0xC4,
    m.SetResponse: 0xC5,
    m.ActionResponse: 0xC7,
    m.DataNotification: 0x0F,
    m.ExceptionResponse: 0xD8,
    m.ConfirmedServiceError: 0x0E,
    m.Aarq: 0x60,
    m.Aare: 0x61,
    m.Rlrq: 0x62,
    m.Rlre: 0x63,
}

# Variants of the service APDUs: (APDU class, choice tag, variant class).
GET_REQUEST_VARIANTS = {1: m.GetRequestNormal, 2: m.GetRequestNext, 3: m.GetRequestWithList}
GET_RESPONSE_VARIANTS = {
    1: m.GetResponseNormal,
    2: m.GetResponseWithDatablock,
    3: m.GetResponseWithList,
}
SET_REQUEST_VARIANTS = {
    1: m.SetRequestNormal,
    2: m.SetRequestWithFirstDatablock,
    3: m.SetRequestWithDatablock,
    4: m.SetRequestWithList,
    5: m.SetRequestWithListAndFirstDatablock,
}
SET_RESPONSE_VARIANTS = {
    1: m.SetResponseNormal,
    2: m.SetResponseDatablock,
    3: m.SetResponseLastDatablock,
    4: m.SetResponseLastDatablockWithList,
    5: m.SetResponseWithList,
}
ACTION_REQUEST_VARIANTS = {
    1: m.ActionRequestNormal,
    2: m.ActionRequestNextPblock,
    3: m.ActionRequestWithList,
    4: m.ActionRequestWithFirstPblock,
    5: m.ActionRequestWithListAndFirstPblock,
    6: m.ActionRequestWithPblock,
}
ACTION_RESPONSE_VARIANTS = {
    1: m.ActionResponseNormal,
    2: m.ActionResponseWithPblock,
    3: m.ActionResponseWithList,
    4: m.ActionResponseNextPblock,
}

# --------------------------------------------------------------------------------------
# Data (A-XDR): tag, XML element name, value class, type-description class.
# --------------------------------------------------------------------------------------

DATA_KINDS: tuple[tuple[int, str, type, type], ...] = (
    (0, "null-data", m.NullData, m.NullDataType),
    (1, "array", m.Array, m.ArrayType),
    (2, "structure", m.Structure, m.StructureType),
    (3, "boolean", m.Boolean, m.BooleanType),
    (4, "bit-string", m.BitString, m.BitStringType),
    (5, "double-long", m.DoubleLong, m.DoubleLongType),
    (6, "double-long-unsigned", m.DoubleLongUnsigned, m.DoubleLongUnsignedType),
    (9, "octet-string", m.OctetString, m.OctetStringType),
    (10, "visible-string", m.VisibleString, m.VisibleStringType),
    (12, "utf8-string", m.Utf8String, m.Utf8StringType),
    (13, "bcd", m.Bcd, m.BcdType),
    (15, "integer", m.Integer, m.IntegerType),
    (16, "long", m.Long, m.LongType),
    (17, "unsigned", m.Unsigned, m.UnsignedType),
    (18, "long-unsigned", m.LongUnsigned, m.LongUnsignedType),
    (19, "compact-array", m.CompactArray, None),
    (20, "long64", m.Long64, m.Long64Type),
    (21, "long64-unsigned", m.Long64Unsigned, m.Long64UnsignedType),
    (22, "enum", m.EnumValue, m.EnumType),
    (23, "float32", m.Float32, m.Float32Type),
    (24, "float64", m.Float64, m.Float64Type),
    (25, "date-time", m.DateTime, m.DateTimeType),
    (26, "date", m.Date, m.DateType),
    (27, "time", m.Time, m.TimeType),
    (255, "dont-care", m.DontCare, m.DontCareType),
)

DATA_TAG: dict[type, int] = {cls: tag for tag, _, cls, _ in DATA_KINDS}
DATA_NAME: dict[type, str] = {cls: name for _, name, cls, _ in DATA_KINDS}
TYPE_DESCRIPTION_TAG: dict[type, int] = {td: tag for tag, _, _, td in DATA_KINDS if td}
TYPE_DESCRIPTION_CLASS: dict[int, type] = {tag: td for tag, _, _, td in DATA_KINDS if td}
TYPE_DESCRIPTION_NAME: dict[type, str] = {td: name for _, name, _, td in DATA_KINDS if td}

# --------------------------------------------------------------------------------------
# ASN.1 ENUMERATED values: enum member <-> number.
# --------------------------------------------------------------------------------------


def _numbered(enum: type[Enum], numbers: dict[str, int]) -> dict[Enum, int]:
    table = {enum(name): number for name, number in numbers.items()}
    missing = set(enum) - set(table)
    assert not missing, f"{enum.__name__}: no number for {missing}"
    return table


DATA_ACCESS_RESULT = _numbered(
    m.DataAccessResult,
    {
        "success": 0,
        "hardware-fault": 1,
        "temporary-failure": 2,
        "read-write-denied": 3,
        "object-undefined": 4,
        "object-class-inconsistent": 9,
        "object-unavailable": 11,
        "type-unmatched": 12,
        "scope-of-access-violated": 13,
        "data-block-unavailable": 14,
        "long-get-aborted": 15,
        "no-long-get-in-progress": 16,
        "long-set-aborted": 17,
        "no-long-set-in-progress": 18,
        "data-block-number-invalid": 19,
        "other-reason": 250,
    },
)

ACTION_RESULT = _numbered(
    m.ActionResult,
    {
        "success": 0,
        "hardware-fault": 1,
        "temporary-failure": 2,
        "read-write-denied": 3,
        "object-undefined": 4,
        "object-class-inconsistent": 9,
        "object-unavailable": 11,
        "type-unmatched": 12,
        "scope-of-access-violated": 13,
        "data-block-unavailable": 14,
        "long-action-aborted": 15,
        "no-long-action-in-progress": 16,
        "other-reason": 250,
    },
)

STATE_ERROR = _numbered(m.StateError, {"service-not-allowed": 1, "service-unknown": 2})

EXCEPTION_SERVICE_ERROR = _numbered(
    m.ExceptionServiceError,
    {
        "operation-not-possible": 1,
        "service-not-supported": 2,
        "other-reason": 3,
        "pdu-too-long": 4,
        "deciphering-error": 5,
        "invocation-counter-error": 6,
    },
)
INVOCATION_COUNTER_ERROR = 6

# ConfirmedServiceError: choice tag -> (element name, alternative class).
CONFIRMED_SERVICE_ERROR_CHOICES: dict[int, tuple[str, type]] = {
    1: ("initiateError", m.ConfirmedServiceError.InitiateError),
    2: ("getStatus", m.ConfirmedServiceError.GetStatus),
    3: ("getNameList", m.ConfirmedServiceError.GetNameList),
    4: ("getVariableAttribute", m.ConfirmedServiceError.GetVariableAttribute),
    5: ("read", m.ConfirmedServiceError.Read),
    6: ("write", m.ConfirmedServiceError.Write),
    7: ("getDataSetAttribute", m.ConfirmedServiceError.GetDataSetAttribute),
    8: ("getTIAttribute", m.ConfirmedServiceError.GetTiattribute),
    9: ("changeScope", m.ConfirmedServiceError.ChangeScope),
    10: ("start", m.ConfirmedServiceError.Start),
    11: ("stop", m.ConfirmedServiceError.Stop),
    12: ("resume", m.ConfirmedServiceError.Resume),
    13: ("makeUsable", m.ConfirmedServiceError.MakeUsable),
    14: ("initiateLoad", m.ConfirmedServiceError.InitiateLoad),
    15: ("loadSegment", m.ConfirmedServiceError.LoadSegment),
    16: ("terminateLoad", m.ConfirmedServiceError.TerminateLoad),
    17: ("initiateUpLoad", m.ConfirmedServiceError.InitiateUpLoad),
    18: ("upLoadSegment", m.ConfirmedServiceError.UpLoadSegment),
    19: ("terminateUpLoad", m.ConfirmedServiceError.TerminateUpLoad),
}

# ServiceError: choice tag -> enumeration, each with its numbered values.
SERVICE_ERROR_CHOICES: dict[int, tuple[type[Enum], dict[Enum, int]]] = {
    0: (
        m.ApplicationReference,
        _numbered(
            m.ApplicationReference,
            {
                "other": 0,
                "time-elapsed": 1,
                "application-unreachable": 2,
                "application-reference-invalid": 3,
                "application-context-unsupported": 4,
                "provider-communication-error": 5,
                "deciphering-error": 6,
            },
        ),
    ),
    1: (
        m.HardwareResource,
        _numbered(
            m.HardwareResource,
            {
                "other": 0,
                "memory-unavailable": 1,
                "processor-resource-unavailable": 2,
                "mass-storage-unavailable": 3,
                "other-resource-unavailable": 4,
            },
        ),
    ),
    2: (
        m.VdeStateError,
        _numbered(
            m.VdeStateError,
            {
                "other": 0,
                "no-dlms-context": 1,
                "loading-data-set": 2,
                "status-nochange": 3,
                "status-inoperable": 4,
            },
        ),
    ),
    3: (
        m.Service,
        _numbered(m.Service, {"other": 0, "pdu-size": 1, "service-unsupported": 2}),
    ),
    4: (
        m.Definition,
        _numbered(
            m.Definition,
            {
                "other": 0,
                "object-undefined": 1,
                "object-class-inconsistent": 2,
                "object-attribute-inconsistent": 3,
            },
        ),
    ),
    5: (
        m.Access,
        _numbered(
            m.Access,
            {
                "other": 0,
                "scope-of-access-violated": 1,
                "object-access-invalid": 2,
                "hardware-fault": 3,
                "object-unavailable": 4,
            },
        ),
    ),
    6: (
        m.Initiate,
        _numbered(
            m.Initiate,
            {
                "other": 0,
                "dlms-version-too-low": 1,
                "incompatible-conformance": 2,
                "pdu-size-too-short": 3,
                "refused-by-the-VDE-Handler": 4,
            },
        ),
    ),
    7: (
        m.LoadDataSet,
        _numbered(
            m.LoadDataSet,
            {
                "other": 0,
                "primitive-out-of-sequence": 1,
                "not-loadable": 2,
                "dataset-size-too-large": 3,
                "not-awaited-segment": 4,
                "interpretation-failure": 5,
                "storage-failure": 6,
                "data-set-not-ready": 7,
            },
        ),
    ),
    9: (
        m.Task,
        _numbered(
            m.Task,
            {
                "other": 0,
                "no-remote-control": 1,
                "ti-stopped": 2,
                "ti-running": 3,
                "ti-unusable": 4,
            },
        ),
    ),
}

# xDLMS conformance block: bit number (0 = most significant bit of the first octet).
CONFORMANCE_BIT: dict[Enum, int] = {bit: number for number, bit in enumerate(m.ConformanceBit)}

# --------------------------------------------------------------------------------------
# ACSE (BER): context tags of the AARQ/AARE/RLRQ/RLRE components and their enumerations.
# --------------------------------------------------------------------------------------

ASSOCIATION_RESULT = _numbered(
    m.AssociationResult, {"accepted": 0, "rejected-permanent": 1, "rejected-transient": 2}
)
ACSE_SERVICE_USER = _numbered(
    m.AcseServiceUser,
    {
        "null": 0,
        "no-reason-given": 1,
        "application-context-name-not-supported": 2,
        "calling-AP-title-not-recognized": 3,
        "calling-AP-invocation-identifier-not-recognized": 4,
        "calling-AE-qualifier-not-recognized": 5,
        "calling-AE-invocation-identifier-not-recognized": 6,
        "called-AP-title-not-recognized": 7,
        "called-AP-invocation-identifier-not-recognized": 8,
        "called-AE-qualifier-not-recognized": 9,
        "called-AE-invocation-identifier-not-recognized": 10,
        "authentication-mechanism-name-not-recognised": 11,
        "authentication-mechanism-name-required": 12,
        "authentication-failure": 13,
        "authentication-required": 14,
    },
)
ACSE_SERVICE_PROVIDER = _numbered(
    m.AcseServiceProvider, {"null": 0, "no-reason-given": 1, "no-common-acse-version": 2}
)
RELEASE_REQUEST_REASON = _numbered(
    m.ReleaseRequestReason, {"normal": 0, "urgent": 1, "user-defined": 30}
)
RELEASE_RESPONSE_REASON = _numbered(
    m.ReleaseResponseReason, {"normal": 0, "not-finished": 1, "user-defined": 30}
)

# xDLMS APDUs inside the ACSE user-information.
INITIATE_REQUEST = 0x01
INITIATE_RESPONSE = 0x08
CONFIRMED_SERVICE_ERROR = 0x0E
CONFORMANCE_TAG = b"\x5f\x1f"  # [APPLICATION 31]


def reverse(table: dict[Enum, int]) -> dict[int, Enum]:
    """number -> enum member, for decoding."""
    return {number: member for member, number in table.items()}
