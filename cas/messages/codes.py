"""IEC 61968-9 reply error codes (§6.6 of the profile in shared/seeds), plus the CAS's own.

Every code of the 61968-9 table is a member of :class:`ErrorCode` with its description.
Where the table has nothing for a CAS situation, the CAS defines a code in the same category
with a sub-number from 101 up, so that it cannot collide with a code a later edition of the
table adds after the last one listed (2.33, 5.9, ...):

- ``2.101`` unknown DeviceGroup id: category 2 is "invalid object reference"; 2.4 (Invalid
  Meter(s)) is the nearest, but a group is not a meter and a client must be able to tell
  "this group does not exist" from "a member of it does not".
- ``2.102`` a DeviceGroup with that id already exists (create).
- ``5.101`` device unreachable (no connection could be made): category 5 is "unable to
  process"; 5.3 is too vague to act on, and a timeout on a live connection is 4.1.
- ``5.102`` DLMS security failure with the device (authentication, GCM tag, replayed
  counter): 7.x are about the web-service client's own credentials and would mislead.
- ``5.103`` not supported by this CAS (e.g. CosemUpgrade, an unsupported APDU choice).
- ``5.104`` outcome indeterminate: a SET or ACTION was interrupted (crash, restart) and is not
  blindly repeated; the device may or may not have executed it.

Table codes the CAS uses for its own situations (no new code needed):
2.4 unknown device, 2.15 unknown resource id, 3.1 too many items (and a body over the size
limit), 4.1 device timeout, 4.3 internal error, 5.1 overloaded, 6.1 business rule (an
expired resource, a change to a finished resource, a built-in group that cannot be changed),
6.5 cancelled by the user (cancel DeviceAccess), 1.5/1.6/1.7/1.8 malformed requests,
2.5 unknown noun, 2.9 unknown verb (or a verb the noun does not support).
"""

from __future__ import annotations

from enum import Enum


class ErrorCode(Enum):
    """A reply error code: ``member.code`` is the text sent in Error/code."""

    code: str
    description: str

    def __new__(cls, code: str, description: str) -> ErrorCode:
        member = object.__new__(cls)
        member._value_ = code
        member.code = code
        member.description = description
        return member

    @classmethod
    def from_code(cls, code: str) -> ErrorCode:
        """The member for an Error/code text; ValueError if unknown."""
        return cls(code)

    # IEC 61968-9 table (§6.6)
    PARTIAL_RESULT_MORE_TO_FOLLOW = (
        "0.1",
        "Partial result (additional results conveyed in separate messages)",
    )
    PARTIAL_RESULT_NO_MORE = ("0.2", "Partial result (no further results to follow)")
    SIMPLE_ACKNOWLEDGMENT = ("0.3", "Simple acknowledgment")
    HEADER_ELEMENTS_MISSING = ("1.5", "Mandatory Header elements missing")
    REQUEST_ELEMENTS_MISSING = ("1.6", "Mandatory Request elements missing")
    PAYLOAD_ELEMENTS_MISSING = ("1.7", "Mandatory Payload elements missing")
    SCHEMA_VALIDATION_FAILED = ("1.8", "Format of request does not validate against schema")
    UNSUPPORTED_REVISION = ("1.9", "Unsupported message revision in Header")
    INVALID_METER = ("2.4", "Invalid Meter(s)")
    INVALID_NOUN = ("2.5", "Invalid Noun")
    INVALID_READING_TYPE = ("2.6", "Invalid ReadingType(s)")
    INVALID_VERB = ("2.9", "Invalid Verb")
    UNSUPPORTED_READING_TYPE = ("2.10", "Unsupported ReadingType(s)")
    INVALID_USAGE_POINT = ("2.12", "Invalid UsagePoint(s)")
    METER_USAGE_POINT_MISMATCH = ("2.13", "Meter / UsagePoint mismatch")
    INVALID_SOURCE = ("2.14", "Invalid Source")
    INVALID_REQUEST_ID = ("2.15", "Invalid Request ID(s)")
    INVALID_SERVICE_LOCATION = ("2.16", "Invalid ServiceLocation(s)")
    METER_SERVICE_LOCATION_MISMATCH = ("2.17", "Meter / ServiceLocation mismatch")
    COM_MODULE_METER_MISMATCH = ("2.18", "ComModule / Meter mismatch")
    INVALID_CUSTOMER_ACCOUNT = ("2.19", "Invalid CustomerAccount(s)")
    INVALID_SERVICE_SUPPLIER = ("2.20", "Invalid ServiceSupplier(s)")
    CUSTOMER_ACCOUNT_SERVICE_SUPPLIER_MISMATCH = (
        "2.21",
        "CustomerAccount / ServiceSupplier mismatch",
    )
    INVALID_CUSTOMER = ("2.22", "Invalid Customer(s)")
    CUSTOMER_CUSTOMER_ACCOUNT_MISMATCH = ("2.23", "Customer / CustomerAccount mismatch")
    INVALID_CUSTOMER_AGREEMENT = ("2.24", "Invalid CustomerAgreement(s)")
    CUSTOMER_ACCOUNT_CUSTOMER_AGREEMENT_MISMATCH = (
        "2.25",
        "CustomerAccount / CustomerAgreement mismatch",
    )
    CUSTOMER_AGREEMENT_USAGE_POINT_MISMATCH = ("2.26", "CustomerAgreement / UsagePoint mismatch")
    CUSTOMER_ACCOUNT_USAGE_POINT_MISMATCH = ("2.27", "CustomerAccount / UsagePoint mismatch")
    SERVICE_SUPPLIER_USAGE_POINT_MISMATCH = ("2.28", "ServiceSupplier / UsagePoint mismatch")
    OBJECT_RELATIONSHIP_MISMATCH = ("2.29", "Object relationship mismatch")
    INVALID_COM_MODULE = ("2.30", "Invalid ComModule(s)")
    INVALID_SERVICE_CATEGORY = ("2.31", "Invalid ServiceCategory(ies)")
    INVALID_USAGE_POINT_LOCATION = ("2.32", "Invalid UsagePointLocation(s)")
    INVALID_PRICING_STRUCTURE = ("2.33", "Invalid PricingStructure(s)")
    TOO_MANY_ITEMS = ("3.1", "Too many items in request")
    TOO_MANY_PENDING_REQUESTS = ("3.2", "Too many pending requests")
    REQUEST_TIMED_OUT = ("4.1", "Request timed out")
    LOCAL_PROCESSING_ERROR = ("4.3", "Local error in processing")
    HIGH_SYSTEM_ACTIVITY = ("5.1", "Unable to process the request - high system activity level")
    TRANSACTION_NOT_ATTEMPTED = ("5.2", "Unable to process request - transaction not attempted")
    TRANSACTION_FAILED = (
        "5.3",
        "Unable to process the request - transaction attempted and failed",
    )
    MULTIPLE_ERROR_TYPES = (
        "5.4",
        "Unable to process the request - multiple error types encountered",
    )
    READING_TYPES_UNAVAILABLE_IN_MDMS = (
        "5.5",
        "Some or all of the requested ReadingTypes are unavailable in MDMS",
    )
    READING_TYPES_UNAVAILABLE_IN_AMI = (
        "5.6",
        "Some or all of the requested ReadingTypes are unavailable in AMI",
    )
    DATA_UNAVAILABLE = ("5.7", "Some or all of the requested data is unavailable")
    MANDATORY_FIELDS_MISSING = ("5.8", "Unable to process the request - mandatory field(s) missing")
    TRANSACTION_ABORTED_FOR_INTEGRITY = (
        "5.9",
        "Transaction aborted to maintain transactional integrity",
    )
    CANCELED_BY_BUSINESS_RULE = ("6.1", "Request canceled per business rule")
    ON_HOLD_BY_BUSINESS_RULE = ("6.2", "Request placed on hold per business rule")
    RELEASED_FROM_HOLD = ("6.3", "Request released from business rule hold")
    RESCHEDULED_BY_BUSINESS_RULE = ("6.4", "Request rescheduled per business rule")
    CANCELED_BY_USER = ("6.5", "Request canceled by user")
    TEMPORARY_AUTHENTICATION_FAILURE = ("7.1", "Temporary authentication failure")
    AUTHENTICATION_REQUIRED = ("7.2", "Authentication required")
    AUTHENTICATION_MECHANISM_INSUFFICIENT = ("7.3", "Authentication mechanism insufficient")
    AUTHENTICATION_FAILURE = ("7.4", "Authentication failure")
    ACTION_NOT_AUTHORIZED = ("7.5", "Action not authorized for user")
    AUTHENTICATION_REQUIRES_ENCRYPTION = ("7.6", "Authentication mechanism requires encryption")
    POLICY_VIOLATION = ("7.7", "Policy violation")

    # CAS-specific codes (see the module docstring for why each exists)
    INVALID_DEVICE_GROUP = ("2.101", "Invalid DeviceGroup(s)")
    DEVICE_GROUP_EXISTS = ("2.102", "DeviceGroup already exists")
    DEVICE_UNREACHABLE = ("5.101", "Device unreachable")
    DEVICE_SECURITY_FAILURE = ("5.102", "DLMS security failure with the device")
    NOT_SUPPORTED = ("5.103", "Not supported by this CAS")
    OUTCOME_INDETERMINATE = ("5.104", "Outcome indeterminate: interrupted write not repeated")

    @property
    def is_cas_specific(self) -> bool:
        """True for the codes this CAS defines (sub-number 101 and up)."""
        return int(self.code.split(".")[1]) > 100


# Table codes the CAS relies on, under the name of the situation (aliases, same members).
UNKNOWN_DEVICE = ErrorCode.INVALID_METER
UNKNOWN_GROUP = ErrorCode.INVALID_DEVICE_GROUP
UNKNOWN_RESOURCE = ErrorCode.INVALID_REQUEST_ID
DEVICE_TIMEOUT = ErrorCode.REQUEST_TIMED_OUT
INTERNAL_ERROR = ErrorCode.LOCAL_PROCESSING_ERROR
MESSAGE_TOO_LARGE = ErrorCode.TOO_MANY_ITEMS
RESOURCE_EXPIRED = ErrorCode.CANCELED_BY_BUSINESS_RULE
CANCELLED = ErrorCode.CANCELED_BY_USER
