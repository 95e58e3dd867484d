"""contacts: the newest-first order takes a visit's recorded moment when no time was typed

Revision ID: 0015
Revises: 0014

ix_contact_order was (contact_date, contact_time, created_at): a visit saved without a time
sorted under every timed visit of its day, so the 訪問記録 list did not show what had just been
saved (issue 17). The index now follows the list's order (store/models.py, contact_moment):
the day, then the time typed or else the time it was recorded in Japan time, then created_at.
Written out here, not imported: a migration keeps the expression it created.
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

MOMENT = "coalesce(nullif(contact_time, ''), strftime('%H:%M:%S', created_at, '+9 hours'))"


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_contact_order")
    op.execute(f"CREATE INDEX ix_contact_order ON contact (contact_date, {MOMENT}, created_at)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_contact_order")
    op.create_index("ix_contact_order", "contact", ["contact_date", "contact_time", "created_at"])
