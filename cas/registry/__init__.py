"""Device registry: meters by system title (and optional device id)."""

from cas.registry.errors import RegistryError, UnknownDevice
from cas.registry.model import (
    Authentication,
    Meter,
    MeterKeys,
    Secret,
    SecurityPolicy,
    Transport,
)
from cas.registry.registry import Registry
from cas.registry.yaml_file import load_meters, meter_from_mapping, meter_to_mapping, save_meters

__all__ = [
    "Authentication",
    "Meter",
    "MeterKeys",
    "Registry",
    "RegistryError",
    "Secret",
    "SecurityPolicy",
    "Transport",
    "UnknownDevice",
    "load_meters",
    "meter_from_mapping",
    "meter_to_mapping",
    "save_meters",
]
