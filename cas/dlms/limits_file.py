"""Network segment limits from a YAML file (``cas serve --segment-limits FILE``)::

    default:                 # every segment not listed (optional)
      max_connections: 200   # open at once
      new_per_second: 50     # new connections per second, spaced 1/rate apart
    segments:
      gprs-north: {max_connections: 20, new_per_second: 5}
      plc-dc-17: {max_connections: 1}

A meter's segment is its registry entry's ``network_segment`` ("default" when not given).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from cas.dlms.admission import SegmentLimit


class LimitsFileError(ValueError):
    """The segment limits file is malformed (the message names the entry)."""


def _limit(raw: Any, where: str) -> SegmentLimit:
    if not isinstance(raw, dict):
        raise LimitsFileError(f"{where}: expected a mapping")
    unknown = set(raw) - {"max_connections", "new_per_second"}
    if unknown:
        raise LimitsFileError(f"{where}: unknown field(s) {sorted(unknown)}")
    try:
        return SegmentLimit(
            max_open=_number(raw.get("max_connections"), int, f"{where}.max_connections"),
            new_per_second=_number(raw.get("new_per_second"), float, f"{where}.new_per_second"),
        )
    except ValueError as error:
        raise LimitsFileError(f"{where}: {error}") from None


def _number(value: Any, kind: type, where: str):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LimitsFileError(f"{where}: expected a number, got {value!r}")
    return kind(value)


def load_segment_limits(
    path: str | os.PathLike[str],
) -> tuple[SegmentLimit, dict[str, SegmentLimit]]:
    """(the default limit, limits by segment name)."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise LimitsFileError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise LimitsFileError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(document, dict) or set(document) - {"default", "segments"}:
        raise LimitsFileError(f"{path}: expected the keys 'default' and/or 'segments'")
    default = _limit(document.get("default") or {}, "default")
    segments = document.get("segments") or {}
    if not isinstance(segments, dict):
        raise LimitsFileError(f"{path}: 'segments' must map segment names to limits")
    return default, {str(name): _limit(raw, f"segments.{name}") for name, raw in segments.items()}
