"""Removing what a test wrote to a shared Redis under its own key prefix."""

from __future__ import annotations

import redis.asyncio as aioredis


async def drop_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``prefix`` (a thousand per command)."""
    client = aioredis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
    finally:
        await client.aclose()
