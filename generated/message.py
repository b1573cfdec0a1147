from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from xsdata.models.datatype import XmlDateTime

from generated.device_access import (
    DeviceAccessType,
    DeviceGroupListType,
    ResourceDirectoryType,
)

__NAMESPACE__ = "http://iec.ch/TC57/2011/schema/message"


class ErrorLevelType(Enum):
    INFORM = "INFORM"
    WARNING = "WARNING"
    FATAL = "FATAL"
    CATASTROPHIC = "CATASTROPHIC"


class IdKindType(Enum):
    NAME = "name"
    UUID = "uuid"
    TRANSACTION = "transaction"
    OTHER = "other"


@dataclass(slots=True, kw_only=True)
class MessagePropertyType:
    name: str = field(
        metadata={
            "name": "Name",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )
    value: None | str = field(
        default=None,
        metadata={
            "name": "Value",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )


@dataclass(slots=True, kw_only=True)
class ObjectType:
    """
    Object of interest (deprecated in 61968-100; kept for compatibility).
    """

    m_rid: None | str = field(
        default=None,
        metadata={
            "name": "mRID",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    object_type: None | str = field(
        default=None,
        metadata={
            "name": "objectType",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )


@dataclass(slots=True, kw_only=True)
class OptionType:
    name: str = field(
        metadata={
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )
    value: None | str = field(
        default=None,
        metadata={
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )


@dataclass(slots=True, kw_only=True)
class ReplayDetectionType:
    nonce: str = field(
        metadata={
            "name": "Nonce",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )
    created: XmlDateTime = field(
        metadata={
            "name": "Created",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )


class ResultType(Enum):
    """
    OK: everything done; PARTIAL: some parts failed; FAILED: nothing done or the request was
    invalid.
    """

    OK = "OK"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"


@dataclass(slots=True, kw_only=True)
class UserType:
    user_id: str = field(
        metadata={
            "name": "UserID",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )
    organization: None | str = field(
        default=None,
        metadata={
            "name": "Organization",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )


class VerbType(Enum):
    """
    IEC 61968 verbs.
    """

    CANCEL = "cancel"
    CANCELED = "canceled"
    CHANGE = "change"
    CHANGED = "changed"
    CREATE = "create"
    CREATED = "created"
    CLOSE = "close"
    CLOSED = "closed"
    DELETE = "delete"
    DELETED = "deleted"
    GET = "get"
    REPLY = "reply"
    EXECUTE = "execute"
    EXECUTED = "executed"


@dataclass(slots=True, kw_only=True)
class DeviceAccess(DeviceAccessType):
    """
    DeviceAccess payload in the message namespace (as real clients send it), children in the
    DeviceAccess namespace. dev:DeviceAccess is accepted too.
    """

    class Meta:
        namespace = "http://iec.ch/TC57/2011/schema/message"


@dataclass(slots=True, kw_only=True)
class DeviceGroup(DeviceGroupListType):
    """
    DeviceGroup payload: DeviceGroup/DeviceGroup*.
    """

    class Meta:
        namespace = "http://iec.ch/TC57/2011/schema/message"


@dataclass(slots=True, kw_only=True)
class HeaderType:
    """
    Message header.

    The CAS requires Verb, Noun, Timestamp and MessageID in a request (error 1.5 otherwise),
    although the public schema makes the last two optional. Replies carry CorrelationID = the
    request's MessageID.

    :ivar verb:
    :ivar noun: Subject of the message: DeviceAccess, DeviceGroup, ResourceDirectory (CIM
        nouns may follow)
    :ivar revision:
    :ivar replay_detection:
    :ivar context:
    :ivar timestamp:
    :ivar source:
    :ivar async_reply_flag: true: the request is acknowledged at once and the results are
        sent to ReplyAddress
    :ivar reply_address: http(s) URL that receives asynchronous replies and EventMessages
    :ivar ack_required:
    :ivar user:
    :ivar message_id:
    :ivar correlation_id:
    :ivar comment:
    :ivar property: Named message properties. CAS extension: Property Name "BypassRetry" with
        Value "true" asks the CAS not to retry transient failures (meter unreachable,
        timeout) of this request; they are reported at once. Default: false (transient
        failures are retried with backoff within the iteration).
    :ivar other_element: Custom extensions
    """

    verb: VerbType = field(
        metadata={
            "name": "Verb",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )
    noun: str = field(
        metadata={
            "name": "Noun",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )
    revision: None | str = field(
        default=None,
        metadata={
            "name": "Revision",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    replay_detection: None | ReplayDetectionType = field(
        default=None,
        metadata={
            "name": "ReplayDetection",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    context: None | str = field(
        default=None,
        metadata={
            "name": "Context",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    timestamp: None | XmlDateTime = field(
        default=None,
        metadata={
            "name": "Timestamp",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    source: None | str = field(
        default=None,
        metadata={
            "name": "Source",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    async_reply_flag: None | bool = field(
        default=None,
        metadata={
            "name": "AsyncReplyFlag",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    reply_address: None | str = field(
        default=None,
        metadata={
            "name": "ReplyAddress",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    ack_required: None | bool = field(
        default=None,
        metadata={
            "name": "AckRequired",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    user: None | UserType = field(
        default=None,
        metadata={
            "name": "User",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    message_id: None | str = field(
        default=None,
        metadata={
            "name": "MessageID",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    correlation_id: None | str = field(
        default=None,
        metadata={
            "name": "CorrelationID",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    comment: None | str = field(
        default=None,
        metadata={
            "name": "Comment",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    property: list[MessagePropertyType] = field(
        default_factory=list,
        metadata={
            "name": "Property",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    other_element: list[object] = field(
        default_factory=list,
        metadata={
            "type": "Wildcard",
            "namespace": "##other",
        },
    )


@dataclass(slots=True, kw_only=True)
class IdType:
    value: str = field(default="")
    id_type: None | str = field(
        default=None,
        metadata={
            "name": "idType",
            "type": "Attribute",
        },
    )
    id_authority: None | str = field(
        default=None,
        metadata={
            "name": "idAuthority",
            "type": "Attribute",
        },
    )
    kind: None | IdKindType = field(
        default=None,
        metadata={
            "type": "Attribute",
        },
    )


@dataclass(slots=True, kw_only=True)
class ResourceDirectory(ResourceDirectoryType):
    """
    ResourceDirectory payload: ResourceDirectory/Resource*.
    """

    class Meta:
        namespace = "http://iec.ch/TC57/2011/schema/message"


@dataclass(slots=True, kw_only=True)
class ErrorIdType(IdType):
    object_type: None | str = field(
        default=None,
        metadata={
            "name": "objectType",
            "type": "Attribute",
        },
    )


@dataclass(slots=True, kw_only=True)
class PayloadType:
    """
    Payload container: one CAS payload (DeviceAccess, DeviceGroup, ResourceDirectory) or payload
    elements from another namespace (CIM profiles, custom extensions), then an optional Format
    hint.
    """

    choice: list[DeviceAccess | DeviceGroup | ResourceDirectory | object] = field(
        default_factory=list,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "DeviceAccess",
                    "type": DeviceAccess,
                    "namespace": "http://iec.ch/TC57/2011/schema/message",
                },
                {
                    "name": "DeviceGroup",
                    "type": DeviceGroup,
                    "namespace": "http://iec.ch/TC57/2011/schema/message",
                },
                {
                    "name": "ResourceDirectory",
                    "type": ResourceDirectory,
                    "namespace": "http://iec.ch/TC57/2011/schema/message",
                },
                {
                    "wildcard": True,
                    "type": object,
                    "namespace": "##other",
                },
            ),
        },
    )
    format: None | str = field(
        default=None,
        metadata={
            "name": "Format",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )


@dataclass(slots=True, kw_only=True)
class RequestType:
    """
    Request parameters, typically for get.

    WithData and LastValidData are IEC TS 62056-9-1 additions: WithData=true on get
    ResourceDirectory returns the resources with their details; LastValidData=true on get
    DeviceAccess returns only the newest valid result per device and access.

    :ivar start_time:
    :ivar end_time:
    :ivar option:
    :ivar id: Object ID for the request (e.g. the DeviceAccess resource id)
    :ivar with_data:
    :ivar last_valid_data:
    :ivar other_element:
    """

    start_time: None | XmlDateTime = field(
        default=None,
        metadata={
            "name": "StartTime",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    end_time: None | XmlDateTime = field(
        default=None,
        metadata={
            "name": "EndTime",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    option: list[OptionType] = field(
        default_factory=list,
        metadata={
            "name": "Option",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    id: list[IdType] = field(
        default_factory=list,
        metadata={
            "name": "ID",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    with_data: None | bool = field(
        default=None,
        metadata={
            "name": "WithData",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    last_valid_data: None | bool = field(
        default=None,
        metadata={
            "name": "LastValidData",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    other_element: list[object] = field(
        default_factory=list,
        metadata={
            "type": "Wildcard",
            "namespace": "##other",
        },
    )


@dataclass(slots=True, kw_only=True)
class ErrorType:
    """
    :ivar code: Error code from the IEC 61968-9 table (e.g. 1.8), or a CAS-specific code
        documented in cas/messages/errors.py
    :ivar level:
    :ivar reason:
    :ivar details:
    :ivar xpath: XPath of the element in error (xs:string here, not xs:QName)
    :ivar id:
    :ivar object_value:
    """

    code: str = field(
        metadata={
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )
    level: None | ErrorLevelType = field(
        default=None,
        metadata={
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    reason: None | str = field(
        default=None,
        metadata={
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    details: None | str = field(
        default=None,
        metadata={
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    xpath: None | str = field(
        default=None,
        metadata={
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    id: None | ErrorIdType = field(
        default=None,
        metadata={
            "name": "ID",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    object_value: None | ObjectType = field(
        default=None,
        metadata={
            "name": "object",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )


@dataclass(slots=True, kw_only=True)
class EventMessageType:
    header: HeaderType = field(
        metadata={
            "name": "Header",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )
    payload: None | PayloadType = field(
        default=None,
        metadata={
            "name": "Payload",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )


@dataclass(slots=True, kw_only=True)
class RequestMessageType:
    header: HeaderType = field(
        metadata={
            "name": "Header",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )
    request: None | RequestType = field(
        default=None,
        metadata={
            "name": "Request",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    payload: None | PayloadType = field(
        default=None,
        metadata={
            "name": "Payload",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )


@dataclass(slots=True, kw_only=True)
class EventMessage(EventMessageType):
    """
    Event message (notifications, asynchronous results): Header, Payload?
    """

    class Meta:
        namespace = "http://iec.ch/TC57/2011/schema/message"


@dataclass(slots=True, kw_only=True)
class ReplyType:
    """
    :ivar result:
    :ivar error:
    :ivar id: Resulting id, e.g. the id of a created DeviceAccess resource
    :ivar other_element:
    """

    result: ResultType = field(
        metadata={
            "name": "Result",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )
    error: list[ErrorType] = field(
        default_factory=list,
        metadata={
            "name": "Error",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    id: list[IdType] = field(
        default_factory=list,
        metadata={
            "name": "ID",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )
    other_element: list[object] = field(
        default_factory=list,
        metadata={
            "type": "Wildcard",
            "namespace": "##other",
        },
    )


@dataclass(slots=True, kw_only=True)
class RequestMessage(RequestMessageType):
    """
    Request message: Header, Request?, Payload?
    """

    class Meta:
        namespace = "http://iec.ch/TC57/2011/schema/message"


@dataclass(slots=True, kw_only=True)
class FaultMessageType:
    reply: ReplyType = field(
        metadata={
            "name": "Reply",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )


@dataclass(slots=True, kw_only=True)
class ResponseMessageType:
    header: HeaderType = field(
        metadata={
            "name": "Header",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )
    reply: ReplyType = field(
        metadata={
            "name": "Reply",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        }
    )
    payload: None | PayloadType = field(
        default=None,
        metadata={
            "name": "Payload",
            "type": "Element",
            "namespace": "http://iec.ch/TC57/2011/schema/message",
        },
    )


@dataclass(slots=True, kw_only=True)
class FaultMessage(FaultMessageType):
    """
    Fault message: used in a SOAP Fault Detail when the request (including its Header) cannot be
    understood.
    """

    class Meta:
        namespace = "http://iec.ch/TC57/2011/schema/message"


@dataclass(slots=True, kw_only=True)
class ResponseMessage(ResponseMessageType):
    """
    Response message: Header, Reply, Payload?
    """

    class Meta:
        namespace = "http://iec.ch/TC57/2011/schema/message"
