"""Hypothesis strategies for the COSEM codec tests: Data values and every APDU variant as
objects (in the canonical form the decoder produces), and valid Data encodings as raw bytes
built straight from the A-XDR grammar."""

from __future__ import annotations

import struct

from hypothesis import strategies as st

from cas.cosem import axdr, data, tags
from generated import cosem as m

# -- Data as objects -------------------------------------------------------------------------

_EXCLUDED_XML = {0x9, 0xA, 0xD}


def _int_kind(cls: type, bits: int, signed: bool) -> st.SearchStrategy:
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return st.integers(low, high).map(lambda v: cls(value=v))


def _octets(cls: type, size: int) -> st.SearchStrategy:
    return st.binary(min_size=size, max_size=size).map(lambda v: cls(value=v))


type_descriptions = st.recursive(
    st.sampled_from(
        [td for td in tags.TYPE_DESCRIPTION_TAG if td not in (m.ArrayType, m.StructureType)]
    ).map(lambda cls: cls()),
    lambda children: st.one_of(
        st.builds(
            lambda n, td: m.ArrayType(
                number_of_elements=n, type_description=m.TypeDescription(choice=td)
            ),
            st.integers(0, 0xFFFF),
            children,
        ),
        st.lists(children, max_size=4).map(lambda items: m.StructureType(choice=items)),
    ),
    max_leaves=6,
)

scalar_data = st.one_of(
    st.just(m.NullData()),
    st.just(m.DontCare()),
    st.booleans().map(lambda v: m.Boolean(value=v)),
    st.text(alphabet="01", max_size=40).map(lambda v: m.BitString(value=v)),
    _int_kind(m.DoubleLong, 32, True),
    _int_kind(m.DoubleLongUnsigned, 32, False),
    st.binary(max_size=40).map(lambda v: m.OctetString(value=v)),
    st.binary(max_size=40).map(data.visible_string),
    st.text(
        alphabet=st.characters(codec="ascii", min_codepoint=0x20, max_codepoint=0x7E),
        max_size=30,
    ).map(lambda v: m.VisibleString(value=v)),
    st.binary(max_size=40).map(data.utf8_string),
    st.text(max_size=20).map(lambda v: data.utf8_string(v.encode("utf-8", "surrogatepass"))),
    _int_kind(m.Bcd, 8, True),
    _int_kind(m.Integer, 8, True),
    _int_kind(m.Long, 16, True),
    _int_kind(m.Unsigned, 8, False),
    _int_kind(m.LongUnsigned, 16, False),
    _int_kind(m.Long64, 64, True),
    _int_kind(m.Long64Unsigned, 64, False),
    _int_kind(m.EnumValue, 8, False),
    st.binary(min_size=4, max_size=4).map(data.float32_value),
    st.floats(width=32).map(lambda v: data.float32_value(struct.pack(">f", v))),
    st.binary(min_size=8, max_size=8).map(data.float64_value),
    st.floats().map(lambda v: data.float64_value(struct.pack(">d", v))),
    _octets(m.DateTime, 12),
    _octets(m.Date, 5),
    _octets(m.Time, 4),
    st.builds(
        lambda td, contents: m.CompactArray(
            contents_description=m.TypeDescription(choice=td), array_contents=contents
        ),
        type_descriptions,
        st.binary(max_size=20),
    ),
)

data_values = st.recursive(
    scalar_data,
    lambda children: st.one_of(
        st.lists(children, max_size=5).map(lambda items: m.Array(choice=items)),
        st.lists(children, max_size=5).map(lambda items: m.Structure(choice=items)),
    ),
    max_leaves=25,
)


def wrapped(kinds: st.SearchStrategy = data_values) -> st.SearchStrategy:
    return kinds.map(lambda kind: m.DataValue(choice=kind))


# -- Data as raw A-XDR bytes -----------------------------------------------------------------


def _length(size: int) -> bytes:
    out = bytearray()
    axdr.write_length(size, out)
    return bytes(out)


def _tagged(tag: int, body: st.SearchStrategy) -> st.SearchStrategy:
    return body.map(lambda raw: bytes((tag,)) + raw)


def _counted(tag: int, items: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(items, max_size=5).map(
        lambda xs: bytes((tag,)) + _length(len(xs)) + b"".join(xs)
    )


def _bit_string(bits: str) -> bytes:
    size = (len(bits) + 7) // 8
    body = (int(bits, 2) << (size * 8 - len(bits))).to_bytes(size, "big") if size else b""
    return b"\x04" + _length(len(bits)) + body


def _string(tag: int, raw: bytes) -> bytes:
    return bytes((tag,)) + _length(len(raw)) + raw


scalar_bytes = st.one_of(
    st.just(b"\x00"),
    st.just(b"\xff"),
    st.sampled_from([b"\x03\x00", b"\x03\x01"]),
    st.text(alphabet="01", max_size=300).map(_bit_string),
    *(
        _tagged(tag, st.binary(min_size=size, max_size=size))
        for tag, size in (
            (5, 4),
            (6, 4),
            (13, 1),
            (15, 1),
            (16, 2),
            (17, 1),
            (18, 2),
            (20, 8),
            (21, 8),
            (22, 1),
            (23, 4),
            (24, 8),
            (25, 12),
            (26, 5),
            (27, 4),
        )
    ),
    st.binary(max_size=300).map(lambda raw: _string(9, raw)),
    st.binary(max_size=40).map(lambda raw: _string(10, raw)),
    st.binary(max_size=40).map(lambda raw: _string(12, raw)),
    st.text(max_size=20).map(lambda s: _string(12, s.encode("utf-8", "surrogatepass"))),
)

data_bytes = st.recursive(
    scalar_bytes,
    lambda children: st.one_of(_counted(1, children), _counted(2, children)),
    max_leaves=25,
)

# -- APDUs -------------------------------------------------------------------------------------

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
i8 = st.integers(-128, 127)
octets = st.binary(max_size=40)

data_access_results = st.one_of(
    st.sampled_from(list(m.DataAccessResult)),
    st.integers(0, 255).filter(lambda n: n not in tags.DATA_ACCESS_RESULT.values()),
)
action_results = st.one_of(
    st.sampled_from(list(m.ActionResult)),
    st.integers(0, 255).filter(lambda n: n not in tags.ACTION_RESULT.values()),
)

attribute_descriptors = st.builds(
    m.CosemAttributeDescriptor,
    class_id=u16,
    instance_id=st.binary(min_size=6, max_size=6),
    attribute_id=i8,
)
method_descriptors = st.builds(
    m.CosemMethodDescriptor,
    class_id=u16,
    instance_id=st.binary(min_size=6, max_size=6),
    method_id=i8,
)
access_selections = st.builds(
    m.SelectiveAccessDescriptor, access_selector=u8, access_parameters=wrapped()
)
optional_access = st.none() | access_selections
attribute_lists = st.lists(
    st.builds(
        m.CosemAttributeDescriptorWithSelection,
        cosem_attribute_descriptor=attribute_descriptors,
        access_selection=optional_access,
    ),
    max_size=4,
).map(lambda items: m.AttributeDescriptorList(cosem_attribute_descriptor_with_selection=items))
method_lists = st.lists(method_descriptors, max_size=4).map(
    lambda items: m.MethodDescriptorList(cosem_method_descriptor=items)
)
data_lists = st.lists(data_values, max_size=4).map(lambda items: m.DataList(choice=items))
data_block_sa = st.builds(
    m.DataBlockSa, last_block=st.booleans(), block_number=u32, raw_data=octets
)
get_data_results = st.one_of(wrapped(), data_access_results)
result_lists = st.lists(data_access_results, max_size=4).map(
    lambda items: m.DataAccessResultList(data_access_result=items)
)
action_responses = st.builds(
    m.ActionResponseWithOptionalData,
    result=action_results,
    return_parameters=st.none()
    | get_data_results.map(lambda r: m.GetDataResult(data_or_data_access_result=r)),
)

get_requests = st.one_of(
    st.builds(
        m.GetRequestNormal,
        invoke_id_and_priority=u8,
        cosem_attribute_descriptor=attribute_descriptors,
        access_selection=optional_access,
    ),
    st.builds(m.GetRequestNext, invoke_id_and_priority=u8, block_number=u32),
    st.builds(
        m.GetRequestWithList, invoke_id_and_priority=u8, attribute_descriptor_list=attribute_lists
    ),
).map(lambda variant: m.GetRequest(choice=variant))

get_responses = st.one_of(
    st.builds(
        m.GetResponseNormal,
        invoke_id_and_priority=u8,
        result=get_data_results.map(lambda r: m.GetDataResult(data_or_data_access_result=r)),
    ),
    st.builds(
        m.GetResponseWithDatablock,
        invoke_id_and_priority=u8,
        result=st.builds(
            m.DataBlockG,
            last_block=st.booleans(),
            block_number=u32,
            result=st.one_of(octets, data_access_results).map(
                lambda r: m.DataBlockResult(raw_data_or_data_access_result=r)
            ),
        ),
    ),
    st.builds(
        m.GetResponseWithList,
        invoke_id_and_priority=u8,
        result=st.lists(get_data_results, max_size=4).map(
            lambda items: m.GetDataResultList(data_or_data_access_result=items)
        ),
    ),
).map(lambda variant: m.GetResponse(choice=variant))

set_requests = st.one_of(
    st.builds(
        m.SetRequestNormal,
        invoke_id_and_priority=u8,
        cosem_attribute_descriptor=attribute_descriptors,
        access_selection=optional_access,
        value=wrapped(),
    ),
    st.builds(
        m.SetRequestWithFirstDatablock,
        invoke_id_and_priority=u8,
        cosem_attribute_descriptor=attribute_descriptors,
        access_selection=optional_access,
        datablock=data_block_sa,
    ),
    st.builds(m.SetRequestWithDatablock, invoke_id_and_priority=u8, datablock=data_block_sa),
    st.builds(
        m.SetRequestWithList,
        invoke_id_and_priority=u8,
        attribute_descriptor_list=attribute_lists,
        value_list=data_lists,
    ),
    st.builds(
        m.SetRequestWithListAndFirstDatablock,
        invoke_id_and_priority=u8,
        attribute_descriptor_list=attribute_lists,
        datablock=data_block_sa,
    ),
).map(lambda variant: m.SetRequest(choice=variant))

set_responses = st.one_of(
    st.builds(m.SetResponseNormal, invoke_id_and_priority=u8, result=data_access_results),
    st.builds(m.SetResponseDatablock, invoke_id_and_priority=u8, block_number=u32),
    st.builds(
        m.SetResponseLastDatablock,
        invoke_id_and_priority=u8,
        result=data_access_results,
        block_number=u32,
    ),
    st.builds(
        m.SetResponseLastDatablockWithList,
        invoke_id_and_priority=u8,
        result=result_lists,
        block_number=u32,
    ),
    st.builds(m.SetResponseWithList, invoke_id_and_priority=u8, result=result_lists),
).map(lambda variant: m.SetResponse(choice=variant))

action_requests = st.one_of(
    st.builds(
        m.ActionRequestNormal,
        invoke_id_and_priority=u8,
        cosem_method_descriptor=method_descriptors,
        method_invocation_parameters=st.none() | wrapped(),
    ),
    st.builds(m.ActionRequestNextPblock, invoke_id_and_priority=u8, block_number=u32),
    st.builds(
        m.ActionRequestWithList,
        invoke_id_and_priority=u8,
        cosem_method_descriptor_list=method_lists,
        method_invocation_parameters=data_lists,
    ),
    st.builds(
        m.ActionRequestWithFirstPblock,
        invoke_id_and_priority=u8,
        cosem_method_descriptor=method_descriptors,
        pblock=data_block_sa,
    ),
    st.builds(
        m.ActionRequestWithListAndFirstPblock,
        invoke_id_and_priority=u8,
        cosem_method_descriptor_list=method_lists,
        pblock=data_block_sa,
    ),
    st.builds(m.ActionRequestWithPblock, invoke_id_and_priority=u8, p_block=data_block_sa),
).map(lambda variant: m.ActionRequest(choice=variant))

action_responses_apdu = st.one_of(
    st.builds(m.ActionResponseNormal, invoke_id_and_priority=u8, single_response=action_responses),
    st.builds(m.ActionResponseWithPblock, invoke_id_and_priority=u8, pblock=data_block_sa),
    st.builds(
        m.ActionResponseWithList,
        invoke_id_and_priority=u8,
        list_of_responses=st.lists(action_responses, max_size=4).map(
            lambda items: m.ActionResponseList(action_response_with_optional_data=items)
        ),
    ),
    st.builds(m.ActionResponseNextPblock, invoke_id_and_priority=u8, block_number=u32),
).map(lambda variant: m.ActionResponse(choice=variant))

data_notifications = st.builds(
    m.DataNotification,
    long_invoke_id_and_priority=u32,
    date_time=st.none() | st.binary(min_size=12, max_size=12),
    notification_body=wrapped().map(lambda value: m.NotificationBody(data_value=value)),
)


@st.composite
def exception_responses(draw: st.DrawFn) -> m.ExceptionResponse:
    state = draw(st.sampled_from(list(m.StateError)) | st.sampled_from([0, 3, 255]))
    service = draw(st.sampled_from(list(m.ExceptionServiceError)) | st.sampled_from([0, 7]))
    counter = draw(u32) if service is m.ExceptionServiceError.INVOCATION_COUNTER_ERROR else None
    return m.ExceptionResponse(state_error=state, service_error=service, invocation_counter=counter)


def _service_error() -> st.SearchStrategy:
    return st.sampled_from(list(tags.SERVICE_ERROR_CHOICES.values())).flatmap(
        lambda entry: st.sampled_from(list(entry[0]))
    )


confirmed_service_errors = st.builds(
    lambda cls, error: m.ConfirmedServiceError(choice=cls(choice=error)),
    st.sampled_from([cls for _, cls in tags.CONFIRMED_SERVICE_ERROR_CHOICES.values()]),
    _service_error(),
)

# -- ACSE ------------------------------------------------------------------------------------

oids = st.lists(st.integers(0, 2**32) | st.integers(0, 2**63 - 81), min_size=1, max_size=6).flatmap(
    lambda rest: st.tuples(st.integers(0, 2), st.integers(0, 39)).map(
        lambda head: ".".join(str(arc) for arc in (*head, *rest))
    )
)
bits = st.text(alphabet="01", max_size=20)
int32 = st.integers(-(2**31), 2**31 - 1)
conformance = st.sets(st.sampled_from(list(m.ConformanceBit))).map(
    lambda chosen: [bit for bit in m.ConformanceBit if bit in chosen]
)
initiate_requests = st.builds(
    m.InitiateRequest,
    dedicated_key=st.none() | octets,
    response_allowed=st.none() | st.booleans(),
    proposed_quality_of_service=st.none() | i8,
    proposed_dlms_version_number=u8,
    proposed_conformance=conformance,
    client_max_receive_pdu_size=u16,
)
initiate_responses = st.builds(
    m.InitiateResponse,
    negotiated_quality_of_service=st.none() | i8,
    negotiated_dlms_version_number=u8,
    negotiated_conformance=conformance,
    server_max_receive_pdu_size=u16,
    vaa_name=st.integers(-(2**15), 2**15 - 1),
)
user_information = st.one_of(
    initiate_requests,
    initiate_responses,
    confirmed_service_errors,
    st.binary(max_size=40).map(lambda raw: b"\x21" + raw),
).map(lambda choice: m.UserInformation(choice=choice))
authentication_values = st.one_of(octets, bits).map(
    lambda v: m.AuthenticationValue(charstring_or_bitstring=v)
)


def _optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


aarqs = st.builds(
    m.Aarq,
    protocol_version=_optional(bits),
    application_context_name=oids,
    called_ap_title=_optional(octets),
    called_ae_qualifier=_optional(octets),
    called_ap_invocation_id=_optional(int32),
    called_ae_invocation_id=_optional(int32),
    calling_ap_title=_optional(octets),
    calling_ae_qualifier=_optional(octets),
    calling_ap_invocation_id=_optional(int32),
    calling_ae_invocation_id=_optional(int32),
    sender_acse_requirements=_optional(bits),
    mechanism_name=_optional(oids),
    calling_authentication_value=_optional(authentication_values),
    implementation_information=_optional(octets),
    user_information=_optional(user_information),
)
aares = st.builds(
    m.Aare,
    protocol_version=_optional(bits),
    application_context_name=oids,
    result=st.sampled_from(list(m.AssociationResult)) | st.integers(3, 255),
    result_source_diagnostic=st.one_of(
        st.sampled_from(list(m.AcseServiceUser)), st.sampled_from(list(m.AcseServiceProvider))
    ).map(lambda d: m.AssociateSourceDiagnostic(acse_service_user_or_acse_service_provider=d)),
    responding_ap_title=_optional(octets),
    responding_ae_qualifier=_optional(octets),
    responding_ap_invocation_id=_optional(int32),
    responding_ae_invocation_id=_optional(int32),
    responder_acse_requirements=_optional(bits),
    mechanism_name=_optional(oids),
    responding_authentication_value=_optional(authentication_values),
    implementation_information=_optional(octets),
    user_information=_optional(user_information),
)
rlrqs = st.builds(
    m.Rlrq,
    reason=_optional(st.sampled_from(list(m.ReleaseRequestReason))),
    user_information=_optional(user_information),
)
rlres = st.builds(
    m.Rlre,
    reason=_optional(st.sampled_from(list(m.ReleaseResponseReason))),
    user_information=_optional(user_information),
)

ALL_APDUS = {
    "get-request": get_requests,
    "get-response": get_responses,
    "set-request": set_requests,
    "set-response": set_responses,
    "action-request": action_requests,
    "action-response": action_responses_apdu,
    "data-notification": data_notifications,
    "exception-response": exception_responses(),
    "confirmed-service-error": confirmed_service_errors,
    "aarq": aarqs,
    "aare": aares,
    "rlrq": rlrqs,
    "rlre": rlres,
}
