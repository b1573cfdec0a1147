"""Device groups in the Redis store, through the store's client and under its key prefix.

Key (``P`` the store's prefix)::

    P groups    hash   group id -> definition (JSON, see cas.store.groups.group_to_json)

Create is HSETNX, upsert HSET, delete HDEL, replace a small script (set only if present):
each one command, atomic across nodes.
"""

from __future__ import annotations

from cas.registry.groups import DeviceGroup
from cas.store.groups import GroupExists, GroupMissing, PutMode, group_from_json, group_to_json
from cas.store.redis import RedisStore

REPLACE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


class RedisGroupStore:
    def __init__(self, store: RedisStore) -> None:
        self._client = store._client
        self.key = store.prefix + "groups"
        self._replace = self._client.register_script(REPLACE)

    async def put_group(self, group: DeviceGroup, mode: PutMode = PutMode.CREATE) -> None:
        definition = group_to_json(group).encode()
        if mode is PutMode.CREATE:
            if not await self._client.hsetnx(self.key, group.id, definition):
                raise GroupExists(group.id)
        elif mode is PutMode.REPLACE:
            if not await self._replace(keys=[self.key], args=[group.id, definition]):
                raise GroupMissing(group.id)
        else:
            await self._client.hset(self.key, group.id, definition)

    async def get_group(self, group_id: str) -> DeviceGroup | None:
        text = await self._client.hget(self.key, group_id)
        return group_from_json(text) if text is not None else None

    async def list_groups(self) -> list[DeviceGroup]:
        raw = await self._client.hgetall(self.key)
        groups = [group_from_json(text) for text in raw.values()]
        return sorted(groups, key=lambda group: group.id)

    async def delete_group(self, group_id: str) -> bool:
        return await self._client.hdel(self.key, group_id) > 0
