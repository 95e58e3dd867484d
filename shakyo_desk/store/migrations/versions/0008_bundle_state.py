"""sync: the state of each bundle this installation writes (reserved → written | abandoned)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (see 0005): no batch mode, no table copy. Rows written before this
    # revision (imported ones and finished exports alike) stay NULL: nothing to settle.
    op.add_column("sync_bundle", sa.Column("state", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_bundle") as batch:
        batch.drop_column("state")
