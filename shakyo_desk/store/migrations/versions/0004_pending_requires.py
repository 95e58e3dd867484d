"""sync: what a parked range needs before it may be applied

Changes parked in sync_pending wait not only for the earlier changes of their own origin but
for everything their sender held (its knowledge): a change may refer to a record another
device created (a visit to a household made at the office).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_pending") as batch:
        batch.add_column(sa.Column("requires", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_pending") as batch:
        batch.drop_column("requires")
