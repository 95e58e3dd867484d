"""change_log.author_sig: the author's signature of an account or settings change (issue 16)

Revision ID: 0013
Revises: 0012

Nullable: changes written before (and every change outside `staff` and `council`) carry none.
The council admin key leaves device_state at the next admin's unlock (store/council_key.py),
not here: a migration has no passphrase to seal it to.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("change_log", sa.Column("author_sig", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("change_log") as batch:
        batch.drop_column("author_sig")
