"""The set of known meters, looked up by system title or device id, changeable at run time."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from cas.registry.errors import RegistryError, UnknownDevice
from cas.registry.model import Meter
from cas.registry.yaml_file import load_meters


class Registry:
    """In-memory index of meters. Later sources (web-service provisioning) call put/remove."""

    def __init__(self, meters: Iterable[Meter] = ()) -> None:
        self._by_title: dict[str, Meter] = {}
        self._by_device_id: dict[str, str] = {}
        for meter in meters:
            self.put(meter)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Registry:
        return cls(load_meters(path))

    def put(self, meter: Meter) -> None:
        """Add or replace a meter (keyed by system title)."""
        if meter.device_id is not None:
            owner = self._by_device_id.get(meter.device_id)
            if owner is not None and owner != meter.system_title:
                raise RegistryError(f"device id {meter.device_id!r} already names meter {owner}")
        old = self._by_title.get(meter.system_title)
        if old is not None and old.device_id is not None:
            self._by_device_id.pop(old.device_id, None)
        self._by_title[meter.system_title] = meter
        if meter.device_id is not None:
            self._by_device_id[meter.device_id] = meter.system_title

    def remove(self, system_title: str) -> Meter:
        meter = self._by_title.pop(system_title.upper(), None)
        if meter is None:
            raise UnknownDevice(system_title)
        if meter.device_id is not None:
            self._by_device_id.pop(meter.device_id, None)
        return meter

    def resolve(self, reference: str) -> Meter:
        """A meter by system title (any case) or, failing that, by device id."""
        meter = self._by_title.get(reference.upper())
        if meter is None:
            title = self._by_device_id.get(reference)
            meter = self._by_title.get(title) if title else None
        if meter is None:
            raise UnknownDevice(reference)
        return meter

    def __iter__(self) -> Iterator[Meter]:
        return iter(list(self._by_title.values()))

    def __len__(self) -> int:
        return len(self._by_title)

    def __contains__(self, reference: object) -> bool:
        if not isinstance(reference, str):
            return False
        try:
            self.resolve(reference)
        except UnknownDevice:
            return False
        return True
