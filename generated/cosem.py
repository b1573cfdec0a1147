from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import ForwardRef

__NAMESPACE__ = "http://www.dlms.com/COSEMpdu"


class Access(Enum):
    OTHER = "other"
    SCOPE_OF_ACCESS_VIOLATED = "scope-of-access-violated"
    OBJECT_ACCESS_INVALID = "object-access-invalid"
    HARDWARE_FAULT = "hardware-fault"
    OBJECT_UNAVAILABLE = "object-unavailable"


class AcseServiceProvider(Enum):
    NULL = "null"
    NO_REASON_GIVEN = "no-reason-given"
    NO_COMMON_ACSE_VERSION = "no-common-acse-version"


class AcseServiceUser(Enum):
    NULL = "null"
    NO_REASON_GIVEN = "no-reason-given"
    APPLICATION_CONTEXT_NAME_NOT_SUPPORTED = "application-context-name-not-supported"
    CALLING_AP_TITLE_NOT_RECOGNIZED = "calling-AP-title-not-recognized"
    CALLING_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = (
        "calling-AP-invocation-identifier-not-recognized"
    )
    CALLING_AE_QUALIFIER_NOT_RECOGNIZED = "calling-AE-qualifier-not-recognized"
    CALLING_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = (
        "calling-AE-invocation-identifier-not-recognized"
    )
    CALLED_AP_TITLE_NOT_RECOGNIZED = "called-AP-title-not-recognized"
    CALLED_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = (
        "called-AP-invocation-identifier-not-recognized"
    )
    CALLED_AE_QUALIFIER_NOT_RECOGNIZED = "called-AE-qualifier-not-recognized"
    CALLED_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = (
        "called-AE-invocation-identifier-not-recognized"
    )
    AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED = "authentication-mechanism-name-not-recognised"
    AUTHENTICATION_MECHANISM_NAME_REQUIRED = "authentication-mechanism-name-required"
    AUTHENTICATION_FAILURE = "authentication-failure"
    AUTHENTICATION_REQUIRED = "authentication-required"


@dataclass(slots=True, kw_only=True)
class ActionRequestNextPblock:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    block_number: int = field(
        metadata={
            "name": "block-number",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class ActionResponseNextPblock:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    block_number: int = field(
        metadata={
            "name": "block-number",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


class ActionResult(Enum):
    SUCCESS = "success"
    HARDWARE_FAULT = "hardware-fault"
    TEMPORARY_FAILURE = "temporary-failure"
    READ_WRITE_DENIED = "read-write-denied"
    OBJECT_UNDEFINED = "object-undefined"
    OBJECT_CLASS_INCONSISTENT = "object-class-inconsistent"
    OBJECT_UNAVAILABLE = "object-unavailable"
    TYPE_UNMATCHED = "type-unmatched"
    SCOPE_OF_ACCESS_VIOLATED = "scope-of-access-violated"
    DATA_BLOCK_UNAVAILABLE = "data-block-unavailable"
    LONG_ACTION_ABORTED = "long-action-aborted"
    NO_LONG_ACTION_IN_PROGRESS = "no-long-action-in-progress"
    OTHER_REASON = "other-reason"


class ApplicationReference(Enum):
    OTHER = "other"
    TIME_ELAPSED = "time-elapsed"
    APPLICATION_UNREACHABLE = "application-unreachable"
    APPLICATION_REFERENCE_INVALID = "application-reference-invalid"
    APPLICATION_CONTEXT_UNSUPPORTED = "application-context-unsupported"
    PROVIDER_COMMUNICATION_ERROR = "provider-communication-error"
    DECIPHERING_ERROR = "deciphering-error"


@dataclass(slots=True, kw_only=True)
class ArrayType:
    number_of_elements: int = field(
        metadata={
            "name": "number-of-elements",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    type_description: TypeDescription = field(
        metadata={
            "name": "type-description",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


class AssociationResult(Enum):
    ACCEPTED = "accepted"
    REJECTED_PERMANENT = "rejected-permanent"
    REJECTED_TRANSIENT = "rejected-transient"


@dataclass(slots=True, kw_only=True)
class AuthenticationValue:
    """
    Decided: charstring (a password or challenge, any octets) in hex; bitstring as 0/1
    characters.
    """

    charstring_or_bitstring: None | bytes | str = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "charstring",
                    "type": bytes,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                    "format": "base16",
                },
                {
                    "name": "bitstring",
                    "type": str,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                    "pattern": r"[01]*",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class Bcd:
    value: int = field()


@dataclass(slots=True, kw_only=True)
class BcdType:
    pass


@dataclass(slots=True, kw_only=True)
class BitString:
    value: str = field(
        default="",
        metadata={
            "pattern": r"[01]*",
        },
    )


@dataclass(slots=True, kw_only=True)
class BitStringType:
    pass


@dataclass(slots=True, kw_only=True)
class Boolean:
    value: bool = field()


@dataclass(slots=True, kw_only=True)
class BooleanType:
    pass


class ConformanceBit(Enum):
    RESERVED_ZERO = "reserved-zero"
    GENERAL_PROTECTION = "general-protection"
    GENERAL_BLOCK_TRANSFER = "general-block-transfer"
    READ = "read"
    WRITE = "write"
    UNCONFIRMED_WRITE = "unconfirmed-write"
    DELTA_VALUE_ENCODING = "delta-value-encoding"
    RESERVED_SEVEN = "reserved-seven"
    ATTRIBUTE0_SUPPORTED_WITH_SET = "attribute0-supported-with-set"
    PRIORITY_MGMT_SUPPORTED = "priority-mgmt-supported"
    ATTRIBUTE0_SUPPORTED_WITH_GET = "attribute0-supported-with-get"
    BLOCK_TRANSFER_WITH_GET_OR_READ = "block-transfer-with-get-or-read"
    BLOCK_TRANSFER_WITH_SET_OR_WRITE = "block-transfer-with-set-or-write"
    BLOCK_TRANSFER_WITH_ACTION = "block-transfer-with-action"
    MULTIPLE_REFERENCES = "multiple-references"
    INFORMATION_REPORT = "information-report"
    DATA_NOTIFICATION = "data-notification"
    ACCESS = "access"
    PARAMETERIZED_ACCESS = "parameterized-access"
    GET = "get"
    SET = "set"
    SELECTIVE_ACCESS = "selective-access"
    EVENT_NOTIFICATION = "event-notification"
    ACTION = "action"


@dataclass(slots=True, kw_only=True)
class CosemAttributeDescriptor:
    class_id: int = field(
        metadata={
            "name": "class-id",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    instance_id: bytes = field(
        metadata={
            "name": "instance-id",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
            "length": 6,
            "format": "base16",
        }
    )
    attribute_id: int = field(
        metadata={
            "name": "attribute-id",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class CosemMethodDescriptor:
    class_id: int = field(
        metadata={
            "name": "class-id",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    instance_id: bytes = field(
        metadata={
            "name": "instance-id",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
            "length": 6,
            "format": "base16",
        }
    )
    method_id: int = field(
        metadata={
            "name": "method-id",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


class DataAccessResult(Enum):
    SUCCESS = "success"
    HARDWARE_FAULT = "hardware-fault"
    TEMPORARY_FAILURE = "temporary-failure"
    READ_WRITE_DENIED = "read-write-denied"
    OBJECT_UNDEFINED = "object-undefined"
    OBJECT_CLASS_INCONSISTENT = "object-class-inconsistent"
    OBJECT_UNAVAILABLE = "object-unavailable"
    TYPE_UNMATCHED = "type-unmatched"
    SCOPE_OF_ACCESS_VIOLATED = "scope-of-access-violated"
    DATA_BLOCK_UNAVAILABLE = "data-block-unavailable"
    LONG_GET_ABORTED = "long-get-aborted"
    NO_LONG_GET_IN_PROGRESS = "no-long-get-in-progress"
    LONG_SET_ABORTED = "long-set-aborted"
    NO_LONG_SET_IN_PROGRESS = "no-long-set-in-progress"
    DATA_BLOCK_NUMBER_INVALID = "data-block-number-invalid"
    OTHER_REASON = "other-reason"


@dataclass(slots=True, kw_only=True)
class DataBlockSa:
    last_block: bool = field(
        metadata={
            "name": "last-block",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    block_number: int = field(
        metadata={
            "name": "block-number",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    raw_data: bytes = field(
        metadata={
            "name": "raw-data",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
            "format": "base16",
        }
    )


@dataclass(slots=True, kw_only=True)
class Date:
    value: bytes = field(
        default=b"",
        metadata={
            "length": 5,
            "format": "base16",
        },
    )


@dataclass(slots=True, kw_only=True)
class DateTime:
    value: bytes = field(
        default=b"",
        metadata={
            "length": 12,
            "format": "base16",
        },
    )


@dataclass(slots=True, kw_only=True)
class DateTimeType:
    pass


@dataclass(slots=True, kw_only=True)
class DateType:
    pass


class Definition(Enum):
    OTHER = "other"
    OBJECT_UNDEFINED = "object-undefined"
    OBJECT_CLASS_INCONSISTENT = "object-class-inconsistent"
    OBJECT_ATTRIBUTE_INCONSISTENT = "object-attribute-inconsistent"


@dataclass(slots=True, kw_only=True)
class DontCare:
    pass


@dataclass(slots=True, kw_only=True)
class DontCareType:
    pass


@dataclass(slots=True, kw_only=True)
class DoubleLong:
    value: int = field()


@dataclass(slots=True, kw_only=True)
class DoubleLongType:
    pass


@dataclass(slots=True, kw_only=True)
class DoubleLongUnsigned:
    value: int = field()


@dataclass(slots=True, kw_only=True)
class DoubleLongUnsignedType:
    pass


@dataclass(slots=True, kw_only=True)
class EnumType:
    pass


@dataclass(slots=True, kw_only=True)
class EnumValue:
    """
    The Data kind "enum" (named EnumValue to keep clear of Python's enum.Enum).
    """

    value: int = field()


class ExceptionServiceError(Enum):
    OPERATION_NOT_POSSIBLE = "operation-not-possible"
    SERVICE_NOT_SUPPORTED = "service-not-supported"
    OTHER_REASON = "other-reason"
    PDU_TOO_LONG = "pdu-too-long"
    DECIPHERING_ERROR = "deciphering-error"
    INVOCATION_COUNTER_ERROR = "invocation-counter-error"


@dataclass(slots=True, kw_only=True)
class Float32:
    """
    Decided: a NaN other than the canonical quiet NaN (7FC00000) keeps its exact octets in the
    bits attribute.
    """

    value: float = field()
    bits: None | bytes = field(
        default=None,
        metadata={
            "type": "Attribute",
            "length": 4,
            "format": "base16",
        },
    )


@dataclass(slots=True, kw_only=True)
class Float32Type:
    pass


@dataclass(slots=True, kw_only=True)
class Float64:
    """
    Decided: a NaN other than the canonical quiet NaN (7FF8000000000000) keeps its exact octets
    in the bits attribute.
    """

    value: float = field()
    bits: None | bytes = field(
        default=None,
        metadata={
            "type": "Attribute",
            "length": 8,
            "format": "base16",
        },
    )


@dataclass(slots=True, kw_only=True)
class Float64Type:
    pass


@dataclass(slots=True, kw_only=True)
class GetRequestNext:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    block_number: int = field(
        metadata={
            "name": "block-number",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


class HardwareResource(Enum):
    OTHER = "other"
    MEMORY_UNAVAILABLE = "memory-unavailable"
    PROCESSOR_RESOURCE_UNAVAILABLE = "processor-resource-unavailable"
    MASS_STORAGE_UNAVAILABLE = "mass-storage-unavailable"
    OTHER_RESOURCE_UNAVAILABLE = "other-resource-unavailable"


class Initiate(Enum):
    OTHER = "other"
    DLMS_VERSION_TOO_LOW = "dlms-version-too-low"
    INCOMPATIBLE_CONFORMANCE = "incompatible-conformance"
    PDU_SIZE_TOO_SHORT = "pdu-size-too-short"
    REFUSED_BY_THE_VDE_HANDLER = "refused-by-the-VDE-Handler"


@dataclass(slots=True, kw_only=True)
class Integer:
    value: int = field()


@dataclass(slots=True, kw_only=True)
class IntegerType:
    pass


class LoadDataSet(Enum):
    OTHER = "other"
    PRIMITIVE_OUT_OF_SEQUENCE = "primitive-out-of-sequence"
    NOT_LOADABLE = "not-loadable"
    DATASET_SIZE_TOO_LARGE = "dataset-size-too-large"
    NOT_AWAITED_SEGMENT = "not-awaited-segment"
    INTERPRETATION_FAILURE = "interpretation-failure"
    STORAGE_FAILURE = "storage-failure"
    DATA_SET_NOT_READY = "data-set-not-ready"


@dataclass(slots=True, kw_only=True)
class Long:
    value: int = field()


@dataclass(slots=True, kw_only=True)
class Long64:
    value: int = field()


@dataclass(slots=True, kw_only=True)
class Long64Type:
    pass


@dataclass(slots=True, kw_only=True)
class Long64Unsigned:
    value: int = field()


@dataclass(slots=True, kw_only=True)
class Long64UnsignedType:
    pass


@dataclass(slots=True, kw_only=True)
class LongType:
    pass


@dataclass(slots=True, kw_only=True)
class LongUnsigned:
    value: int = field()


@dataclass(slots=True, kw_only=True)
class LongUnsignedType:
    pass


@dataclass(slots=True, kw_only=True)
class NullData:
    pass


@dataclass(slots=True, kw_only=True)
class NullDataType:
    pass


@dataclass(slots=True, kw_only=True)
class OctetString:
    value: bytes = field(
        default=b"",
        metadata={
            "format": "base16",
        },
    )


@dataclass(slots=True, kw_only=True)
class OctetStringType:
    pass


class ReleaseRequestReason(Enum):
    NORMAL = "normal"
    URGENT = "urgent"
    USER_DEFINED = "user-defined"


class ReleaseResponseReason(Enum):
    NORMAL = "normal"
    NOT_FINISHED = "not-finished"
    USER_DEFINED = "user-defined"


class Service(Enum):
    OTHER = "other"
    PDU_SIZE = "pdu-size"
    SERVICE_UNSUPPORTED = "service-unsupported"


@dataclass(slots=True, kw_only=True)
class SetResponseDatablock:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    block_number: int = field(
        metadata={
            "name": "block-number",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


class StateError(Enum):
    SERVICE_NOT_ALLOWED = "service-not-allowed"
    SERVICE_UNKNOWN = "service-unknown"


class Task(Enum):
    OTHER = "other"
    NO_REMOTE_CONTROL = "no-remote-control"
    TI_STOPPED = "ti-stopped"
    TI_RUNNING = "ti-running"
    TI_UNUSABLE = "ti-unusable"


@dataclass(slots=True, kw_only=True)
class Time:
    value: bytes = field(
        default=b"",
        metadata={
            "length": 4,
            "format": "base16",
        },
    )


@dataclass(slots=True, kw_only=True)
class TimeType:
    pass


@dataclass(slots=True, kw_only=True)
class Unsigned:
    value: int = field()


@dataclass(slots=True, kw_only=True)
class UnsignedType:
    pass


@dataclass(slots=True, kw_only=True)
class Utf8String:
    """
    UTF-8 text.

    Decided: octets that are not valid UTF-8 or hold characters XML 1.0 cannot carry are written
    as hex with hex="true".
    """

    value: str = field(default="")
    hex: None | bool = field(
        default=None,
        metadata={
            "type": "Attribute",
        },
    )


@dataclass(slots=True, kw_only=True)
class Utf8StringType:
    pass


class VdeStateError(Enum):
    OTHER = "other"
    NO_DLMS_CONTEXT = "no-dlms-context"
    LOADING_DATA_SET = "loading-data-set"
    STATUS_NOCHANGE = "status-nochange"
    STATUS_INOPERABLE = "status-inoperable"


@dataclass(slots=True, kw_only=True)
class VisibleString:
    """
    Text of printable ASCII (plus TAB, LF, CR).

    Decided: any other octets are written as hex with hex="true", so every value survives XML.
    """

    value: str = field(default="")
    hex: None | bool = field(
        default=None,
        metadata={
            "type": "Attribute",
        },
    )


@dataclass(slots=True, kw_only=True)
class VisibleStringType:
    pass


@dataclass(slots=True, kw_only=True)
class ActionRequestWithFirstPblock:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    cosem_method_descriptor: CosemMethodDescriptor = field(
        metadata={
            "name": "cosem-method-descriptor",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    pblock: DataBlockSa = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class ActionRequestWithPblock:
    """
    The ASN.1 spells this component pBlock.
    """

    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    p_block: DataBlockSa = field(
        metadata={
            "name": "pBlock",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class ActionResponseWithPblock:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    pblock: DataBlockSa = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class AssociateSourceDiagnostic:
    acse_service_user_or_acse_service_provider: None | AcseServiceUser | AcseServiceProvider = (
        field(
            default=None,
            metadata={
                "type": "Elements",
                "choices": (
                    {
                        "name": "acse-service-user",
                        "type": AcseServiceUser,
                        "namespace": "http://www.dlms.com/COSEMpdu",
                    },
                    {
                        "name": "acse-service-provider",
                        "type": AcseServiceProvider,
                        "namespace": "http://www.dlms.com/COSEMpdu",
                    },
                ),
            },
        )
    )


@dataclass(slots=True, kw_only=True)
class DataAccessResultList:
    """
    Decided: SEQUENCE OF Data-Access-Result as repeated data-access-result elements (as gurux
    writes it).
    """

    data_access_result: list[DataAccessResult | int] = field(
        default_factory=list,
        metadata={
            "name": "data-access-result",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )


@dataclass(slots=True, kw_only=True)
class DataBlockResult:
    raw_data_or_data_access_result: None | bytes | DataAccessResult | int = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "raw-data",
                    "type": bytes,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                    "format": "base16",
                },
                {
                    "name": "data-access-result",
                    "type": DataAccessResult | int,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class InitiateRequest:
    """
    response-allowed is written only when the encoding carries it (ASN.1 DEFAULT TRUE), so the
    octets round-trip exactly.
    """

    dedicated_key: None | bytes = field(
        default=None,
        metadata={
            "name": "dedicated-key",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
            "format": "base16",
        },
    )
    response_allowed: None | bool = field(
        default=None,
        metadata={
            "name": "response-allowed",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )
    proposed_quality_of_service: None | int = field(
        default=None,
        metadata={
            "name": "proposed-quality-of-service",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )
    proposed_dlms_version_number: int = field(
        metadata={
            "name": "proposed-dlms-version-number",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    proposed_conformance: list[ConformanceBit] = field(
        default_factory=list,
        metadata={
            "name": "proposed-conformance",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
            "tokens": True,
        },
    )
    client_max_receive_pdu_size: int = field(
        metadata={
            "name": "client-max-receive-pdu-size",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class InitiateResponse:
    negotiated_quality_of_service: None | int = field(
        default=None,
        metadata={
            "name": "negotiated-quality-of-service",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )
    negotiated_dlms_version_number: int = field(
        metadata={
            "name": "negotiated-dlms-version-number",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    negotiated_conformance: list[ConformanceBit] = field(
        default_factory=list,
        metadata={
            "name": "negotiated-conformance",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
            "tokens": True,
        },
    )
    server_max_receive_pdu_size: int = field(
        metadata={
            "name": "server-max-receive-pdu-size",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    vaa_name: int = field(
        metadata={
            "name": "vaa-name",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class MethodDescriptorList:
    cosem_method_descriptor: list[CosemMethodDescriptor] = field(
        default_factory=list,
        metadata={
            "name": "Cosem-Method-Descriptor",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )


@dataclass(slots=True, kw_only=True)
class ServiceError:
    choice: (
        None
        | ApplicationReference
        | HardwareResource
        | VdeStateError
        | Service
        | Definition
        | Access
        | Initiate
        | LoadDataSet
        | Task
    ) = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "application-reference",
                    "type": ApplicationReference,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "hardware-resource",
                    "type": HardwareResource,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "vde-state-error",
                    "type": VdeStateError,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "service",
                    "type": Service,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "definition",
                    "type": Definition,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "access",
                    "type": Access,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "initiate",
                    "type": Initiate,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "load-data-set",
                    "type": LoadDataSet,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "task",
                    "type": Task,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class SetRequestWithDatablock:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    datablock: DataBlockSa = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class SetResponseLastDatablock:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    result: DataAccessResult | int = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    block_number: int = field(
        metadata={
            "name": "block-number",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class SetResponseNormal:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    result: DataAccessResult | int = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class StructureType:
    choice: list[
        NullDataType
        | ArrayType
        | StructureType
        | BooleanType
        | BitStringType
        | DoubleLongType
        | DoubleLongUnsignedType
        | OctetStringType
        | VisibleStringType
        | Utf8StringType
        | BcdType
        | IntegerType
        | LongType
        | UnsignedType
        | LongUnsignedType
        | Long64Type
        | Long64UnsignedType
        | EnumType
        | Float32Type
        | Float64Type
        | DateTimeType
        | DateType
        | TimeType
        | DontCareType
    ] = field(
        default_factory=list,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "null-data",
                    "type": NullDataType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "array",
                    "type": ArrayType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "structure",
                    "type": ForwardRef("StructureType"),
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "boolean",
                    "type": BooleanType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "bit-string",
                    "type": BitStringType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "double-long",
                    "type": DoubleLongType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "double-long-unsigned",
                    "type": DoubleLongUnsignedType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "octet-string",
                    "type": OctetStringType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "visible-string",
                    "type": VisibleStringType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "utf8-string",
                    "type": Utf8StringType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "bcd",
                    "type": BcdType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "integer",
                    "type": IntegerType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long",
                    "type": LongType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "unsigned",
                    "type": UnsignedType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long-unsigned",
                    "type": LongUnsignedType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long64",
                    "type": Long64Type,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long64-unsigned",
                    "type": Long64UnsignedType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "enum",
                    "type": EnumType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "float32",
                    "type": Float32Type,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "float64",
                    "type": Float64Type,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "date-time",
                    "type": DateTimeType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "date",
                    "type": DateType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "time",
                    "type": TimeType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "dont-care",
                    "type": DontCareType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class ExceptionResponse:
    """
    Decided: service-error is a token; for invocation-counter-error the counter the server
    expects follows in invocation-counter (present exactly then).
    """

    class Meta:
        name = "exception-response"
        namespace = "http://www.dlms.com/COSEMpdu"

    state_error: StateError | int = field(
        metadata={
            "name": "state-error",
            "type": "Element",
        }
    )
    service_error: ExceptionServiceError | int = field(
        metadata={
            "name": "service-error",
            "type": "Element",
        }
    )
    invocation_counter: None | int = field(
        default=None,
        metadata={
            "name": "invocation-counter",
            "type": "Element",
        },
    )


@dataclass(slots=True, kw_only=True)
class ActionRequestWithListAndFirstPblock:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    cosem_method_descriptor_list: MethodDescriptorList = field(
        metadata={
            "name": "cosem-method-descriptor-list",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    pblock: DataBlockSa = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class DataBlockG:
    last_block: bool = field(
        metadata={
            "name": "last-block",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    block_number: int = field(
        metadata={
            "name": "block-number",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    result: DataBlockResult = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class SetResponseLastDatablockWithList:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    result: DataAccessResultList = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    block_number: int = field(
        metadata={
            "name": "block-number",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class SetResponseWithList:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    result: DataAccessResultList = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class TypeDescription:
    choice: (
        None
        | NullDataType
        | ArrayType
        | StructureType
        | BooleanType
        | BitStringType
        | DoubleLongType
        | DoubleLongUnsignedType
        | OctetStringType
        | VisibleStringType
        | Utf8StringType
        | BcdType
        | IntegerType
        | LongType
        | UnsignedType
        | LongUnsignedType
        | Long64Type
        | Long64UnsignedType
        | EnumType
        | Float32Type
        | Float64Type
        | DateTimeType
        | DateType
        | TimeType
        | DontCareType
    ) = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "null-data",
                    "type": NullDataType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "array",
                    "type": ArrayType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "structure",
                    "type": StructureType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "boolean",
                    "type": BooleanType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "bit-string",
                    "type": BitStringType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "double-long",
                    "type": DoubleLongType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "double-long-unsigned",
                    "type": DoubleLongUnsignedType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "octet-string",
                    "type": OctetStringType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "visible-string",
                    "type": VisibleStringType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "utf8-string",
                    "type": Utf8StringType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "bcd",
                    "type": BcdType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "integer",
                    "type": IntegerType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long",
                    "type": LongType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "unsigned",
                    "type": UnsignedType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long-unsigned",
                    "type": LongUnsignedType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long64",
                    "type": Long64Type,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long64-unsigned",
                    "type": Long64UnsignedType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "enum",
                    "type": EnumType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "float32",
                    "type": Float32Type,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "float64",
                    "type": Float64Type,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "date-time",
                    "type": DateTimeType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "date",
                    "type": DateType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "time",
                    "type": TimeType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "dont-care",
                    "type": DontCareType,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class ConfirmedServiceError:
    class Meta:
        name = "confirmed-service-error"
        namespace = "http://www.dlms.com/COSEMpdu"

    choice: (
        None
        | ConfirmedServiceError.InitiateError
        | ConfirmedServiceError.GetStatus
        | ConfirmedServiceError.GetNameList
        | ConfirmedServiceError.GetVariableAttribute
        | ConfirmedServiceError.Read
        | ConfirmedServiceError.Write
        | ConfirmedServiceError.GetDataSetAttribute
        | ConfirmedServiceError.GetTiattribute
        | ConfirmedServiceError.ChangeScope
        | ConfirmedServiceError.Start
        | ConfirmedServiceError.Stop
        | ConfirmedServiceError.Resume
        | ConfirmedServiceError.MakeUsable
        | ConfirmedServiceError.InitiateLoad
        | ConfirmedServiceError.LoadSegment
        | ConfirmedServiceError.TerminateLoad
        | ConfirmedServiceError.InitiateUpLoad
        | ConfirmedServiceError.UpLoadSegment
        | ConfirmedServiceError.TerminateUpLoad
    ) = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "initiateError",
                    "type": ForwardRef("ConfirmedServiceError.InitiateError"),
                },
                {
                    "name": "getStatus",
                    "type": ForwardRef("ConfirmedServiceError.GetStatus"),
                },
                {
                    "name": "getNameList",
                    "type": ForwardRef("ConfirmedServiceError.GetNameList"),
                },
                {
                    "name": "getVariableAttribute",
                    "type": ForwardRef("ConfirmedServiceError.GetVariableAttribute"),
                },
                {
                    "name": "read",
                    "type": ForwardRef("ConfirmedServiceError.Read"),
                },
                {
                    "name": "write",
                    "type": ForwardRef("ConfirmedServiceError.Write"),
                },
                {
                    "name": "getDataSetAttribute",
                    "type": ForwardRef("ConfirmedServiceError.GetDataSetAttribute"),
                },
                {
                    "name": "getTIAttribute",
                    "type": ForwardRef("ConfirmedServiceError.GetTiattribute"),
                },
                {
                    "name": "changeScope",
                    "type": ForwardRef("ConfirmedServiceError.ChangeScope"),
                },
                {
                    "name": "start",
                    "type": ForwardRef("ConfirmedServiceError.Start"),
                },
                {
                    "name": "stop",
                    "type": ForwardRef("ConfirmedServiceError.Stop"),
                },
                {
                    "name": "resume",
                    "type": ForwardRef("ConfirmedServiceError.Resume"),
                },
                {
                    "name": "makeUsable",
                    "type": ForwardRef("ConfirmedServiceError.MakeUsable"),
                },
                {
                    "name": "initiateLoad",
                    "type": ForwardRef("ConfirmedServiceError.InitiateLoad"),
                },
                {
                    "name": "loadSegment",
                    "type": ForwardRef("ConfirmedServiceError.LoadSegment"),
                },
                {
                    "name": "terminateLoad",
                    "type": ForwardRef("ConfirmedServiceError.TerminateLoad"),
                },
                {
                    "name": "initiateUpLoad",
                    "type": ForwardRef("ConfirmedServiceError.InitiateUpLoad"),
                },
                {
                    "name": "upLoadSegment",
                    "type": ForwardRef("ConfirmedServiceError.UpLoadSegment"),
                },
                {
                    "name": "terminateUpLoad",
                    "type": ForwardRef("ConfirmedServiceError.TerminateUpLoad"),
                },
            ),
        },
    )

    @dataclass(slots=True, kw_only=True)
    class InitiateError(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class GetStatus(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class GetNameList(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class GetVariableAttribute(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class Read(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class Write(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class GetDataSetAttribute(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class GetTiattribute(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class ChangeScope(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class Start(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class Stop(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class Resume(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class MakeUsable(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class InitiateLoad(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class LoadSegment(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class TerminateLoad(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class InitiateUpLoad(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class UpLoadSegment(ServiceError):
        pass

    @dataclass(slots=True, kw_only=True)
    class TerminateUpLoad(ServiceError):
        pass


@dataclass(slots=True, kw_only=True)
class CompactArray:
    contents_description: TypeDescription = field(
        metadata={
            "name": "contents-description",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    array_contents: bytes = field(
        metadata={
            "name": "array-contents",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
            "format": "base16",
        }
    )


@dataclass(slots=True, kw_only=True)
class GetResponseWithDatablock:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    result: DataBlockG = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class UserInformation:
    """
    The xDLMS APDU in the ACSE user-information.

    Decided: initiate-request, initiate-response and confirmed-service-error are decoded;
    anything else (ciphered: glo-/ded-initiate, general-glo-ciphering, ...) stays as its octets
    in raw-apdu (hex).
    """

    choice: None | InitiateRequest | InitiateResponse | ConfirmedServiceError | bytes = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "initiate-request",
                    "type": InitiateRequest,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "initiate-response",
                    "type": InitiateResponse,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "confirmed-service-error",
                    "type": ConfirmedServiceError,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "raw-apdu",
                    "type": bytes,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                    "format": "base16",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class SetResponse:
    class Meta:
        name = "set-response"
        namespace = "http://www.dlms.com/COSEMpdu"

    choice: (
        None
        | SetResponseNormal
        | SetResponseDatablock
        | SetResponseLastDatablock
        | SetResponseLastDatablockWithList
        | SetResponseWithList
    ) = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "set-response-normal",
                    "type": SetResponseNormal,
                },
                {
                    "name": "set-response-datablock",
                    "type": SetResponseDatablock,
                },
                {
                    "name": "set-response-last-datablock",
                    "type": SetResponseLastDatablock,
                },
                {
                    "name": "set-response-last-datablock-with-list",
                    "type": SetResponseLastDatablockWithList,
                },
                {
                    "name": "set-response-with-list",
                    "type": SetResponseWithList,
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class Array:
    choice: list[
        NullData
        | Array
        | Structure
        | Boolean
        | BitString
        | DoubleLong
        | DoubleLongUnsigned
        | OctetString
        | VisibleString
        | Utf8String
        | Bcd
        | Integer
        | Long
        | Unsigned
        | LongUnsigned
        | CompactArray
        | Long64
        | Long64Unsigned
        | EnumValue
        | Float32
        | Float64
        | DateTime
        | Date
        | Time
        | DontCare
    ] = field(
        default_factory=list,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "null-data",
                    "type": NullData,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "array",
                    "type": ForwardRef("Array"),
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "structure",
                    "type": ForwardRef("Structure"),
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "boolean",
                    "type": Boolean,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "bit-string",
                    "type": BitString,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "double-long",
                    "type": DoubleLong,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "double-long-unsigned",
                    "type": DoubleLongUnsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "octet-string",
                    "type": OctetString,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "visible-string",
                    "type": VisibleString,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "utf8-string",
                    "type": Utf8String,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "bcd",
                    "type": Bcd,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "integer",
                    "type": Integer,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long",
                    "type": Long,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "unsigned",
                    "type": Unsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long-unsigned",
                    "type": LongUnsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "compact-array",
                    "type": CompactArray,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long64",
                    "type": Long64,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long64-unsigned",
                    "type": Long64Unsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "enum",
                    "type": EnumValue,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "float32",
                    "type": Float32,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "float64",
                    "type": Float64,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "date-time",
                    "type": DateTime,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "date",
                    "type": Date,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "time",
                    "type": Time,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "dont-care",
                    "type": DontCare,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class Aare:
    class Meta:
        name = "aare"
        namespace = "http://www.dlms.com/COSEMpdu"

    protocol_version: None | str = field(
        default=None,
        metadata={
            "name": "protocol-version",
            "type": "Element",
            "pattern": r"[01]*",
        },
    )
    application_context_name: str = field(
        metadata={
            "name": "application-context-name",
            "type": "Element",
            "pattern": r"[0-2](\.(0|[1-9][0-9]{0,18}))+",
        }
    )
    result: AssociationResult | int = field(
        metadata={
            "type": "Element",
        }
    )
    result_source_diagnostic: AssociateSourceDiagnostic = field(
        metadata={
            "name": "result-source-diagnostic",
            "type": "Element",
        }
    )
    responding_ap_title: None | bytes = field(
        default=None,
        metadata={
            "name": "responding-AP-title",
            "type": "Element",
            "format": "base16",
        },
    )
    responding_ae_qualifier: None | bytes = field(
        default=None,
        metadata={
            "name": "responding-AE-qualifier",
            "type": "Element",
            "format": "base16",
        },
    )
    responding_ap_invocation_id: None | int = field(
        default=None,
        metadata={
            "name": "responding-AP-invocation-id",
            "type": "Element",
        },
    )
    responding_ae_invocation_id: None | int = field(
        default=None,
        metadata={
            "name": "responding-AE-invocation-id",
            "type": "Element",
        },
    )
    responder_acse_requirements: None | str = field(
        default=None,
        metadata={
            "name": "responder-acse-requirements",
            "type": "Element",
            "pattern": r"[01]*",
        },
    )
    mechanism_name: None | str = field(
        default=None,
        metadata={
            "name": "mechanism-name",
            "type": "Element",
            "pattern": r"[0-2](\.(0|[1-9][0-9]{0,18}))+",
        },
    )
    responding_authentication_value: None | AuthenticationValue = field(
        default=None,
        metadata={
            "name": "responding-authentication-value",
            "type": "Element",
        },
    )
    implementation_information: None | bytes = field(
        default=None,
        metadata={
            "name": "implementation-information",
            "type": "Element",
            "format": "base16",
        },
    )
    user_information: None | UserInformation = field(
        default=None,
        metadata={
            "name": "user-information",
            "type": "Element",
        },
    )


@dataclass(slots=True, kw_only=True)
class Aarq:
    class Meta:
        name = "aarq"
        namespace = "http://www.dlms.com/COSEMpdu"

    protocol_version: None | str = field(
        default=None,
        metadata={
            "name": "protocol-version",
            "type": "Element",
            "pattern": r"[01]*",
        },
    )
    application_context_name: str = field(
        metadata={
            "name": "application-context-name",
            "type": "Element",
            "pattern": r"[0-2](\.(0|[1-9][0-9]{0,18}))+",
        }
    )
    called_ap_title: None | bytes = field(
        default=None,
        metadata={
            "name": "called-AP-title",
            "type": "Element",
            "format": "base16",
        },
    )
    called_ae_qualifier: None | bytes = field(
        default=None,
        metadata={
            "name": "called-AE-qualifier",
            "type": "Element",
            "format": "base16",
        },
    )
    called_ap_invocation_id: None | int = field(
        default=None,
        metadata={
            "name": "called-AP-invocation-id",
            "type": "Element",
        },
    )
    called_ae_invocation_id: None | int = field(
        default=None,
        metadata={
            "name": "called-AE-invocation-id",
            "type": "Element",
        },
    )
    calling_ap_title: None | bytes = field(
        default=None,
        metadata={
            "name": "calling-AP-title",
            "type": "Element",
            "format": "base16",
        },
    )
    calling_ae_qualifier: None | bytes = field(
        default=None,
        metadata={
            "name": "calling-AE-qualifier",
            "type": "Element",
            "format": "base16",
        },
    )
    calling_ap_invocation_id: None | int = field(
        default=None,
        metadata={
            "name": "calling-AP-invocation-id",
            "type": "Element",
        },
    )
    calling_ae_invocation_id: None | int = field(
        default=None,
        metadata={
            "name": "calling-AE-invocation-id",
            "type": "Element",
        },
    )
    sender_acse_requirements: None | str = field(
        default=None,
        metadata={
            "name": "sender-acse-requirements",
            "type": "Element",
            "pattern": r"[01]*",
        },
    )
    mechanism_name: None | str = field(
        default=None,
        metadata={
            "name": "mechanism-name",
            "type": "Element",
            "pattern": r"[0-2](\.(0|[1-9][0-9]{0,18}))+",
        },
    )
    calling_authentication_value: None | AuthenticationValue = field(
        default=None,
        metadata={
            "name": "calling-authentication-value",
            "type": "Element",
        },
    )
    implementation_information: None | bytes = field(
        default=None,
        metadata={
            "name": "implementation-information",
            "type": "Element",
            "format": "base16",
        },
    )
    user_information: None | UserInformation = field(
        default=None,
        metadata={
            "name": "user-information",
            "type": "Element",
        },
    )


@dataclass(slots=True, kw_only=True)
class Rlre:
    class Meta:
        name = "rlre"
        namespace = "http://www.dlms.com/COSEMpdu"

    reason: None | ReleaseResponseReason = field(
        default=None,
        metadata={
            "type": "Element",
        },
    )
    user_information: None | UserInformation = field(
        default=None,
        metadata={
            "name": "user-information",
            "type": "Element",
        },
    )


@dataclass(slots=True, kw_only=True)
class Rlrq:
    class Meta:
        name = "rlrq"
        namespace = "http://www.dlms.com/COSEMpdu"

    reason: None | ReleaseRequestReason = field(
        default=None,
        metadata={
            "type": "Element",
        },
    )
    user_information: None | UserInformation = field(
        default=None,
        metadata={
            "name": "user-information",
            "type": "Element",
        },
    )


@dataclass(slots=True, kw_only=True)
class Structure:
    choice: list[
        NullData
        | Array
        | Structure
        | Boolean
        | BitString
        | DoubleLong
        | DoubleLongUnsigned
        | OctetString
        | VisibleString
        | Utf8String
        | Bcd
        | Integer
        | Long
        | Unsigned
        | LongUnsigned
        | CompactArray
        | Long64
        | Long64Unsigned
        | EnumValue
        | Float32
        | Float64
        | DateTime
        | Date
        | Time
        | DontCare
    ] = field(
        default_factory=list,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "null-data",
                    "type": NullData,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "array",
                    "type": Array,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "structure",
                    "type": ForwardRef("Structure"),
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "boolean",
                    "type": Boolean,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "bit-string",
                    "type": BitString,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "double-long",
                    "type": DoubleLong,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "double-long-unsigned",
                    "type": DoubleLongUnsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "octet-string",
                    "type": OctetString,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "visible-string",
                    "type": VisibleString,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "utf8-string",
                    "type": Utf8String,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "bcd",
                    "type": Bcd,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "integer",
                    "type": Integer,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long",
                    "type": Long,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "unsigned",
                    "type": Unsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long-unsigned",
                    "type": LongUnsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "compact-array",
                    "type": CompactArray,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long64",
                    "type": Long64,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long64-unsigned",
                    "type": Long64Unsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "enum",
                    "type": EnumValue,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "float32",
                    "type": Float32,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "float64",
                    "type": Float64,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "date-time",
                    "type": DateTime,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "date",
                    "type": Date,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "time",
                    "type": Time,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "dont-care",
                    "type": DontCare,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class DataList:
    """
    SEQUENCE OF Data: the Data kind elements in order, unwrapped (XER form for a SEQUENCE OF
    CHOICE, as in array and structure).
    """

    choice: list[
        NullData
        | Array
        | Structure
        | Boolean
        | BitString
        | DoubleLong
        | DoubleLongUnsigned
        | OctetString
        | VisibleString
        | Utf8String
        | Bcd
        | Integer
        | Long
        | Unsigned
        | LongUnsigned
        | CompactArray
        | Long64
        | Long64Unsigned
        | EnumValue
        | Float32
        | Float64
        | DateTime
        | Date
        | Time
        | DontCare
    ] = field(
        default_factory=list,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "null-data",
                    "type": NullData,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "array",
                    "type": Array,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "structure",
                    "type": Structure,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "boolean",
                    "type": Boolean,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "bit-string",
                    "type": BitString,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "double-long",
                    "type": DoubleLong,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "double-long-unsigned",
                    "type": DoubleLongUnsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "octet-string",
                    "type": OctetString,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "visible-string",
                    "type": VisibleString,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "utf8-string",
                    "type": Utf8String,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "bcd",
                    "type": Bcd,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "integer",
                    "type": Integer,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long",
                    "type": Long,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "unsigned",
                    "type": Unsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long-unsigned",
                    "type": LongUnsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "compact-array",
                    "type": CompactArray,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long64",
                    "type": Long64,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long64-unsigned",
                    "type": Long64Unsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "enum",
                    "type": EnumValue,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "float32",
                    "type": Float32,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "float64",
                    "type": Float64,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "date-time",
                    "type": DateTime,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "date",
                    "type": Date,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "time",
                    "type": Time,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "dont-care",
                    "type": DontCare,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class DataValue:
    """
    One Data value (ASN.1 type Data): exactly one kind element.
    """

    choice: (
        None
        | NullData
        | Array
        | Structure
        | Boolean
        | BitString
        | DoubleLong
        | DoubleLongUnsigned
        | OctetString
        | VisibleString
        | Utf8String
        | Bcd
        | Integer
        | Long
        | Unsigned
        | LongUnsigned
        | CompactArray
        | Long64
        | Long64Unsigned
        | EnumValue
        | Float32
        | Float64
        | DateTime
        | Date
        | Time
        | DontCare
    ) = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "null-data",
                    "type": NullData,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "array",
                    "type": Array,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "structure",
                    "type": Structure,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "boolean",
                    "type": Boolean,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "bit-string",
                    "type": BitString,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "double-long",
                    "type": DoubleLong,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "double-long-unsigned",
                    "type": DoubleLongUnsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "octet-string",
                    "type": OctetString,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "visible-string",
                    "type": VisibleString,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "utf8-string",
                    "type": Utf8String,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "bcd",
                    "type": Bcd,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "integer",
                    "type": Integer,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long",
                    "type": Long,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "unsigned",
                    "type": Unsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long-unsigned",
                    "type": LongUnsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "compact-array",
                    "type": CompactArray,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long64",
                    "type": Long64,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "long64-unsigned",
                    "type": Long64Unsigned,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "enum",
                    "type": EnumValue,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "float32",
                    "type": Float32,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "float64",
                    "type": Float64,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "date-time",
                    "type": DateTime,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "date",
                    "type": Date,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "time",
                    "type": Time,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "dont-care",
                    "type": DontCare,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class ActionRequestNormal:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    cosem_method_descriptor: CosemMethodDescriptor = field(
        metadata={
            "name": "cosem-method-descriptor",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    method_invocation_parameters: None | DataValue = field(
        default=None,
        metadata={
            "name": "method-invocation-parameters",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )


@dataclass(slots=True, kw_only=True)
class ActionRequestWithList:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    cosem_method_descriptor_list: MethodDescriptorList = field(
        metadata={
            "name": "cosem-method-descriptor-list",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    method_invocation_parameters: DataList = field(
        metadata={
            "name": "method-invocation-parameters",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class GetDataResult:
    data_or_data_access_result: None | DataValue | DataAccessResult | int = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "data",
                    "type": DataValue,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "data-access-result",
                    "type": DataAccessResult | int,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class GetDataResultList:
    """
    SEQUENCE OF Get-Data-Result: data / data-access-result elements in order.
    """

    data_or_data_access_result: list[DataValue | DataAccessResult | int] = field(
        default_factory=list,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "data",
                    "type": DataValue,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "data-access-result",
                    "type": DataAccessResult | int,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class NotificationBody:
    data_value: DataValue = field(
        metadata={
            "name": "data-value",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class SelectiveAccessDescriptor:
    access_selector: int = field(
        metadata={
            "name": "access-selector",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    access_parameters: DataValue = field(
        metadata={
            "name": "access-parameters",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class Data(DataValue):
    class Meta:
        name = "data"
        namespace = "http://www.dlms.com/COSEMpdu"


@dataclass(slots=True, kw_only=True)
class ActionResponseWithOptionalData:
    result: ActionResult | int = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    return_parameters: None | GetDataResult = field(
        default=None,
        metadata={
            "name": "return-parameters",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )


@dataclass(slots=True, kw_only=True)
class CosemAttributeDescriptorWithSelection:
    cosem_attribute_descriptor: CosemAttributeDescriptor = field(
        metadata={
            "name": "cosem-attribute-descriptor",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    access_selection: None | SelectiveAccessDescriptor = field(
        default=None,
        metadata={
            "name": "access-selection",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )


@dataclass(slots=True, kw_only=True)
class GetRequestNormal:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    cosem_attribute_descriptor: CosemAttributeDescriptor = field(
        metadata={
            "name": "cosem-attribute-descriptor",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    access_selection: None | SelectiveAccessDescriptor = field(
        default=None,
        metadata={
            "name": "access-selection",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )


@dataclass(slots=True, kw_only=True)
class GetResponseNormal:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    result: GetDataResult = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class GetResponseWithList:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    result: GetDataResultList = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class SetRequestNormal:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    cosem_attribute_descriptor: CosemAttributeDescriptor = field(
        metadata={
            "name": "cosem-attribute-descriptor",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    access_selection: None | SelectiveAccessDescriptor = field(
        default=None,
        metadata={
            "name": "access-selection",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )
    value: DataValue = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class SetRequestWithFirstDatablock:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    cosem_attribute_descriptor: CosemAttributeDescriptor = field(
        metadata={
            "name": "cosem-attribute-descriptor",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    access_selection: None | SelectiveAccessDescriptor = field(
        default=None,
        metadata={
            "name": "access-selection",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )
    datablock: DataBlockSa = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class ActionRequest:
    class Meta:
        name = "action-request"
        namespace = "http://www.dlms.com/COSEMpdu"

    choice: (
        None
        | ActionRequestNormal
        | ActionRequestNextPblock
        | ActionRequestWithList
        | ActionRequestWithFirstPblock
        | ActionRequestWithListAndFirstPblock
        | ActionRequestWithPblock
    ) = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "action-request-normal",
                    "type": ActionRequestNormal,
                },
                {
                    "name": "action-request-next-pblock",
                    "type": ActionRequestNextPblock,
                },
                {
                    "name": "action-request-with-list",
                    "type": ActionRequestWithList,
                },
                {
                    "name": "action-request-with-first-pblock",
                    "type": ActionRequestWithFirstPblock,
                },
                {
                    "name": "action-request-with-list-and-first-pblock",
                    "type": ActionRequestWithListAndFirstPblock,
                },
                {
                    "name": "action-request-with-pblock",
                    "type": ActionRequestWithPblock,
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class DataNotification:
    """
    Decided: date-time is left out (or empty) when the notification carries no time stamp (a
    zero-length octet string on the wire).
    """

    class Meta:
        name = "data-notification"
        namespace = "http://www.dlms.com/COSEMpdu"

    long_invoke_id_and_priority: int = field(
        metadata={
            "name": "long-invoke-id-and-priority",
            "type": "Element",
        }
    )
    date_time: None | bytes = field(
        default=None,
        metadata={
            "name": "date-time",
            "type": "Element",
            "max_length": 12,
            "format": "base16",
        },
    )
    notification_body: NotificationBody = field(
        metadata={
            "name": "notification-body",
            "type": "Element",
        }
    )


@dataclass(slots=True, kw_only=True)
class ActionResponseList:
    action_response_with_optional_data: list[ActionResponseWithOptionalData] = field(
        default_factory=list,
        metadata={
            "name": "Action-Response-With-Optional-Data",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )


@dataclass(slots=True, kw_only=True)
class ActionResponseNormal:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    single_response: ActionResponseWithOptionalData = field(
        metadata={
            "name": "single-response",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class AttributeDescriptorList:
    """
    SEQUENCE OF Cosem-Attribute-Descriptor-With-Selection: each item in an element named after
    the ASN.1 type (XER, as gurux writes it).
    """

    cosem_attribute_descriptor_with_selection: list[CosemAttributeDescriptorWithSelection] = field(
        default_factory=list,
        metadata={
            "name": "Cosem-Attribute-Descriptor-With-Selection",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        },
    )


@dataclass(slots=True, kw_only=True)
class GetResponse:
    class Meta:
        name = "get-response"
        namespace = "http://www.dlms.com/COSEMpdu"

    choice: None | GetResponseNormal | GetResponseWithDatablock | GetResponseWithList = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "get-response-normal",
                    "type": GetResponseNormal,
                },
                {
                    "name": "get-response-with-datablock",
                    "type": GetResponseWithDatablock,
                },
                {
                    "name": "get-response-with-list",
                    "type": GetResponseWithList,
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class ActionResponseWithList:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    list_of_responses: ActionResponseList = field(
        metadata={
            "name": "list-of-responses",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class GetRequestWithList:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    attribute_descriptor_list: AttributeDescriptorList = field(
        metadata={
            "name": "attribute-descriptor-list",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class SetRequestWithList:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    attribute_descriptor_list: AttributeDescriptorList = field(
        metadata={
            "name": "attribute-descriptor-list",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    value_list: DataList = field(
        metadata={
            "name": "value-list",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class SetRequestWithListAndFirstDatablock:
    invoke_id_and_priority: int = field(
        metadata={
            "name": "invoke-id-and-priority",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    attribute_descriptor_list: AttributeDescriptorList = field(
        metadata={
            "name": "attribute-descriptor-list",
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )
    datablock: DataBlockSa = field(
        metadata={
            "type": "Element",
            "namespace": "http://www.dlms.com/COSEMpdu",
        }
    )


@dataclass(slots=True, kw_only=True)
class ActionResponse:
    class Meta:
        name = "action-response"
        namespace = "http://www.dlms.com/COSEMpdu"

    choice: (
        None
        | ActionResponseNormal
        | ActionResponseWithPblock
        | ActionResponseWithList
        | ActionResponseNextPblock
    ) = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "action-response-normal",
                    "type": ActionResponseNormal,
                },
                {
                    "name": "action-response-with-pblock",
                    "type": ActionResponseWithPblock,
                },
                {
                    "name": "action-response-with-list",
                    "type": ActionResponseWithList,
                },
                {
                    "name": "action-response-next-pblock",
                    "type": ActionResponseNextPblock,
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class GetRequest:
    class Meta:
        name = "get-request"
        namespace = "http://www.dlms.com/COSEMpdu"

    choice: None | GetRequestNormal | GetRequestNext | GetRequestWithList = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "get-request-normal",
                    "type": GetRequestNormal,
                },
                {
                    "name": "get-request-next",
                    "type": GetRequestNext,
                },
                {
                    "name": "get-request-with-list",
                    "type": GetRequestWithList,
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class SetRequest:
    class Meta:
        name = "set-request"
        namespace = "http://www.dlms.com/COSEMpdu"

    choice: (
        None
        | SetRequestNormal
        | SetRequestWithFirstDatablock
        | SetRequestWithDatablock
        | SetRequestWithList
        | SetRequestWithListAndFirstDatablock
    ) = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "set-request-normal",
                    "type": SetRequestNormal,
                },
                {
                    "name": "set-request-with-first-datablock",
                    "type": SetRequestWithFirstDatablock,
                },
                {
                    "name": "set-request-with-datablock",
                    "type": SetRequestWithDatablock,
                },
                {
                    "name": "set-request-with-list",
                    "type": SetRequestWithList,
                },
                {
                    "name": "set-request-with-list-and-first-datablock",
                    "type": SetRequestWithListAndFirstDatablock,
                },
            ),
        },
    )
