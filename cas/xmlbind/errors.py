"""The two ways a binding can fail."""

from __future__ import annotations


class Unsupported(Exception):
    """The fast reader or writer has no plan for this class or value: xsdata takes over."""


class BindingError(ValueError):
    """An element that neither the fast reader nor xsdata's parser can bind."""
