"""backups: the council's reminder interval and this installation's last backup

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Frozen copy of the model default at this revision (a migration never imports the models).
BACKUP_REMINDER_DAYS = 7


def upgrade() -> None:
    # Plain ADD COLUMN (see 0005): no batch mode, no table copy.
    op.add_column("council", sa.Column("backup_reminder_days", sa.Integer(), nullable=False,
                                       server_default=str(BACKUP_REMINDER_DAYS)))
    # Local, never synced: when this installation last wrote a verified backup file.
    op.add_column("device_state", sa.Column("last_backup_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device_state") as batch:
        batch.drop_column("last_backup_at")
    with op.batch_alter_table("council") as batch:
        batch.drop_column("backup_reminder_days")
