"""APDUs as bytes: pick the codec from the first octet (decoding) or from the class
(encoding). The supported APDUs are those with a global element in schemas/cosem.xsd."""

from __future__ import annotations

from typing import Any

from cas.cosem import acse, tags, xdlms
from cas.cosem.codec import Codec
from cas.cosem.errors import CosemDecodeError, CosemEncodeError
from generated import cosem as m

Apdu = Any  # an instance of one of the classes in tags.APDU_TAG

_CODECS: dict[type, Codec | acse.AcseCodec] = {
    m.GetRequest: xdlms.GET_REQUEST,
    m.SetRequest: xdlms.SET_REQUEST,
    m.ActionRequest: xdlms.ACTION_REQUEST,
    m.GetResponse: xdlms.GET_RESPONSE,
    m.SetResponse: xdlms.SET_RESPONSE,
    m.ActionResponse: xdlms.ACTION_RESPONSE,
    m.DataNotification: xdlms.DATA_NOTIFICATION,
    m.ExceptionResponse: xdlms.EXCEPTION_RESPONSE,
    m.ConfirmedServiceError: xdlms.CONFIRMED_SERVICE_ERROR,
    m.Aarq: acse.AARQ,
    m.Aare: acse.AARE,
    m.Rlrq: acse.RLRQ,
    m.Rlre: acse.RLRE,
}
assert set(_CODECS) == set(tags.APDU_TAG)

_BY_TAG = {tags.APDU_TAG[cls]: codec for cls, codec in _CODECS.items()}
_ACSE = (acse.AcseCodec,)

APDU_CLASSES: tuple[type, ...] = tuple(_CODECS)


def decode_apdu(data: bytes) -> Apdu:
    """Decode one whole APDU; the class follows from its tag. Raises CosemDecodeError for
    an unsupported tag, malformed or truncated content, or octets after the APDU."""
    buf = bytes(data)
    if not buf:
        raise CosemDecodeError(0, "truncated: APDU tag expected")
    tag = buf[0]
    codec = _BY_TAG.get(tag)
    if codec is None:
        name = tags.APDU_NAMES.get(tag)
        what = f"{name} (0x{tag:02X})" if name else f"unknown APDU tag 0x{tag:02X}"
        raise CosemDecodeError(0, f"unsupported APDU: {what}")
    value, pos = codec.read(buf, 0 if isinstance(codec, _ACSE) else 1)
    if pos != len(buf):
        raise CosemDecodeError(pos, f"{len(buf) - pos} octets after the APDU")
    return value


def encode_apdu(apdu: Apdu) -> bytes:
    """Encode an APDU object. Raises CosemEncodeError (with the element path) for values
    out of range, missing choices or objects of the wrong class."""
    codec = _CODECS.get(type(apdu))
    if codec is None:
        raise CosemEncodeError(f"not a supported APDU: {type(apdu).__name__}")
    out = bytearray()
    if not isinstance(codec, _ACSE):
        out.append(tags.APDU_TAG[type(apdu)])
    try:
        codec.write(apdu, out)
    except CosemEncodeError as error:
        raise error.within(type(apdu).Meta.name) from None  # the global element's name
    return bytes(out)
