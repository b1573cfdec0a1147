"""The project's COSEM codec: A-XDR/BER bytes <-> the xsdata classes generated from
schemas/cosem.xsd (``generated.cosem``) <-> COSEM XML (namespace
http://www.dlms.com/COSEMpdu). See cas/cosem/README.md for the XML forms chosen.

Modules: ``tags`` (every tag, named), ``axdr`` (A-XDR primitives), ``data`` (Data
values), ``codec`` + ``xdlms`` (the xDLMS APDUs), ``acse`` (AARQ/AARE/RLRQ/RLRE), ``apdu``
(bytes dispatch), ``xml`` (XML binding), ``obis``, ``dates`` and ``build`` (helpers),
``errors``.
"""

from cas.cosem.apdu import APDU_CLASSES, decode_apdu, encode_apdu
from cas.cosem.build import (
    action_request,
    entry_access,
    get_request,
    get_request_with_list,
    range_access,
    set_request,
)
from cas.cosem.data import MAX_DEPTH, decode_data, encode_data
from cas.cosem.dates import date_time_from_bytes, date_time_to_bytes
from cas.cosem.errors import (
    CosemDecodeError,
    CosemEncodeError,
    CosemError,
    CosemXmlError,
    ObisError,
)
from cas.cosem.obis import obis_from_bytes, obis_to_bytes
from cas.cosem.xml import (
    COSEM_NS,
    apdu_from_element,
    apdu_from_xml,
    apdu_to_element,
    apdu_to_xml,
)

__all__ = [
    "APDU_CLASSES",
    "COSEM_NS",
    "MAX_DEPTH",
    "CosemDecodeError",
    "CosemEncodeError",
    "CosemError",
    "CosemXmlError",
    "ObisError",
    "action_request",
    "apdu_from_element",
    "apdu_from_xml",
    "apdu_to_element",
    "apdu_to_xml",
    "date_time_from_bytes",
    "date_time_to_bytes",
    "decode_apdu",
    "decode_data",
    "encode_apdu",
    "encode_data",
    "entry_access",
    "get_request",
    "get_request_with_list",
    "obis_from_bytes",
    "obis_to_bytes",
    "range_access",
    "set_request",
]
