"""Device groups in the SQLite store: a table ``device_groups`` in the same file, used through
the store's own connection and thread (one transaction per write).

The table is created on first use, so the store's schema and protocol stay as they are.
"""

from __future__ import annotations

import sqlite3

from cas.registry.groups import DeviceGroup
from cas.store.groups import GroupExists, GroupMissing, PutMode, group_from_json, group_to_json
from cas.store.sqlite import SqliteStore

TABLE = """
CREATE TABLE IF NOT EXISTS device_groups (
    id TEXT PRIMARY KEY,
    definition TEXT NOT NULL
)
"""


class SqliteGroupStore:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._created = False  # only read and set in the store's thread

    def _table(self, db: sqlite3.Connection) -> sqlite3.Connection:
        if not self._created:
            db.execute(TABLE)
            self._created = True
        return db

    async def put_group(self, group: DeviceGroup, mode: PutMode = PutMode.CREATE) -> None:
        definition = group_to_json(group)

        def put(db: sqlite3.Connection) -> int:
            if mode is PutMode.CREATE:
                sql = (
                    "INSERT INTO device_groups (id, definition) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING"
                )
                return db.execute(sql, (group.id, definition)).rowcount
            if mode is PutMode.REPLACE:
                sql = "UPDATE device_groups SET definition = ? WHERE id = ?"
                return db.execute(sql, (definition, group.id)).rowcount
            sql = "INSERT OR REPLACE INTO device_groups (id, definition) VALUES (?, ?)"
            return db.execute(sql, (group.id, definition)).rowcount

        changed = await self._store._transaction(lambda db: put(self._table(db)))
        if changed == 0:
            raise GroupExists(group.id) if mode is PutMode.CREATE else GroupMissing(group.id)

    async def get_group(self, group_id: str) -> DeviceGroup | None:
        def select() -> str | None:
            db = self._table(self._store._db)
            row = db.execute(
                "SELECT definition FROM device_groups WHERE id = ?", (group_id,)
            ).fetchone()
            return row[0] if row else None

        text = await self._store._run(select)
        return group_from_json(text) if text is not None else None

    async def list_groups(self) -> list[DeviceGroup]:
        def select() -> list[str]:
            db = self._table(self._store._db)
            rows = db.execute("SELECT definition FROM device_groups ORDER BY id").fetchall()
            return [row[0] for row in rows]

        return [group_from_json(text) for text in await self._store._run(select)]

    async def delete_group(self, group_id: str) -> bool:
        def delete(db: sqlite3.Connection) -> int:
            return db.execute("DELETE FROM device_groups WHERE id = ?", (group_id,)).rowcount

        return await self._store._transaction(lambda db: delete(self._table(db))) > 0
