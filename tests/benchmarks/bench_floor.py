"""What writing a whole council's change log costs SQLite itself, without any of our code.

A full bundle landing on a store that holds none of the records must add every change to the
change log (DESIGN §5) and every row to its table. This benchmark copies the reference store's
change log, row by row as stored (the real JSON texts), into a new file with the same table
and indexes, in one transaction of 5,000-row `executemany` batches, once into SQLCipher with a
raw key (as the app opens its stores: WAL, synchronous NORMAL) and once into plain SQLite.
Only the inserts and the commit are timed; reading the source is not. It is the floor under
"full bundle: import into a store without the records" in bench_sync (docs/performance.md).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from pathlib import Path

import sqlcipher3

from shakyo_desk.store.models import ChangeLog

from .common import Result, summarise

BATCH = 5_000
COLUMNS = ("origin_device", "epoch", "seq", "entity", "entity_id", "op", "key_order", "packed", "base", "hlc",
           "staff_id", "recorded_at")  # (change log v2: the values as stored, derived inserts without them)


def _ddl() -> list[str]:
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    table = ChangeLog.__table__
    dialect = sqlite.dialect()
    return [str(CreateTable(table).compile(dialect=dialect))] + [
        str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes]


def _copy(ctx, module, path: Path, keyed: bool) -> tuple[float, float, int]:
    target = module.connect(str(path), isolation_level=None)
    if keyed:
        target.execute(f"PRAGMA key = \"x'{os.urandom(32).hex()}'\"")
    target.execute("PRAGMA journal_mode = WAL")
    target.execute("PRAGMA synchronous = NORMAL")
    for statement in _ddl():
        target.execute(statement)
    insert = f"INSERT INTO change_log ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    inserting, rows = 0.0, 0
    with ctx.store.engine.connect() as source:
        result = source.exec_driver_sql(f"SELECT {', '.join(COLUMNS)} FROM change_log ORDER BY origin_device, epoch, seq")
        target.execute("BEGIN IMMEDIATE")
        while batch := result.fetchmany(BATCH):
            started = time.perf_counter()
            target.executemany(insert, [tuple(r) for r in batch])
            inserting += time.perf_counter() - started
            rows += len(batch)
    started = time.perf_counter()
    target.execute("COMMIT")
    committing = time.perf_counter() - started
    target.close()
    return inserting * 1000, committing * 1000, rows


def bench_change_log_floor(ctx) -> list[Result]:
    results = []
    runs = max(1, min(ctx.repeat, 3))
    for label, module, keyed in (("SQLCipher", sqlcipher3, True), ("plain SQLite", sqlite3, False)):
        totals, commits, rows = [], [], 0
        for _ in range(runs):
            with tempfile.TemporaryDirectory(dir=ctx.store_dir.parent) as folder:
                inserting, committing, rows = _copy(ctx, module, Path(folder) / "floor.db", keyed)
            totals.append(inserting + committing)
            commits.append(committing)
        results.append(summarise(
            f"floor: {rows:,} change-log rows into {label} (inserts + commit)", totals,
            note=f"commit {sorted(commits)[len(commits) // 2] / 1000:.1f} s of it; {runs} runs"))
    return results

