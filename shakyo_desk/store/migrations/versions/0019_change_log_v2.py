"""change log storage v2 (issue 20): a change's values derived from its record or packed

Revision ID: 0019
Revises: 0018

`change_log.fields` (the JSON text) gives way to `key_order` (change_keys), `packed` and
`values_hash` (store/changes_codec.py). The new table is filled beside the old one in batches,
each insert checked to re-derive byte for byte from its row (anything else is packed, never
dropped), then swapped in. The whole upgrade is one transaction (migrate.upgrade): killed at any
line, the store opens as it was; migrate.upgrade runs VACUUM afterwards.
"""

import json
import warnings
from datetime import datetime

import sqlalchemy as sa
from alembic import context, op

from shakyo_desk.store import changes_codec
from shakyo_desk.sync import chain

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_COLUMNS = ("origin_device", "epoch", "seq", "entity", "entity_id", "op", "key_order", "packed", "values_hash",
            "base", "hlc", "staff_id", "recorded_at", "chain", "head", "sealed", "author_sig")


def _create(name: str) -> None:
    op.create_table(
        name,
        sa.Column("origin_device", sa.String(36), nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column("key_order", sa.Integer, nullable=False),
        sa.Column("packed", sa.LargeBinary, nullable=True),
        sa.Column("values_hash", sa.LargeBinary, nullable=True),
        sa.Column("base", sa.JSON, nullable=False),
        sa.Column("hlc", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.String(36), nullable=True),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("chain", sa.LargeBinary, nullable=True),
        sa.Column("head", sa.String(100), nullable=True),
        sa.Column("sealed", sa.String(64), nullable=True),
        sa.Column("author_sig", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("origin_device", "epoch", "seq"),
    )


class _Shape:
    """A change row as changes_codec.texts reads it."""

    __slots__ = ("entity", "entity_id", "key_order", "packed")

    def __init__(self, entity, entity_id, key_order, packed):
        self.entity, self.entity_id, self.key_order, self.packed = entity, entity_id, key_order, packed


def upgrade() -> None:
    conn = op.get_bind()
    progress = context.config.attributes.get("progress")  # (done, total): the unlock screen's bar
    op.create_table("change_keys", sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("names", sa.Text, nullable=False))
    _create("change_log_v2")
    orders = changes_codec.KeyOrders(conn)
    tables: dict[str, sa.Table] = {}
    total = conn.exec_driver_sql("SELECT count(*) FROM change_log").scalar()
    done = batches = 0
    previous = None  # (origin, epoch, seq, chain) of the row before, in key order
    old = conn.exec_driver_sql(
        "SELECT origin_device, epoch, seq, entity, entity_id, op, fields, base, hlc, staff_id, recorded_at, chain, "
        "head, sealed, author_sig FROM change_log ORDER BY origin_device, epoch, seq")
    while True:
        batch = old.fetchmany(changes_codec.MIGRATION_BATCH)
        if not batch:
            break
        rows_by_entity = _rows(conn, tables, batch)
        out = []
        for r in batch:
            text = r.fields
            fields = json.loads(text)
            before = previous[3] if previous and previous[:3] == (r.origin_device, r.epoch, r.seq - 1) else None
            if r.seq == 1:
                before = chain.genesis(r.origin_device, r.epoch)
            previous = (r.origin_device, r.epoch, r.seq, r.chain)
            derived = values_hash = None
            row = rows_by_entity.get(r.entity, {}).get(r.entity_id)
            if r.op == "insert" and r.sealed is None and isinstance(fields, dict) and row is not None:
                names = tuple(fields)
                if len(set(names)) == len(names) and changes_codec.derive(names, row) == text:
                    derived = orders.intern(names)
                    if not (r.chain and before and chain.step(before, _digest(r, text)) == r.chain):
                        values_hash = chain.values_hash(text)  # nothing else proves it later
            if derived is not None:
                key_order, packed = derived, None
            elif isinstance(fields, dict):
                key_order, packed = changes_codec.pack(orders, fields, text)
            else:
                key_order, packed = changes_codec.RAW_ORDER, changes_codec.received(text)
            # every packed text given back as it was: checked, never assumed
            if packed is not None and changes_codec.unpack(orders, key_order, packed) != text:
                key_order, packed = changes_codec.RAW_ORDER, changes_codec.received(text)
            out.append((r.origin_device, r.epoch, r.seq, r.entity, r.entity_id, r.op, key_order, packed, values_hash,
                        r.base, r.hlc, r.staff_id, r.recorded_at, r.chain, r.head, r.sealed, r.author_sig))
        conn.connection.cursor().executemany(
            f"INSERT INTO change_log_v2 ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})", out)
        done += len(batch)
        batches += 1
        if progress is not None:
            progress(done, total)
        if changes_codec.FAIL_AFTER_BATCH and batches >= changes_codec.FAIL_AFTER_BATCH[0]:
            raise RuntimeError("injected failure (test)")
    op.drop_index("ix_change_log_entity_order", table_name="change_log")
    op.drop_table("change_log")
    op.rename_table("change_log_v2", "change_log")
    op.create_index("ix_change_log_entity_order", "change_log", ["entity", "entity_id", "hlc"])


def _digest(r, text: str) -> bytes:
    base = json.loads(r.base) if r.base else {}
    recorded = datetime.fromisoformat(r.recorded_at).isoformat()  # (as the writer bound it)
    return chain.digest_of(r.origin_device, r.epoch, r.seq, r.entity, r.entity_id, r.op,
                           chain.storage_json(base) if base else "{}", r.hlc, r.staff_id, recorded,
                           chain.values_hash(text))


def _rows(conn, tables: dict, batch) -> dict[str, dict]:
    """The current rows of this batch's inserts, typed as the store reads them (reflected)."""
    wanted: dict[str, set[str]] = {}
    for r in batch:
        if r.op == "insert" and r.sealed is None:
            wanted.setdefault(r.entity, set()).add(r.entity_id)
    found: dict[str, dict] = {}
    for entity, ids in wanted.items():
        if entity not in tables:
            try:
                with warnings.catch_warnings():  # (expression indexes are not reflected: only columns are read)
                    warnings.simplefilter("ignore", sa.exc.SAWarning)
                    tables[entity] = sa.Table(entity, sa.MetaData(), autoload_with=conn)
            except sa.exc.NoSuchTableError:
                continue
        table = tables[entity]
        ordered = sorted(ids)
        rows = found.setdefault(entity, {})
        for start in range(0, len(ordered), 400):
            for row in conn.execute(sa.select(table).where(table.c.id.in_(ordered[start:start + 400]))).mappings():
                rows[row["id"]] = row
    return found


def downgrade() -> None:
    raise NotImplementedError("change log v2 is not downgraded: restore the backup taken before the migration")
