"""Which addresses the outbox POSTs to, and how they appear in logs.

Only absolute http(s) URLs with a host are delivered to: anything else (file:, ftp:, a bare
path) would never succeed and is put aside at once. A URL may carry credentials (user info,
a token in the query): logs and stored errors name it by scheme, host, port and path only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

DELIVERABLE_SCHEMES = frozenset({"http", "https"})


def undeliverable_reason(url: str) -> str | None:
    """Why ``url`` cannot be a delivery target, or None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a malformed port)
    except ValueError:
        return "not a valid URL"
    if parts.scheme.lower() not in DELIVERABLE_SCHEMES:
        return "not an http(s) URL"
    if not parts.hostname:
        return "URL without a host"
    return None


def redacted(url: str) -> str:
    """``url`` without user info, query and fragment: safe to log."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "<invalid URL>"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}{parts.path}"
