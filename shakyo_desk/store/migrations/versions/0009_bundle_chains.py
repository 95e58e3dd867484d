"""sync: bundle chains per audience, and mailbox files that are not for this installation

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (see 0005). Bundles written before this revision stay NULL: they formed
    # one chain per (device, epoch), which the council-wide chain continues and from whose last
    # bundle a district-limited laptop's first chain branches (docs/sync-protocol.md, "Bundle chains").
    op.add_column("sync_bundle", sa.Column("chain", sa.String(36), nullable=True))
    op.create_table(
        "sync_not_ours",
        sa.Column("file_name", sa.String(300), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mtime_ns", sa.BigInteger, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sync_not_ours")
    with op.batch_alter_table("sync_bundle") as batch:
        batch.drop_column("chain")
