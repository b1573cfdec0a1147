from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from xsdata.models.datatype import XmlDateTime, XmlDuration

from generated.cosem import (
    Aare,
    Aarq,
    ActionRequest,
    ActionResponse,
    ConfirmedServiceError,
    CosemAttributeDescriptor,
    CosemMethodDescriptor,
    DataNotification,
    ExceptionResponse,
    GetRequest,
    GetResponse,
    Rlre,
    Rlrq,
    SetRequest,
    SetResponse,
)

__NAMESPACE__ = "http://iec.ch/TC13/2014/schema/DeviceAccess"


@dataclass(slots=True, kw_only=True)
class DeviceReferenceType:
    """
    A meter: its system title (16 hex digits, canonical) or its device id.
    """

    device_id: str = field(
        metadata={
            "name": "DeviceID",
            "type": "Attribute",
            "min_length": 1,
            "max_length": 256,
        }
    )


@dataclass(slots=True, kw_only=True)
class ErrorResultType:
    code: str = field(
        metadata={
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
            "pattern": r"[0-9]+(\.[0-9]+)*",
        }
    )
    reason: None | str = field(
        default=None,
        metadata={
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )


class GroupKindType(Enum):
    """
    :cvar EXPLICIT: Members are the listed DeviceReference elements
    :cvar PREFIX: Members are the meters whose device id or system title starts with Prefix
    :cvar SELECTOR: Members are the meters whose registry attributes match every
        Selector/Match
    """

    EXPLICIT = "EXPLICIT"
    PREFIX = "PREFIX"
    SELECTOR = "SELECTOR"


@dataclass(slots=True, kw_only=True)
class GroupReferenceType:
    group_id: str = field(
        metadata={
            "name": "GroupID",
            "type": "Attribute",
            "min_length": 1,
            "max_length": 256,
        }
    )


@dataclass(slots=True, kw_only=True)
class MatchType:
    """
    Attribute: a registry attribute name such as network_segment or meter_type; Value: its exact
    value.
    """

    attribute: str = field(
        metadata={
            "name": "Attribute",
            "type": "Attribute",
            "pattern": r"[a-z][a-z0-9_]*",
        }
    )
    value: str = field(
        metadata={
            "name": "Value",
            "type": "Attribute",
        }
    )


@dataclass(slots=True, kw_only=True)
class ProgressType:
    """
    Progress of the current or last iteration, counted in device x access results: Done
    succeeded, Failed failed, Pending not finished yet (their sum is the total).
    """

    done: int = field(
        metadata={
            "name": "Done",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        }
    )
    failed: int = field(
        metadata={
            "name": "Failed",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        }
    )
    pending: int = field(
        metadata={
            "name": "Pending",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        }
    )


class ResourceKindType(Enum):
    GET = "GET"
    SET = "SET"
    ACTION = "ACTION"
    TIMESYNC = "TIMESYNC"
    UPGRADE = "UPGRADE"
    DATA_NOTIFICATION = "DATA-NOTIFICATION"


class ResourceStatusType(Enum):
    """
    :cvar ACCEPTED:
    :cvar EXECUTING:
    :cvar PAUSED:
    :cvar FINISHED:
    :cvar ITERATION_OK:
    :cvar ITERATION_NOT_COMPLETED:
    :cvar ITERATION_FAILED:
    :cvar ITERATION_EMPTY:
    :cvar ITERATION_STOPPED:
    :cvar CANCELLED: (decided) stopped by cancel DeviceAccess; its results are kept
    """

    ACCEPTED = "ACCEPTED"
    EXECUTING = "EXECUTING"
    PAUSED = "PAUSED"
    FINISHED = "FINISHED"
    ITERATION_OK = "ITERATION-OK"
    ITERATION_NOT_COMPLETED = "ITERATION-NOT-COMPLETED"
    ITERATION_FAILED = "ITERATION-FAILED"
    ITERATION_EMPTY = "ITERATION-EMPTY"
    ITERATION_STOPPED = "ITERATION-STOPPED"
    CANCELLED = "CANCELLED"


@dataclass(slots=True, kw_only=True)
class AcseresultType:
    class Meta:
        name = "ACSEResultType"

    aare_or_rlre: None | Aare | Rlre = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "aare",
                    "type": Aare,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "rlre",
                    "type": Rlre,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class CosemAcsedescriptorType:
    class Meta:
        name = "CosemACSEDescriptorType"

    aarq_or_rlrq: None | Aarq | Rlrq = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "aarq",
                    "type": Aarq,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "rlrq",
                    "type": Rlrq,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class CosemTimeSyncType:
    """
    (decided) Read the clock attribute; set it only if the drift is at least min-time-diff
    seconds; refuse and report if it is more than max-time-diff seconds.
    """

    cosem_object: CosemAttributeDescriptor = field(
        metadata={
            "name": "cosem-object",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        }
    )
    min_time_diff: None | int = field(
        default=None,
        metadata={
            "name": "min-time-diff",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    max_time_diff: None | int = field(
        default=None,
        metadata={
            "name": "max-time-diff",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )


@dataclass(slots=True, kw_only=True)
class CosemUpgradeType:
    """
    Firmware image transfer (interface class 18).
    """

    upgrade_file: str = field(
        metadata={
            "name": "upgrade-file",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        }
    )
    image_identifier: str = field(
        metadata={
            "name": "image-identifier",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        }
    )
    image_size: int = field(
        metadata={
            "name": "image-size",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        }
    )
    cosem_object: CosemAttributeDescriptor = field(
        metadata={
            "name": "cosem-object",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        }
    )


@dataclass(slots=True, kw_only=True)
class CosemXdlmsdescriptorType:
    class Meta:
        name = "CosemXDLMSDescriptorType"

    choice: None | GetRequest | SetRequest | ActionRequest = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "get-request",
                    "type": GetRequest,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "set-request",
                    "type": SetRequest,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "action-request",
                    "type": ActionRequest,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class DevicesReferenceListType:
    device_reference_or_group_reference: list[DeviceReferenceType | GroupReferenceType] = field(
        default_factory=list,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "DeviceReference",
                    "type": DeviceReferenceType,
                    "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
                },
                {
                    "name": "GroupReference",
                    "type": GroupReferenceType,
                    "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class ResourceInfoType:
    """
    One resource in the directory (fields seen in a real client, plus Progress).
    """

    id: str = field(
        metadata={
            "name": "ID",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
            "min_length": 1,
            "max_length": 256,
        }
    )
    resource_type: ResourceKindType = field(
        metadata={
            "name": "ResourceType",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        }
    )
    resource_status: ResourceStatusType = field(
        metadata={
            "name": "ResourceStatus",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        }
    )
    last_activation: None | XmlDateTime = field(
        default=None,
        metadata={
            "name": "LastActivation",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    activates: None | XmlDateTime = field(
        default=None,
        metadata={
            "name": "Activates",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    expires: None | XmlDateTime = field(
        default=None,
        metadata={
            "name": "Expires",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    repeating_interval: None | XmlDuration = field(
        default=None,
        metadata={
            "name": "RepeatingInterval",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    duration: None | XmlDuration = field(
        default=None,
        metadata={
            "name": "Duration",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    not_older_than: None | XmlDateTime = field(
        default=None,
        metadata={
            "name": "NotOlderThan",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    priority: None | int = field(
        default=None,
        metadata={
            "name": "Priority",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    reply_address: None | str = field(
        default=None,
        metadata={
            "name": "ReplyAddress",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    async_reply_flag: None | bool = field(
        default=None,
        metadata={
            "name": "AsyncReplyFlag",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    accept_data_notification: None | bool = field(
        default=None,
        metadata={
            "name": "AcceptDataNotification",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    device_reference_or_group_reference: list[DeviceReferenceType | GroupReferenceType] = field(
        default_factory=list,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "DeviceReference",
                    "type": DeviceReferenceType,
                    "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
                },
                {
                    "name": "GroupReference",
                    "type": GroupReferenceType,
                    "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
                },
            ),
        },
    )
    cosem_attribute_descriptor: list[CosemAttributeDescriptor] = field(
        default_factory=list,
        metadata={
            "name": "CosemAttributeDescriptor",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    cosem_method_descriptor: list[CosemMethodDescriptor] = field(
        default_factory=list,
        metadata={
            "name": "CosemMethodDescriptor",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    progress: None | ProgressType = field(
        default=None,
        metadata={
            "name": "Progress",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )


@dataclass(slots=True, kw_only=True)
class SelectorType:
    """
    Registry attribute matches, all of which must hold.
    """

    match: list[MatchType] = field(
        default_factory=list,
        metadata={
            "name": "Match",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
            "min_occurs": 1,
        },
    )


@dataclass(slots=True, kw_only=True)
class XdlmsresultType:
    class Meta:
        name = "XDLMSResultType"

    choice: (
        None
        | GetResponse
        | SetResponse
        | ActionResponse
        | DataNotification
        | ExceptionResponse
        | ConfirmedServiceError
    ) = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "get-response",
                    "type": GetResponse,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "set-response",
                    "type": SetResponse,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "action-response",
                    "type": ActionResponse,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "data-notification",
                    "type": DataNotification,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "exception-response",
                    "type": ExceptionResponse,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
                {
                    "name": "confirmed-service-error",
                    "type": ConfirmedServiceError,
                    "namespace": "http://www.dlms.com/COSEMpdu",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class CosemAccessDescriptorType:
    choice: (
        None
        | CosemXdlmsdescriptorType
        | CosemTimeSyncType
        | CosemUpgradeType
        | CosemAcsedescriptorType
    ) = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "CosemXDLMSDescriptor",
                    "type": CosemXdlmsdescriptorType,
                    "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
                },
                {
                    "name": "CosemTimeSync",
                    "type": CosemTimeSyncType,
                    "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
                },
                {
                    "name": "CosemUpgrade",
                    "type": CosemUpgradeType,
                    "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
                },
                {
                    "name": "CosemACSEDescriptor",
                    "type": CosemAcsedescriptorType,
                    "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
                },
            ),
        },
    )


@dataclass(slots=True, kw_only=True)
class CosemAccessResultType:
    """
    :ivar choice:
    :ivar device_id:
    :ivar activated: When the access was executed (or the push received)
    """

    choice: None | XdlmsresultType | AcseresultType | ErrorResultType = field(
        default=None,
        metadata={
            "type": "Elements",
            "choices": (
                {
                    "name": "XDLMSResult",
                    "type": XdlmsresultType,
                    "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
                },
                {
                    "name": "ACSEResult",
                    "type": AcseresultType,
                    "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
                },
                {
                    "name": "errorResult",
                    "type": ErrorResultType,
                    "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
                },
            ),
        },
    )
    device_id: str = field(
        metadata={
            "name": "DeviceID",
            "type": "Attribute",
            "min_length": 1,
            "max_length": 256,
        }
    )
    activated: None | XmlDateTime = field(
        default=None,
        metadata={
            "name": "Activated",
            "type": "Attribute",
        },
    )


@dataclass(slots=True, kw_only=True)
class DeviceGroupType:
    """
    A device group.

    Type may be omitted: PREFIX when Prefix is given, SELECTOR when Selector is given, EXPLICIT
    otherwise. In responses DeviceReference lists the resolved members, BuiltIn marks
    DG_ALL_METERS (cannot be changed or deleted) and MemberCount counts the members.
    """

    description: None | str = field(
        default=None,
        metadata={
            "name": "Description",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    device_reference: list[DeviceReferenceType] = field(
        default_factory=list,
        metadata={
            "name": "DeviceReference",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    selector: None | SelectorType = field(
        default=None,
        metadata={
            "name": "Selector",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    group_id: str = field(
        metadata={
            "name": "GroupID",
            "type": "Attribute",
            "min_length": 1,
            "max_length": 256,
        }
    )
    type_value: None | GroupKindType = field(
        default=None,
        metadata={
            "name": "Type",
            "type": "Attribute",
        },
    )
    prefix: None | str = field(
        default=None,
        metadata={
            "name": "Prefix",
            "type": "Attribute",
            "min_length": 1,
            "max_length": 256,
        },
    )
    built_in: None | bool = field(
        default=None,
        metadata={
            "name": "BuiltIn",
            "type": "Attribute",
        },
    )
    member_count: None | int = field(
        default=None,
        metadata={
            "name": "MemberCount",
            "type": "Attribute",
        },
    )


@dataclass(slots=True, kw_only=True)
class ResourceDirectoryType:
    resource: list[ResourceInfoType] = field(
        default_factory=list,
        metadata={
            "name": "Resource",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )


@dataclass(slots=True, kw_only=True)
class CosemAccessType:
    """
    One access.

    A request carries exactly one CosemAccessDescriptor and no result; a response echoes the
    descriptor and adds one CosemAccessResult per device; an EventMessage with a
    data-notification carries only results.
    """

    cosem_access_descriptor: None | CosemAccessDescriptorType = field(
        default=None,
        metadata={
            "name": "CosemAccessDescriptor",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    cosem_access_result: list[CosemAccessResultType] = field(
        default_factory=list,
        metadata={
            "name": "CosemAccessResult",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )


@dataclass(slots=True, kw_only=True)
class DeviceGroupListType:
    """
    Container of groups: mes:DeviceGroup/DeviceGroup* as the real client sends it.
    """

    device_group: list[DeviceGroupType] = field(
        default_factory=list,
        metadata={
            "name": "DeviceGroup",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )


@dataclass(slots=True, kw_only=True)
class ResourceDirectory(ResourceDirectoryType):
    class Meta:
        namespace = "http://iec.ch/TC13/2014/schema/DeviceAccess"


@dataclass(slots=True, kw_only=True)
class CosemAccessListType:
    cosem_access: list[CosemAccessType] = field(
        default_factory=list,
        metadata={
            "name": "CosemAccess",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )


@dataclass(slots=True, kw_only=True)
class DeviceGroup(DeviceGroupListType):
    class Meta:
        namespace = "http://iec.ch/TC13/2014/schema/DeviceAccess"


@dataclass(slots=True, kw_only=True)
class DeviceAccessType:
    """
    A device access resource (request and response side).

    Children may come in any order. With none of Activates, RepeatingInterval, Duration the
    resource is on-demand, otherwise scheduled. ID is given on change and in responses.

    :ivar devices_reference_list: The meters to access. On get DeviceAccess: an optional
        device filter. Absent on a data-notification resource: all meters.
    :ivar cosem_access_list:
    :ivar priority:
    :ivar activates: First activation of a scheduled resource
    :ivar repeating_interval: Iteration k starts at Activates + k x RepeatingInterval
    :ivar duration: Time bound of one iteration: what is not done in time is reported
        ITERATION-NOT-COMPLETED
    :ivar expires: No execution starts after this time
    :ivar not_older_than: A result captured at or after this time may be served from the CAS
        store instead of reading the meter (decided)
    :ivar accept_data_notification: true: a data-notification resource; pushes from the
        referenced meters are forwarded to ReplyAddress as EventMessages
    :ivar id:
    """

    devices_reference_list: None | DevicesReferenceListType = field(
        default=None,
        metadata={
            "name": "DevicesReferenceList",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    cosem_access_list: None | CosemAccessListType = field(
        default=None,
        metadata={
            "name": "CosemAccessList",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    priority: None | int = field(
        default=None,
        metadata={
            "name": "Priority",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    activates: None | XmlDateTime = field(
        default=None,
        metadata={
            "name": "Activates",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    repeating_interval: None | XmlDuration = field(
        default=None,
        metadata={
            "name": "RepeatingInterval",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
            "min_inclusive": XmlDuration("PT1M"),
        },
    )
    duration: None | XmlDuration = field(
        default=None,
        metadata={
            "name": "Duration",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
            "min_exclusive": XmlDuration("PT0S"),
        },
    )
    expires: None | XmlDateTime = field(
        default=None,
        metadata={
            "name": "Expires",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    not_older_than: None | XmlDateTime = field(
        default=None,
        metadata={
            "name": "NotOlderThan",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    accept_data_notification: None | bool = field(
        default=None,
        metadata={
            "name": "AcceptDataNotification",
            "type": "Element",
            "namespace": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        },
    )
    id: None | str = field(
        default=None,
        metadata={
            "name": "ID",
            "type": "Attribute",
            "min_length": 1,
            "max_length": 256,
        },
    )


@dataclass(slots=True, kw_only=True)
class DeviceAccess(DeviceAccessType):
    class Meta:
        namespace = "http://iec.ch/TC13/2014/schema/DeviceAccess"
