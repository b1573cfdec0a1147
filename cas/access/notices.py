"""Work notices between the nodes sharing a store (Redis).

Each node looks at the store for work other nodes queued every ``poll_interval`` (1 s by
default). Alone, that made a group read created on an api node wait for the next poll of a
worker's dispatcher, and the tasks one dispatcher queued wait for the next poll of the other
workers. So a node that queues work also announces its kind on the store's notice channel,
and every node that does that kind of work looks at the store at once.

The polls stay: a notice lost with a connection costs one poll interval, never work. A
notice carries no data, only the kind of work, so one that is lost, repeated or forged costs
at most one look at the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Protocol

logger = logging.getLogger(__name__)

SCHEDULE = "schedule"  # a resource was created or changed: dispatchers look at the schedule
TASKS = "tasks"  # device tasks were queued: workers claim


class NoticeChannel(Protocol):
    """What a shared store offers (``RedisStore``)."""

    async def announce(self, notice: str) -> None:
        """Send ``notice`` to every node, this one too."""
        ...

    def notices(self) -> AsyncIterator[str]:
        """Every node's notices as they come."""
        ...


class WorkNotices:
    """Announces this node's work to the others and hands theirs to this node's handlers
    (kind of work -> what looks at the store for it)."""

    def __init__(self, channel: NoticeChannel, handlers: Mapping[str, Callable[[], None]]) -> None:
        self._channel = channel
        self._handlers = dict(handlers)
        # kinds being sent -> whether another announce came meanwhile (sent once more after)
        self._sending: dict[str, bool] = {}
        self._senders: set[asyncio.Task] = set()
        self.sent = 0  # notices published (tests, logs)

    def announce(self, notice: str) -> None:
        """Tell every node that work of kind ``notice`` is queued, without waiting. Announces
        made while one of the same kind is being sent are folded into one send after it:
        a burst of a thousand creates is a few messages, and none comes before its work."""
        if notice in self._sending:
            self._sending[notice] = True
            return
        self._sending[notice] = False
        sender = asyncio.get_running_loop().create_task(self._send(notice))
        self._senders.add(sender)
        sender.add_done_callback(self._senders.discard)

    async def _send(self, notice: str) -> None:
        try:
            while True:
                try:
                    await self._channel.announce(notice)
                    self.sent += 1
                except Exception as error:  # the store is away: the polls find the work
                    logger.warning("could not announce %s work to other nodes: %s", notice, error)
                if not self._sending[notice]:
                    return
                self._sending[notice] = False
        finally:
            del self._sending[notice]

    async def listen(self) -> None:
        """Hand every node's notices to this node's handlers (until cancelled); a node that
        does no announced kind of work (an api node) does not subscribe."""
        if not self._handlers:
            return
        async for notice in self._channel.notices():
            handler = self._handlers.get(notice)
            if handler is not None:
                handler()

    async def close(self) -> None:
        """Stop the sends under way (their work is found by the polls)."""
        for sender in list(self._senders):
            sender.cancel()
        for sender in list(self._senders):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
