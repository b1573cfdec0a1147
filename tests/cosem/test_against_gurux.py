"""Cross-check against an independent decoder, as h11 does against the stdlib: gurux's
GXDLMSTranslator (standard XML) must find the same values in the same places as our codec
for happy-path APDUs.

gurux is only an oracle with known defects (shared/reference/gurux-dlms-facts.md and
measured here); these inputs are left out knowingly:
- Data: date (AttributeError), dont-care (dropped), compact-array (contents-description
  lost), visible-/utf8-strings with non-printable octets or & < > (not escaped: the output
  is not well-formed XML);
- class ids gurux's ObjectType enum does not know (ValueError), and result/error codes the
  standard does not name;
- action-result long-action-aborted / no-long-action-in-progress (written with the
  data-access-result names long-get-aborted / no-long-get-in-progress);
- access-selection inside with-list requests (dropped);
- get-response-with-list and set-response-with-list entries that are data-access-results
  (dropped); action-response-normal without return-parameters (malformed XML);
- confirmed-service-error alternatives other than initiateError (gurux always writes
  initiateError) and Access object-access-invalid (gurux: object-access-violated);
- exception-response service errors after other-reason (pdu-too-long, deciphering-error,
  invocation-counter-error: ValueError), ServiceError task (TypeError);
- ACSE APDUs (gurux writes its own forms, e.g. application-context-name as 1);
- every *-with-first-datablock / pblock variant (gurux names or parses them differently).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gurux_dlms.enums import ObjectType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cas import cosem
from cas.cosem import tags
from generated import cosem as m

from . import strategies as s
from .gurux_oracle import gurux_leaves, our_leaves

GURUX_NAMES = {  # gurux's element names for the same ASN.1 components
    "set-response-data-block": "set-response-datablock",
    "set-response-with-last-data-block": "set-response-last-datablock",
}

printable = st.text(
    alphabet=st.characters(
        codec="ascii", min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="&<>"
    ),
    max_size=20,
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
).map(cosem.date_time_to_bytes)

happy_scalars = st.one_of(
    st.just(m.NullData()),
    st.booleans().map(lambda v: m.Boolean(value=v)),
    st.text(alphabet="01", max_size=24).map(lambda v: m.BitString(value=v)),
    st.integers(-(2**31), 2**31 - 1).map(lambda v: m.DoubleLong(value=v)),
    st.integers(0, 2**32 - 1).map(lambda v: m.DoubleLongUnsigned(value=v)),
    st.binary(max_size=16).map(lambda v: m.OctetString(value=v)),
    printable.map(lambda v: m.VisibleString(value=v)),
    printable.map(lambda v: m.Utf8String(value=v)),
    st.integers(0, 99).map(lambda v: m.Bcd(value=v)),
    st.integers(-128, 127).map(lambda v: m.Integer(value=v)),
    st.integers(-(2**15), 2**15 - 1).map(lambda v: m.Long(value=v)),
    st.integers(0, 255).map(lambda v: m.Unsigned(value=v)),
    st.integers(0, 2**16 - 1).map(lambda v: m.LongUnsigned(value=v)),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: m.Long64(value=v)),
    st.integers(0, 2**64 - 1).map(lambda v: m.Long64Unsigned(value=v)),
    st.integers(0, 255).map(lambda v: m.EnumValue(value=v)),
    st.floats(width=32, allow_nan=False).map(lambda v: m.Float32(value=v)),
    st.floats(allow_nan=False).map(lambda v: m.Float64(value=v)),
    moments.map(lambda v: m.DateTime(value=v)),
    st.binary(min_size=4, max_size=4).map(lambda v: m.Time(value=v)),
)
happy_data = st.recursive(
    happy_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda xs: m.Array(choice=xs)),
        st.lists(children, max_size=4).map(lambda xs: m.Structure(choice=xs)),
    ),
    max_leaves=15,
)
happy_value = happy_data.map(lambda kind: m.DataValue(choice=kind))
class_ids = st.sampled_from(sorted(int(t) for t in ObjectType if 0 < int(t) < 8192))
obis = st.binary(min_size=6, max_size=6)
attributes = st.builds(
    m.CosemAttributeDescriptor,
    class_id=class_ids,
    instance_id=obis,
    attribute_id=st.integers(1, 20),
)
access = st.none() | st.builds(
    m.SelectiveAccessDescriptor, access_selector=st.integers(1, 2), access_parameters=happy_value
)
attribute_lists = st.lists(
    st.builds(m.CosemAttributeDescriptorWithSelection, cosem_attribute_descriptor=attributes),
    min_size=1,
    max_size=3,
).map(lambda xs: m.AttributeDescriptorList(cosem_attribute_descriptor_with_selection=xs))
results = st.sampled_from(list(m.DataAccessResult))
# In a Get-Data-Result, gurux's translator shows data-access-result "success" (0) as empty
# data (an oracle quirk; a meter never answers success without data there).
error_results = st.sampled_from(
    [r for r in m.DataAccessResult if r is not m.DataAccessResult.SUCCESS]
)
invoke = st.integers(0, 255)

happy_apdus = st.one_of(
    st.builds(
        m.GetRequestNormal,
        invoke_id_and_priority=invoke,
        cosem_attribute_descriptor=attributes,
        access_selection=access,
    ).map(lambda v: m.GetRequest(choice=v)),
    st.builds(m.GetRequestNext, invoke_id_and_priority=invoke, block_number=s.u32).map(
        lambda v: m.GetRequest(choice=v)
    ),
    st.builds(
        m.GetRequestWithList,
        invoke_id_and_priority=invoke,
        attribute_descriptor_list=attribute_lists,
    ).map(lambda v: m.GetRequest(choice=v)),
    st.builds(
        m.GetResponseNormal,
        invoke_id_and_priority=invoke,
        result=(happy_value | error_results).map(
            lambda r: m.GetDataResult(data_or_data_access_result=r)
        ),
    ).map(lambda v: m.GetResponse(choice=v)),
    st.builds(
        m.GetResponseWithDatablock,
        invoke_id_and_priority=invoke,
        result=st.builds(
            m.DataBlockG,
            last_block=st.booleans(),
            block_number=s.u32,
            result=st.binary(min_size=1, max_size=20).map(
                lambda r: m.DataBlockResult(raw_data_or_data_access_result=r)
            ),
        ),
    ).map(lambda v: m.GetResponse(choice=v)),
    st.builds(
        m.GetResponseWithList,
        invoke_id_and_priority=invoke,
        result=st.lists(happy_value, min_size=1, max_size=3).map(
            lambda xs: m.GetDataResultList(data_or_data_access_result=xs)
        ),
    ).map(lambda v: m.GetResponse(choice=v)),
    st.builds(
        m.SetRequestNormal,
        invoke_id_and_priority=invoke,
        cosem_attribute_descriptor=attributes,
        access_selection=st.none(),
        value=happy_value,
    ).map(lambda v: m.SetRequest(choice=v)),
    st.builds(
        m.SetRequestWithList,
        invoke_id_and_priority=invoke,
        attribute_descriptor_list=attribute_lists,
        value_list=st.lists(happy_data, min_size=1, max_size=3).map(
            lambda xs: m.DataList(choice=xs)
        ),
    ).map(lambda v: m.SetRequest(choice=v)),
    st.builds(m.SetResponseNormal, invoke_id_and_priority=invoke, result=results).map(
        lambda v: m.SetResponse(choice=v)
    ),
    st.builds(m.SetResponseDatablock, invoke_id_and_priority=invoke, block_number=s.u32).map(
        lambda v: m.SetResponse(choice=v)
    ),
    st.builds(
        m.SetResponseLastDatablock,
        invoke_id_and_priority=invoke,
        result=results,
        block_number=s.u32,
    ).map(lambda v: m.SetResponse(choice=v)),
    st.builds(
        m.ActionRequestNormal,
        invoke_id_and_priority=invoke,
        cosem_method_descriptor=st.builds(
            m.CosemMethodDescriptor,
            class_id=class_ids,
            instance_id=obis,
            method_id=st.integers(1, 9),
        ),
        method_invocation_parameters=st.none() | happy_value,
    ).map(lambda v: m.ActionRequest(choice=v)),
    st.builds(
        m.ActionResponseNormal,
        invoke_id_and_priority=invoke,
        single_response=st.builds(
            m.ActionResponseWithOptionalData,
            result=st.sampled_from([r for r in m.ActionResult if "long-action" not in r.value]),
            return_parameters=(happy_value | error_results).map(
                lambda r: m.GetDataResult(data_or_data_access_result=r)
            ),
        ),
    ).map(lambda v: m.ActionResponse(choice=v)),
    st.builds(
        m.DataNotification,
        long_invoke_id_and_priority=s.u32,
        date_time=st.none() | moments,
        notification_body=happy_value.map(lambda v: m.NotificationBody(data_value=v)),
    ),
    st.builds(
        m.ExceptionResponse,
        state_error=st.sampled_from(list(m.StateError)),
        service_error=st.sampled_from(list(m.ExceptionServiceError)[:3]),
    ),
    st.sampled_from(
        [
            enum_value
            for _, (enum, _table) in sorted(tags.SERVICE_ERROR_CHOICES.items())
            for enum_value in enum
            if enum_value is not m.Access.OBJECT_ACCESS_INVALID and enum is not m.Task
        ]
    ).map(
        lambda error: m.ConfirmedServiceError(
            choice=m.ConfirmedServiceError.InitiateError(choice=error)
        )
    ),
)


def _gurux_comparable(raw: bytes) -> list[tuple[str, str]]:
    leaves = []
    for path, text in gurux_leaves(raw):
        for theirs, ours in GURUX_NAMES.items():
            path = path.replace(f"/{theirs}", f"/{ours}")
        if path == "/data-notification/date-time" and not text:
            continue  # gurux writes an empty date-time; the schema leaves it out
        leaves.append((path, text))
    return leaves


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(happy_apdus)
def test_gurux_finds_the_same_values(apdu):
    raw = cosem.encode_apdu(apdu)
    assert our_leaves(raw) == _gurux_comparable(raw)


def test_load_profile_rows_match_gurux():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        m.Structure(
            choice=[
                m.OctetString(value=cosem.date_time_to_bytes(start + timedelta(minutes=15 * i))),
                m.DoubleLongUnsigned(value=1000 + i),
            ]
        )
        for i in range(96)
    ]
    apdu = m.GetResponse(
        choice=m.GetResponseNormal(
            invoke_id_and_priority=0xC1,
            result=m.GetDataResult(
                data_or_data_access_result=m.DataValue(choice=m.Array(choice=rows))
            ),
        )
    )
    raw = cosem.encode_apdu(apdu)
    ours = our_leaves(raw)
    assert len(ours) == 2 * 96 + 1
    assert ours == _gurux_comparable(raw)
