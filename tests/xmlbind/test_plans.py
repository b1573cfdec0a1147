"""The fast reader and writer have a plan for every class xsdata generates from schemas/."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from cas.xmlbind.binding import READER, WRITER
from generated import cosem, device_access, message


def _dataclasses(namespace: dict, module: str) -> list[type]:
    """The dataclasses defined in ``namespace``, nested ones included."""
    found = []
    for clazz in namespace.values():
        if inspect.isclass(clazz) and clazz.__module__ == module:
            if dataclasses.is_dataclass(clazz):
                found.append(clazz)
            found += _dataclasses(vars(clazz), module)
    return found


GENERATED_CLASSES = [
    clazz
    for module in (message, device_access, cosem)
    for clazz in _dataclasses(vars(module), module.__name__)
]


def test_nested_classes_are_included():
    assert cosem.ConfirmedServiceError.InitiateError in GENERATED_CLASSES


@pytest.mark.parametrize("clazz", GENERATED_CLASSES, ids=lambda clazz: clazz.__qualname__)
def test_every_generated_class_has_a_reader_and_a_writer_plan(clazz):
    READER.plan(clazz)
    WRITER.plan(clazz)
