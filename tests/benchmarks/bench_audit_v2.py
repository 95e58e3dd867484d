"""Issue 20: audit log v2 (migration 0020) on a copy of the reference store — the audit log's
bytes before and after, the migration's time, and the same verification on both sides.

    python3 -m tests.benchmarks.run --profile large-town --only lean_log --repeat 1

The reference store is copied (checkpointed, closed meanwhile) into a folder beside it and
removed afterwards. On the copy: brought to 0018 (the v1 log: downgraded first when the
reference is already v2), measured (`dbstat` on a decrypted copy, tests/benchmarks/size_copy.py),
the chain verified as v1 code verifies it; then 0020 is timed (the migration alone: the backup
copy migrate.upgrade takes before any migration is not in it), measured and verified again.
The table's pages freed by the migration stay in the file's freelist until a VACUUM (issue 20's
compaction step): the B-trees' bytes are the figure."""

import os
import shutil
import sqlite3
import time

import sqlalchemy as sa

from .common import Result, summarise
from .size_copy import decrypted_copy

MB = 1e6


def _v1_report(conn, data_key: bytes):
    """What `audit verify` answered before 0020 (audit_witness.verify's arguments), rows read a
    batch at a time from the v1 table."""
    import json
    from datetime import datetime
    from types import SimpleNamespace

    from shakyo_desk.store import audit, audit_witness
    from shakyo_desk.store.models import DeviceState

    def rows():
        last = 0
        while True:
            chunk = conn.exec_driver_sql(
                "SELECT id, at, staff_id, login, device_id, action, entity, entity_id, detail, prev_hash, hash, "
                "key_id FROM audit_log WHERE id > ? ORDER BY id LIMIT 5000", (last,)).all()
            if not chunk:
                return
            for r in chunk:
                yield SimpleNamespace(id=r.id, at=datetime.fromisoformat(r.at), staff_id=r.staff_id, login=r.login,
                                      device_id=r.device_id, action=r.action, entity=r.entity, entity_id=r.entity_id,
                                      detail=json.loads(r.detail), prev_hash=r.prev_hash, hash=r.hash,
                                      key_id=r.key_id)
            last = chunk[-1].id

    me = conn.execute(sa.select(DeviceState.device_id, DeviceState.epoch).where(DeviceState.id == 1)).one()
    return audit.verify_chain(rows(), audit_witness.key_ring(conn, data_key), audit_witness.keyed_from(conn),
                              audit_witness.own_witnesses(conn, me.device_id), me.epoch,
                              audit_witness.epoch_ends(conn, me.device_id),
                              audit_witness.cloned_epochs(conn, me.device_id))


class _Copy:
    """Just enough of a Store for decrypted_copy (engine, data key, layout)."""

    def __init__(self, layout, engine, data_key):
        self.layout, self.engine, self.data_key = layout, engine, data_key


def _audit_bytes(copy) -> dict:
    with decrypted_copy(copy) as (plain, facts):
        db = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT name, sum(pgsize) FROM dbstat WHERE name = 'audit_log' OR name LIKE "
                              "'ix_audit_log%' OR name = 'sqlite_autoindex_audit_log_1' GROUP BY name").fetchall()
            count = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        finally:
            db.close()
    return {"trees": dict(rows), "entries": count, "file": facts["file_bytes"], "freelist": facts["freelist_count"]}


def bench_lean_log_0020(ctx) -> list[Result]:
    from alembic import command

    from shakyo_desk import demo
    from shakyo_desk.store import audit_witness, migrate
    from shakyo_desk.store.engine import checkpoint, open_engine
    from shakyo_desk.store.paths import StoreLayout
    from shakyo_desk.store.store import unlock

    from .bench_sync import _copy_store

    work = ctx.store_dir.parent / f"{ctx.profile}-audit-v2"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    data_key = ctx.store.data_key
    checkpoint(ctx.store.engine)
    ctx.store.close()
    try:
        _copy_store(ctx.store_dir, work / "store")
    finally:
        ctx.store = unlock(ctx.store_dir, demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE)
    layout = StoreLayout(work / "store")
    engine = open_engine(layout.database, data_key)
    copy = _Copy(layout, engine, data_key)
    try:
        cfg = migrate._config()
        current = migrate.current_revision(engine)
        if current not in ("0018", "0019"):  # (a store migrated already: back to the v1 audit log)
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0019")
        elif current == "0018":  # the change log's own migration first: it is not what is timed here
            migrate.upgrade(engine, target="0019")
        before = _audit_bytes(copy)
        with engine.connect() as conn:
            started = time.perf_counter()
            report_v1 = _v1_report(conn, data_key)
            verify_v1 = time.perf_counter() - started
        ticks: list[float] = []
        started = time.perf_counter()
        attributes: dict = {}
        migrate.upgrade(engine, progress=lambda done, total, text: ticks.append(time.perf_counter()),
                        attributes=attributes)
        seconds = time.perf_counter() - started
        after = _audit_bytes(copy)
        with engine.connect() as conn:
            started = time.perf_counter()
            report_v2 = audit_witness.verify(conn, data_key)
            verify_v2 = time.perf_counter() - started
            full = conn.exec_driver_sql("SELECT count(*), count(seq) FROM audit_log").one()
    finally:
        engine.dispose()
        if not os.environ.get("SHAKYO_AUDIT_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    same = report_v1 == report_v2
    total_before, total_after = sum(before["trees"].values()), sum(after["trees"].values())
    print("\naudit_log B-trees (MB): before / after", flush=True)
    for name in sorted(set(before["trees"]) | set(after["trees"])):
        print(f"  {name:32} {before['trees'].get(name, 0) / MB:8.1f} {after['trees'].get(name, 0) / MB:8.1f}")
    print(f"  {'total':32} {total_before / MB:8.1f} {total_after / MB:8.1f}")
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    last = 0.0
    for what, at in attributes.get("stages", []):
        print(f"  0020 stage {what:28} {at - last:6.1f} s", flush=True)
        last = at
    note = (f"{full[0]:,} entries, {full[1]:,} by reference, {full[0] - full[1]:,} with their own action; "
            f"verification the same before and after: {same} ({'sound' if report_v2.sound else report_v2.sentences})")
    return [
        Result("audit v2: audit_log table + indexes before", total_before / MB, total_before / MB, 1, unit="MB",
               note=", ".join(f"{k} {v / MB:.1f}" for k, v in sorted(before["trees"].items()))),
        Result("audit v2: audit_log table + indexes after", total_after / MB, total_after / MB, 1, unit="MB",
               note=", ".join(f"{k} {v / MB:.1f}" for k, v in sorted(after["trees"].items()))),
        Result("audit v2: migration 0020 (alone)", seconds * 1000, seconds * 1000, 1, note=note),
        summarise("audit v2: one batch of 10,000 entries", [g * 1000 for g in gaps] or [0.0]),
        Result("audit v2: verify the whole chain, v1 rows", verify_v1 * 1000, verify_v1 * 1000, 1),
        Result("audit v2: verify the whole chain, v2 (rebuilt from the change log)", verify_v2 * 1000,
               verify_v2 * 1000, 1),
    ]
