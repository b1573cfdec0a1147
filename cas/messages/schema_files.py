"""Where the project's schemas are: ``schemas/`` next to the package, or $CAS_SCHEMA_DIR."""

from __future__ import annotations

import os
from pathlib import Path

WSDL_NAME = "cas.wsdl"
MESSAGE_XSD = "message.xsd"


def schema_dir() -> Path:
    """The folder holding cas.wsdl and the XSDs.

    $CAS_SCHEMA_DIR wins (an installed package without the source tree sets it); otherwise
    the ``schemas/`` folder of the source tree this package lives in.
    """
    configured = os.environ.get("CAS_SCHEMA_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "schemas"


def schema_path(name: str) -> Path:
    """A file of the schema folder; FileNotFoundError naming $CAS_SCHEMA_DIR if it is missing
    (a non-editable install does not ship schemas/: point $CAS_SCHEMA_DIR at a copy)."""
    path = schema_dir() / name
    if not path.is_file():
        raise FileNotFoundError(
            f"CAS schema {path} not found: set CAS_SCHEMA_DIR to the schemas/ folder"
        )
    return path
