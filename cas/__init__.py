"""COSEM Access Service gateway (IEC TS 62056-9-1)."""

__version__ = "0.1.0"
