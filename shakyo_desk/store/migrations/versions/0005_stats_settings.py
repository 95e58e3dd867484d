"""statistics settings: the suppression threshold for exported figures

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen copy of the model default at this revision (a migration never imports the models).
STATS_SUPPRESSION_THRESHOLD = 3


def upgrade() -> None:
    # Plain ADD COLUMN with a constant default: no batch mode, which would copy and drop the
    # table (see 0004).
    op.add_column("council", sa.Column("stats_suppression_threshold", sa.Integer(), nullable=False,
                                       server_default=str(STATS_SUPPRESSION_THRESHOLD)))


def downgrade() -> None:
    with op.batch_alter_table("council") as batch:
        batch.drop_column("stats_suppression_threshold")
