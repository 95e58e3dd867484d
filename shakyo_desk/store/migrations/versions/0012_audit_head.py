"""audit log: ids never reused (AUTOINCREMENT), keyed entries, witnesses of the head

Revision ID: 0012
Revises: 0011

``audit_log`` is rebuilt (SQLite adds AUTOINCREMENT only to a new table) with a ``key_id``
column: entries already there keep their plain SHA-256 hashes (``key_id`` NULL) and stay
verifiable; ``audit_state.keyed_from`` says that every entry from the next id on must be keyed.
The copy is one INSERT … SELECT in id order and the four viewer indexes are built after it
(large-town, 440,000 entries: see docs/performance.md "Audit head").
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = "id, at, staff_id, login, device_id, action, entity, entity_id, detail, prev_hash, hash"
INDEXES = {
    "ix_audit_log_at": "at",
    "ix_audit_log_login_at": "login, at",
    "ix_audit_log_action_at": "action, at",
    "ix_audit_log_entity_id": "entity_id",
}


def _rebuild(conn, autoincrement: bool, key_id: bool) -> None:
    """(Both ways: the columns both tables have are copied; a new key_id starts NULL.)"""
    conn.exec_driver_sql(f"""
        CREATE TABLE audit_log_new (
            id INTEGER NOT NULL PRIMARY KEY{" AUTOINCREMENT" if autoincrement else ""},
            at DATETIME NOT NULL,
            staff_id VARCHAR(36),
            login VARCHAR(64) NOT NULL,
            device_id VARCHAR(36) NOT NULL,
            action VARCHAR(50) NOT NULL,
            entity VARCHAR(50) NOT NULL,
            entity_id VARCHAR(36) NOT NULL,
            detail JSON NOT NULL,
            prev_hash VARCHAR(64) NOT NULL,
            hash VARCHAR(64) NOT NULL{''',
            key_id VARCHAR(16)''' if key_id else ""}
        )""")
    # (with AUTOINCREMENT, copying the ids sets sqlite_sequence to the highest)
    conn.exec_driver_sql(f"INSERT INTO audit_log_new ({COLUMNS}) SELECT {COLUMNS} FROM audit_log ORDER BY id")
    conn.exec_driver_sql("DROP TABLE audit_log")
    conn.exec_driver_sql("ALTER TABLE audit_log_new RENAME TO audit_log")
    for name, on in INDEXES.items():
        conn.exec_driver_sql(f"CREATE INDEX {name} ON audit_log ({on})")


def upgrade() -> None:
    conn = op.get_bind()
    _rebuild(conn, autoincrement=True, key_id=True)
    op.create_table(
        "audit_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("keyed_from", sa.Integer, nullable=False),
    )
    last = conn.exec_driver_sql("SELECT max(id) FROM audit_log").scalar() or 0
    conn.exec_driver_sql(f"INSERT INTO audit_state (id, keyed_from) VALUES (1, {int(last) + 1})")
    op.create_table(
        "audit_key",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("sealer", sa.String(16), primary_key=True),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("retired_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "audit_witness",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("entry_id", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("entry_at", sa.String(40), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("witness", sa.String(36), nullable=False),
        sa.Column("bundle_hash", sa.String(64), nullable=True),
        sa.Column("noted_at", sa.DateTime, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_witness_device", "audit_witness", ["device_id", "epoch", "entry_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_witness_device", "audit_witness")
    op.drop_table("audit_witness")
    op.drop_table("audit_key")
    op.drop_table("audit_state")
    _rebuild(op.get_bind(), autoincrement=False, key_id=False)
