"""sync: device identity, roster, knowledge, bundles, quarantine, conflicts

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("device_state") as batch:
        batch.add_column(sa.Column("device_name", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("signing_key", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("age_identity", sa.String(100), nullable=True))
        batch.add_column(sa.Column("admin_key", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("scope", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("bundle_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_bundle_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("recovery_identity_unprinted", sa.String(100), nullable=True))
    op.create_table(
        "roster",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "sync_knowledge",
        sa.Column("origin", sa.String(36), primary_key=True),
        sa.Column("epoch", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
    )
    op.create_table(
        "sync_peer",
        sa.Column("device_id", sa.String(36), primary_key=True),
        sa.Column("knowledge", sa.JSON(), nullable=False),
        sa.Column("last_in_epoch", sa.Integer()),
        sa.Column("last_in_seq", sa.Integer()),
        sa.Column("last_in_hash", sa.String(64)),
        sa.Column("last_in_at", sa.DateTime()),
        sa.Column("last_out_seq", sa.Integer()),
        sa.Column("last_out_at", sa.DateTime()),
    )
    op.create_table(
        "sync_bundle",
        sa.Column("bundle_hash", sa.String(64), primary_key=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("sender", sa.String(36), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
    )
    op.create_index("ix_sync_bundle_sender", "sync_bundle", ["sender", "epoch", "seq"])
    op.create_table(
        "sync_pending",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("origin", sa.String(36), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        # what the sender held (its knowledge): a parked change may refer to a record
        # another device created, so it waits for that too
        sa.Column("requires", sa.JSON(), nullable=True),
    )
    op.create_table(
        "sync_quarantine",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("kept_as", sa.String(300), nullable=False),
    )
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("household_id", sa.String(36)),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_sync_conflict_entity", "sync_conflict", ["entity", "entity_id"])
    op.create_index("ix_sync_conflict_household", "sync_conflict", ["household_id"])


def downgrade() -> None:
    for name in ("sync_conflict", "sync_quarantine", "sync_pending", "sync_bundle", "sync_peer",
                 "sync_knowledge", "roster"):
        op.drop_table(name)
    with op.batch_alter_table("device_state") as batch:
        for name in ("recovery_identity_unprinted", "last_bundle_hash", "bundle_seq", "scope", "admin_key", "age_identity", "signing_key",
                     "device_name"):
            batch.drop_column(name)
