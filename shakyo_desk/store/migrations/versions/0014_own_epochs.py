"""sync: the epochs this installation wrote itself

Revision ID: 0014
Revises: 0013
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("device_state", sa.Column("own_epochs", sa.JSON, nullable=True))
    # Until now every epoch of our device id in the change log or our knowledge counted as ours
    # (clones.my_epochs): the same set to start from, so nothing changes for a store as it is.
    conn = op.get_bind()
    row = conn.execute(sa.text("SELECT device_id, epoch FROM device_state WHERE id = 1")).first()
    if row is None:
        return
    epochs = {row.epoch}
    epochs |= {e for (e,) in conn.execute(sa.text(
        "SELECT DISTINCT epoch FROM change_log WHERE origin_device = :d"), {"d": row.device_id})}
    epochs |= {e for (e,) in conn.execute(sa.text(
        "SELECT epoch FROM sync_knowledge WHERE origin = :d"), {"d": row.device_id})}
    conn.execute(sa.text("UPDATE device_state SET own_epochs = :e WHERE id = 1"), {"e": json.dumps(sorted(epochs))})


def downgrade() -> None:
    with op.batch_alter_table("device_state") as batch:
        batch.drop_column("own_epochs")
