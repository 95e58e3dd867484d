"""Enrolment by snapshot (issue 20, docs/sync-protocol.md "Enrolment by snapshot").

`build` writes, at the office, a new SQLCipher file under a key drawn for the new device: the
office's schema and only what a store joined by replaying the changes would hold (the scope's
records and changes, conflicts and search rows, the knowledge); the office's own identity,
audit log and sync bookkeeping are never written to it. `install` puts the snapshot carried by
the enrolment file in place at the join."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.domain import safe_file
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.store.exchange import chains, knowledge
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange.scope import SHARED, scope_records
from shakyo_desk.store.keyfile import new_data_key
from shakyo_desk.store.models import SYNCED_MODELS, DeviceState, Staff
from shakyo_desk.sync import enrolment

# Tables a snapshot holds as the office does (filtered to the scope for a district laptop).
RECORDS = frozenset(SYNCED_MODELS)
# The office's own: created empty. The join writes device_state and the roster.
STRIPPED = frozenset({"audit_log", "audit_name", "audit_key", "audit_witness", "device_state", "roster", "sync_peer", "sync_bundle",
                      "sync_pending", "sync_quarantine", "sync_mailbox_file", "sync_not_ours"})
# Filled here by rule (below); any other table makes `build` refuse, so a migration that adds
# one has to decide whether a laptop gets it.
RULED = frozenset({"alembic_version", "change_log", "change_keys", "sync_conflict", "household_search", "sync_legacy_epoch",
                   "sync_knowledge", "audit_state"})

PARTIAL_SUFFIX = safe_file.PARTIAL_SUFFIX  # the snapshot being written into a new store folder


@dataclass(frozen=True)
class Snapshot:
    path: Path
    data_key: bytes
    size: int
    knowledge: dict[str, int]
    chains: dict  # legacy epochs and heads (whole council), chains.enrolment_meta
    hlc: list[int]  # the office's clock: every stamp the snapshot holds is at or before it
    accounts: list[dict]


def build(engine: sa.Engine, path: Path, scope: list[str]) -> Snapshot:
    """Write the snapshot for a device of ``scope`` (district ids; empty: the whole council)
    into ``path`` (a new file), from one read transaction of the office's database."""
    data_key = new_data_key()
    safe_file.create_private(Path(path))
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        # (ATTACH cannot run inside a transaction: before SQLAlchemy begins one)
        raw.execute("ATTACH DATABASE ? AS snap KEY ?", (str(path), f"x'{data_key.hex()}'"))
        try:
            raw.execute("PRAGMA temp_store = MEMORY")  # the scope's ids never reach a temp file
            # A file nobody uses until it is whole: a crash leaves garbage that is thrown away.
            raw.execute("PRAGMA snap.journal_mode = OFF")
            raw.execute("PRAGMA snap.synchronous = OFF")
            with conn.begin():
                made = _fill(conn, scope)
        finally:
            conn.exec_driver_sql("DROP TABLE IF EXISTS temp.snapshot_scope")
            conn.commit()
            raw.execute("DETACH DATABASE snap")
    return Snapshot(Path(path), data_key, os.path.getsize(path), *made)


def _fill(conn: Connection, scope: list[str]):
    me = ident.load(conn)
    ours = knowledge.own(conn)
    schema = conn.exec_driver_sql(
        "SELECT type, name, tbl_name, sql FROM main.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
    ).all()
    tables = [r.name for r in schema if r.type == "table"]
    unknown = set(tables) - RECORDS - STRIPPED - RULED
    if unknown or any(r.type not in ("table", "index") for r in schema):
        raise RuntimeError(f"snapshot: no rule for {sorted(unknown) or [r.type for r in schema]}")
    for r in schema:
        if r.type == "table":
            conn.exec_driver_sql(_in_snap(r.sql, "CREATE TABLE "))
    district = bool(scope)
    if district:
        covered = scope_records(conn, scope)
        conn.exec_driver_sql("CREATE TEMP TABLE snapshot_scope (entity TEXT, id TEXT, PRIMARY KEY (entity, id))"
                             " WITHOUT ROWID")
        conn.connection.cursor().executemany(
            "INSERT INTO temp.snapshot_scope VALUES (?, ?)",
            [(entity, i) for entity, ids in covered.items() if entity not in SHARED for i in ids])
    in_scope = ("(entity IN ({}) OR EXISTS (SELECT 1 FROM temp.snapshot_scope s WHERE s.entity = {{t}}.entity "
                "AND s.id = {{t}}.entity_id))").format(", ".join(f"'{e}'" for e in sorted(SHARED)))
    for table in tables:
        if table in STRIPPED or table in ("sync_knowledge", "audit_state"):
            continue
        if table in RECORDS:
            where = "" if not district or table in SHARED else (
                f" WHERE id IN (SELECT id FROM temp.snapshot_scope WHERE entity = '{table}')")
            conn.exec_driver_sql(f'INSERT INTO snap."{table}" SELECT * FROM main."{table}"{where}')
        elif table == "change_log":
            _copy_changes(conn, ours, in_scope.format(t="c") if district else None)
        elif table == "sync_conflict":
            where = f" WHERE {in_scope.format(t='c')}" if district else ""
            conn.exec_driver_sql(f"INSERT INTO snap.sync_conflict SELECT * FROM main.sync_conflict c{where}")
        elif table == "household_search":
            where = (" WHERE household_id IN (SELECT id FROM temp.snapshot_scope WHERE entity = 'household')"
                     if district else "")
            conn.exec_driver_sql(f"INSERT INTO snap.household_search SELECT * FROM main.household_search{where}")
        elif table == "sync_legacy_epoch":
            if not district:  # (a district laptop relays nobody's changes: it checks no chain)
                conn.exec_driver_sql("INSERT INTO snap.sync_legacy_epoch SELECT * FROM main.sync_legacy_epoch")
        elif table == "change_keys":  # (the key orders change_log's key_order names: all of them)
            conn.exec_driver_sql("INSERT INTO snap.change_keys SELECT * FROM main.change_keys")
        elif table == "alembic_version":
            conn.exec_driver_sql("INSERT INTO snap.alembic_version SELECT * FROM main.alembic_version")
    conn.connection.cursor().executemany(
        "INSERT INTO snap.sync_knowledge (origin, epoch, seq) VALUES (?, ?, ?)",
        [(*knowledge.split(key), seq) for key, seq in sorted(ours.items())])
    conn.exec_driver_sql("INSERT INTO snap.audit_state (id, keyed_from) VALUES (1, 1)")  # a new chain from 1
    for r in schema:
        if r.type == "index":
            conn.exec_driver_sql(_in_snap(_in_snap(r.sql, "CREATE INDEX "), "CREATE UNIQUE INDEX "))
    meta = {} if district else chains.enrolment_meta(conn, me, ours)
    clock = conn.execute(sa.select(DeviceState.hlc_wall_ms, DeviceState.hlc_counter).where(DeviceState.id == 1)).one()
    accounts = [{"id": r.id, "login": r.login, "display_name": r.display_name, "role": r.role}
                for r in conn.execute(sa.select(Staff.id, Staff.login, Staff.display_name, Staff.role))]
    return ours, meta, [clock.hlc_wall_ms, clock.hlc_counter], accounts


def _in_snap(sql: str, verb: str) -> str:
    return sql.replace(verb, verb + "snap.", 1) if sql.startswith(verb) else sql


def _copy_changes(conn: Connection, ours: dict[str, int], district: str | None) -> None:
    """The change log up to our knowledge, range by range in key order (what replay sends);
    a district laptop gets only its scope's changes, without chain values or heads."""
    columns = [r[1] for r in conn.exec_driver_sql("PRAGMA main.table_info(change_log)").all()]
    select = ", ".join("NULL" if district and name in ("chain", "head") else f"c.{name}" for name in columns)
    extra = f" AND {district}" if district else ""
    for key, last in sorted(ours.items()):
        origin, epoch = knowledge.split(key)
        conn.exec_driver_sql(
            f"INSERT INTO snap.change_log ({', '.join(columns)}) SELECT {select} FROM main.change_log c "
            f"WHERE c.origin_device = ? AND c.epoch = ? AND c.seq BETWEEN 1 AND ?{extra}", (origin, epoch, last))


def install(database: Path, pieces: Iterable[bytes], size: int) -> None:
    """Write the carried snapshot as ``database`` (owner-only): under a temporary name until
    every record has been checked and the size holds, then renamed into place."""
    database = Path(database)
    with safe_file.stage(database, temp_name=database.name + PARTIAL_SUFFIX) as staged:
        written = 0
        for piece in pieces:
            staged.write(piece)
            written += len(piece)
        if written != size:
            raise InvalidInput(enrolment.DAMAGED)
        staged.commit()


__all__ = ["PARTIAL_SUFFIX", "RECORDS", "RULED", "STRIPPED", "Snapshot", "build", "install"]
