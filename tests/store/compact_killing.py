"""Kill the compaction after a migration (migrate.compact) at a chosen step, in a child process
(the runner and what dying means: tests/killing.py).

Kill points (``POINTS``), in the order of the compaction:

``locked``    the database file held exclusively, its WAL checkpointed empty
``attached``  the new file created beside the store and attached
``mid-export`` inside ``sqlcipher_export``, part of the new file written (a real kill in SQLite's
              loop: the connection's progress handler)
``exported``  the new file filled, not yet detached nor fsynced
``detached``  the new file complete and closed, not yet fsynced
``renaming``  just before the rename over the store's file
``renamed``   just after it (the folder not yet fsynced, the old file's connection still open)
``done``      compact returned
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.killing import KILLED, die, run_child

__all__ = ["KILLED", "POINTS", "run_killed"]

POINTS = ("locked", "attached", "mid-export", "exported", "detached", "renaming", "renamed", "done")
_AFTER = {"locked": "wal_checkpoint", "attached": "ATTACH", "exported": "sqlcipher_export", "detached": "DETACH"}


def run_killed(database: Path, data_key: bytes, point: str, timeout: float = 120) -> int:
    return run_child(__name__, {"database": str(database), "key": data_key.hex(), "point": point}, timeout)


class _Dying:
    """A driver connection that dies after the statement named by the kill point."""

    def __init__(self, conn, point: str):
        self._conn, self._point = conn, point

    def execute(self, sql, *args):
        if self._point == "mid-export" and "sqlcipher_export" in sql:
            calls = []

            def handler():
                calls.append(1)
                if len(calls) > 20:
                    die()
                return 0

            self._conn.set_progress_handler(handler, 100)
        result = self._conn.execute(sql, *args)
        if self._point in _AFTER and _AFTER[self._point] in sql:
            die()
        return result

    def __getattr__(self, name):
        return getattr(self._conn, name)


def child(raw: str) -> None:
    spec = json.loads(raw)
    from shakyo_desk.store import migrate
    from shakyo_desk.store.engine import open_engine

    point = spec["point"]
    if point not in POINTS:
        raise ValueError(point)
    real_connect, real_replace = migrate.raw_connect, os.replace
    migrate.raw_connect = lambda *a, **k: _Dying(real_connect(*a, **k), point)

    def replace(*args):
        if point == "renaming":
            die()
        real_replace(*args)
        if point == "renamed":
            die()

    migrate.os.replace = replace  # (the child's os module: nobody else's)
    engine = open_engine(Path(spec["database"]), bytes.fromhex(spec["key"]))
    if not migrate.compact(engine):
        raise SystemExit(3)
