"""sync: origin chains (a chain value and head per change, sealed values, legacy epochs)

Revision ID: 0011
Revises: 0010
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

EPOCH_RANGE = (2, 2**30)  # as identity.EPOCH_RANGE


def upgrade() -> None:
    # (ADD COLUMN: SQLite changes the schema only, the table is not copied)
    op.add_column("change_log", sa.Column("chain", sa.LargeBinary, nullable=True))
    op.add_column("change_log", sa.Column("head", sa.String(100), nullable=True))
    op.add_column("change_log", sa.Column("sealed", sa.String(64), nullable=True))
    legacy = op.create_table(
        "sync_legacy_epoch",
        sa.Column("origin", sa.String(36), primary_key=True),
        sa.Column("epoch", sa.Integer, primary_key=True),
    )
    # Every epoch this store holds changes of or knows was written without a chain: its changes
    # keep being taken as before (docs/sync-protocol.md, "Origin chains": "Stores from before").
    conn = op.get_bind()
    log = sa.table("change_log", sa.column("origin_device", sa.String), sa.column("epoch", sa.Integer))
    known = sa.table("sync_knowledge", sa.column("origin", sa.String), sa.column("epoch", sa.Integer),
                     sa.column("seq", sa.Integer))
    pairs = set(conn.execute(sa.select(log.c.origin_device, log.c.epoch).distinct()).all())
    pairs |= set(conn.execute(sa.select(known.c.origin, known.c.epoch)).all())
    if pairs:
        conn.execute(legacy.insert(), [{"origin": o, "epoch": e} for o, e in sorted(pairs)])
    # This installation goes on in a fresh epoch, whose changes are chained from the first
    # (identity.start_new_epoch; an epoch cannot start its chain halfway).
    state = sa.table("device_state", sa.column("id", sa.Integer), sa.column("device_id", sa.String),
                     sa.column("epoch", sa.Integer), sa.column("next_seq", sa.Integer),
                     sa.column("bundle_seq", sa.Integer), sa.column("last_bundle_hash", sa.String))
    row = conn.execute(sa.select(state.c.device_id, state.c.epoch, state.c.next_seq).where(state.c.id == 1)).first()
    if row is None or row.next_seq <= 1:
        return
    mine = (known.c.origin == row.device_id, known.c.epoch == row.epoch)
    if conn.execute(known.update().where(*mine), {"seq": row.next_seq - 1}).rowcount == 0:
        conn.execute(known.insert(), {"origin": row.device_id, "epoch": row.epoch, "seq": row.next_seq - 1})
    used = {e for o, e in pairs if o == row.device_id}
    epoch = row.epoch
    while epoch in used:
        epoch = EPOCH_RANGE[0] + secrets.randbelow(EPOCH_RANGE[1] - EPOCH_RANGE[0])
    conn.execute(state.update().where(state.c.id == 1),
                 {"epoch": epoch, "next_seq": 1, "bundle_seq": 0, "last_bundle_hash": None})


def downgrade() -> None:
    op.drop_table("sync_legacy_epoch")
    with op.batch_alter_table("change_log") as batch:
        batch.drop_column("sealed")
        batch.drop_column("head")
        batch.drop_column("chain")
