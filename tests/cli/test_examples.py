"""The request files the README points at stay valid requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from cas.demo import example_request
from cas.messages import parse_request

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.xml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_is_a_valid_request(path):
    request = parse_request(path.read_bytes())
    assert request.header.verb in ("create", "get", "cancel", "change", "delete")


def test_there_are_examples_and_the_demo_request_is_valid():
    assert len(EXAMPLES) >= 3
    parsed = parse_request(example_request(["53494D00000F4241"]).encode())
    assert parsed.payload.devices_reference_list is not None
