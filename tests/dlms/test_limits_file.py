"""The segment limits file: what it accepts, and the errors that name the entry."""

from __future__ import annotations

import pytest

from cas.dlms.admission import SegmentLimit
from cas.dlms.limits_file import LimitsFileError, load_segment_limits


def test_default_and_segments(tmp_path):
    path = tmp_path / "limits.yaml"
    path.write_text(
        "default: {max_connections: 50, new_per_second: 10}\n"
        "segments:\n  north: {max_connections: 2}\n  south: {new_per_second: 0.5}\n"
    )
    default, segments = load_segment_limits(path)
    assert default == SegmentLimit(50, 10.0)
    assert segments == {"north": SegmentLimit(2, None), "south": SegmentLimit(None, 0.5)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("segments: {north: {max_connections: 0}}", "segments.north"),
        ("segments: {north: {max_connections: lots}}", "segments.north.max_connections"),
        ("segments: {north: {colour: 1}}", "colour"),
        ("limits: {}", "'default' and/or 'segments'"),
        ("segments: [1, 2]", "must map"),
        ("default: [", "not valid YAML"),
    ],
)
def test_bad_files_name_the_entry(tmp_path, text, message):
    path = tmp_path / "limits.yaml"
    path.write_text(text)
    with pytest.raises(LimitsFileError, match=message):
        load_segment_limits(path)
