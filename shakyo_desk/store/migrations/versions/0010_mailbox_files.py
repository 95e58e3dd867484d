"""sync: mailbox files taken, remembered by name, size and modification time

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The mailbox used to skip a file by its name alone (any imported bundle's file_name). Those
    # names are carried over with no size or time: the next mailbox run takes each such file as it
    # then finds it without opening it (as before), and from then on opens it again once it changes
    # (docs/sync-protocol.md, "Shared-folder mailbox").
    table = op.create_table(
        "sync_mailbox_file",
        sa.Column("file_name", sa.String(300), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("mtime_ns", sa.BigInteger, nullable=True),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    bundle = sa.table("sync_bundle", sa.column("file_name", sa.String), sa.column("direction", sa.String),
                      sa.column("at", sa.DateTime))
    op.execute(table.insert().from_select(
        ["file_name", "at"],
        sa.select(bundle.c.file_name, sa.func.max(bundle.c.at))
        .where(bundle.c.direction == "in", bundle.c.file_name != "")
        .group_by(bundle.c.file_name)))


def downgrade() -> None:
    op.drop_table("sync_mailbox_file")
