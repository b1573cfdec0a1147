"""The COSEM attributes and methods a DeviceAccess request touches (for its directory entry).

Found by walking the bound request: every ``cosem-attribute-descriptor`` of a GET or SET
(normal or with-list, with or without selective access) and of a time sync, every
``cosem-method-descriptor`` of an ACTION, each once, in request order.
"""

from __future__ import annotations

import dataclasses
import functools

from cas.access.stored import request_from_bytes
from generated import cosem as cos

Descriptors = tuple[tuple[cos.CosemAttributeDescriptor, ...], tuple[cos.CosemMethodDescriptor, ...]]


@functools.lru_cache(maxsize=4096)
def touched(request: bytes) -> Descriptors:
    """(attribute descriptors, method descriptors) of the stored request ``request``
    (cached like the bound request: callers must not modify them)."""
    attributes: dict[tuple[int, bytes, int], cos.CosemAttributeDescriptor] = {}
    methods: dict[tuple[int, bytes, int], cos.CosemMethodDescriptor] = {}
    stack: list[object] = [request_from_bytes(request).cosem_access_list]
    while stack:
        node = stack.pop()
        if isinstance(node, cos.CosemAttributeDescriptor):
            attributes.setdefault((node.class_id, node.instance_id, node.attribute_id), node)
        elif isinstance(node, cos.CosemMethodDescriptor):
            methods.setdefault((node.class_id, node.instance_id, node.method_id), node)
        elif isinstance(node, list):
            stack.extend(reversed(node))
        elif dataclasses.is_dataclass(node):
            stack.extend(
                reversed([getattr(node, field.name) for field in dataclasses.fields(node)])
            )
    return tuple(attributes.values()), tuple(methods.values())
