"""Binding between lxml elements and the dataclasses xsdata generates from schemas/.

A fast reader and writer driven by xsdata's own metadata, with xsdata's parser and
serializer behind them for whatever the fast paths do not cover. Knows nothing of SOAP,
messages or COSEM: callers parse, validate and check; this package only binds.
"""

from cas.xmlbind.binding import (
    CONTEXT,
    bind,
    to_bytes,
    to_element,
    xsdata_bind,
    xsdata_element,
    xsdata_text,
)
from cas.xmlbind.errors import BindingError, Unsupported

__all__ = [
    "CONTEXT",
    "BindingError",
    "Unsupported",
    "bind",
    "to_bytes",
    "to_element",
    "xsdata_bind",
    "xsdata_element",
    "xsdata_text",
]
