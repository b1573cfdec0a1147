"""Tests of the message layer (cas.messages)."""
