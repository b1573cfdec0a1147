"""The 61968-9 error code table (§6.6) is complete; the CAS's own codes stay out of its way."""

from __future__ import annotations

import pytest

from cas.messages import codes
from cas.messages.codes import ErrorCode

# Copied from the 61968-9 profile, §6.6 "Error Code Supported".
TABLE = {
    "0.1": "Partial result (additional results conveyed in separate messages)",
    "0.2": "Partial result (no further results to follow)",
    "0.3": "Simple acknowledgment",
    "1.5": "Mandatory Header elements missing",
    "1.6": "Mandatory Request elements missing",
    "1.7": "Mandatory Payload elements missing",
    "1.8": "Format of request does not validate against schema",
    "1.9": "Unsupported message revision in Header",
    "2.4": "Invalid Meter(s)",
    "2.5": "Invalid Noun",
    "2.6": "Invalid ReadingType(s)",
    "2.9": "Invalid Verb",
    "2.10": "Unsupported ReadingType(s)",
    "2.12": "Invalid UsagePoint(s)",
    "2.13": "Meter / UsagePoint mismatch",
    "2.14": "Invalid Source",
    "2.15": "Invalid Request ID(s)",
    "2.16": "Invalid ServiceLocation(s)",
    "2.17": "Meter / ServiceLocation mismatch",
    "2.18": "ComModule / Meter mismatch",
    "2.19": "Invalid CustomerAccount(s)",
    "2.20": "Invalid ServiceSupplier(s)",
    "2.21": "CustomerAccount / ServiceSupplier mismatch",
    "2.22": "Invalid Customer(s)",
    "2.23": "Customer / CustomerAccount mismatch",
    "2.24": "Invalid CustomerAgreement(s)",
    "2.25": "CustomerAccount / CustomerAgreement mismatch",
    "2.26": "CustomerAgreement / UsagePoint mismatch",
    "2.27": "CustomerAccount / UsagePoint mismatch",
    "2.28": "ServiceSupplier / UsagePoint mismatch",
    "2.29": "Object relationship mismatch",
    "2.30": "Invalid ComModule(s)",
    "2.31": "Invalid ServiceCategory(ies)",
    "2.32": "Invalid UsagePointLocation(s)",
    "2.33": "Invalid PricingStructure(s)",
    "3.1": "Too many items in request",
    "3.2": "Too many pending requests",
    "4.1": "Request timed out",
    "4.3": "Local error in processing",
    "5.1": "Unable to process the request - high system activity level",
    "5.2": "Unable to process request -transaction not attempted",
    "5.3": "Unable to process the request - transaction attempted and failed",
    "5.4": "Unable to process the request - multiple error types encountered",
    "5.5": "Some or all of the requested ReadingTypes are unavailable in MDMS",
    "5.6": "Some or all of the requested ReadingTypes are unavailable in AMI",
    "5.7": "Some or all of the requested data is unavailable",
    "5.8": "Unable to process the request \N{EN DASH} mandatory field(s) missing",
    "5.9": "Transaction aborted to maintain transactional integrity",
    "6.1": "Request canceled per business rule",
    "6.2": "Request placed on hold per business rule",
    "6.3": "Request released from business rule hold",
    "6.4": "Request rescheduled per business rule",
    "6.5": "Request canceled by user",
    "7.1": "Temporary authentication failure",
    "7.2": "Authentication required",
    "7.3": "Authentication mechanism insufficient",
    "7.4": "Authentication failure",
    "7.5": "Action not authorized for user",
    "7.6": "Authentication mechanism requires encryption",
    "7.7": "Policy violation",
}


def normalized(text: str) -> str:
    return " ".join(text.replace("\N{EN DASH}", "-").replace("-", " - ").split()).lower()


def test_every_table_code_is_a_member_with_its_description():
    members = {member.code: member for member in ErrorCode if not member.is_cas_specific}
    assert set(members) == set(TABLE)
    for code, description in TABLE.items():
        assert normalized(members[code].description) == normalized(description), code


def test_cas_specific_codes_use_sub_numbers_above_100_and_are_unique():
    own = [member for member in ErrorCode if member.is_cas_specific]
    assert {member.code for member in own} == {"2.101", "2.102", "5.101", "5.102", "5.103", "5.104"}
    assert len({member.code for member in ErrorCode}) == len(ErrorCode)


def test_lookup_by_code_and_situation_names():
    assert ErrorCode.from_code("2.5") is ErrorCode.INVALID_NOUN
    assert codes.UNKNOWN_DEVICE.code == "2.4"
    assert codes.UNKNOWN_GROUP.code == "2.101"
    assert codes.UNKNOWN_RESOURCE.code == "2.15"
    with pytest.raises(ValueError):
        ErrorCode.from_code("9.99")
