"""Errors raised by the device registry."""


class RegistryError(Exception):
    """The registry file or an entry in it is invalid."""


class UnknownDevice(LookupError):
    """No meter is registered under that system title or device id."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"unknown device: {reference!r}")
        self.reference = reference
