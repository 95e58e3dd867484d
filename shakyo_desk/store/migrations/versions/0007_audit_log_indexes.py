"""audit log: indexes for the viewer's filters (period, account, action, record)

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_audit_log_at": ["at"],
    "ix_audit_log_login_at": ["login", "at"],
    "ix_audit_log_action_at": ["action", "at"],
    "ix_audit_log_entity_id": ["entity_id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "audit_log", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, "audit_log")
