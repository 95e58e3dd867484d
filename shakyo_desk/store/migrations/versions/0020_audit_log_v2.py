"""audit log v2: lean entries, same hashes (issue 20)

Revision ID: 0020
Revises: 0019

What each entry stores changes, what it hashes does not (store/audit.py "Audit log v2"):

- the entry of one of our changes names its change-log row (``device_id``, ``epoch``, ``seq``)
  and leaves action, entity, entity id and staff NULL; an insert's ``detail`` (``{}``) is NULL;
- ``prev_hash`` is a 4-byte prefix where it is the previous entry's hash (the whole of it after
  a gap, or where it is not: a link that was rewritten stays as it was, reported as before);
- ``hash``/``prev_hash`` as 32 bytes, ``at`` as integer microseconds;
- the device id and the key id stored once each, in ``audit_name``, and named by id.

An entry is converted only when it rebuilds to exactly what it was (every input of its hash),
and — when the data key is at hand, as on open — when its hash verifies; anything else is kept
in full, never dropped, so ``verify`` reports what it reported before. The new table is built
beside the old one a batch of 10,000 entries at a time (``progress(done, total)`` when the
caller gave one: ``config.attributes["progress_audit"]``), then the old one is dropped and the new
one renamed in the same transaction (migrate.upgrade's): killed at any line, nothing changed;
the copy migrate.upgrade takes first is there after it.
"""

import time
from collections import deque
from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BATCH = 10_000
DROP_SLICE = 20_000
CHANGE_OPS = ("insert", "update", "delete", "purge")
_EPOCH = datetime(1970, 1, 1)
INDEXES_V2 = [
    "CREATE INDEX ix_audit_log_at ON audit_log (at)",
    "CREATE INDEX ix_audit_log_login_at ON audit_log (login, at)",
    "CREATE INDEX ix_audit_log_action_at ON audit_log (action, at) WHERE action IS NOT NULL",
    "CREATE INDEX ix_audit_log_entity_id ON audit_log (entity_id) WHERE entity_id IS NOT NULL",
    "CREATE INDEX ix_audit_log_change ON audit_log (seq, epoch) WHERE seq IS NOT NULL",
]
INDEXES_V1 = [
    "CREATE INDEX ix_audit_log_at ON audit_log (at)",
    "CREATE INDEX ix_audit_log_login_at ON audit_log (login, at)",
    "CREATE INDEX ix_audit_log_action_at ON audit_log (action, at)",
    "CREATE INDEX ix_audit_log_entity_id ON audit_log (entity_id)",
]
V2 = """
    CREATE TABLE {name} (
        id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
        at BIGINT NOT NULL,
        staff_id VARCHAR(36),
        login VARCHAR(64) NOT NULL,
        device_id INTEGER NOT NULL,
        action VARCHAR(50),
        entity VARCHAR(50),
        entity_id VARCHAR(36),
        detail JSON,
        epoch INTEGER,
        seq INTEGER,
        prev_hash BLOB,
        hash BLOB NOT NULL,
        key_id INTEGER
    )"""
V1 = """
    CREATE TABLE {name} (
        id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
        at DATETIME NOT NULL,
        staff_id VARCHAR(36),
        login VARCHAR(64) NOT NULL,
        device_id VARCHAR(36) NOT NULL,
        action VARCHAR(50) NOT NULL,
        entity VARCHAR(50) NOT NULL,
        entity_id VARCHAR(36) NOT NULL,
        detail JSON NOT NULL,
        prev_hash VARCHAR(64) NOT NULL,
        hash VARCHAR(64) NOT NULL,
        key_id VARCHAR(16)
    )"""


def _micros(text: str):
    """'2026-12-07 22:07:12.098640' → µs since 1970; None when it would not read back the same."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if value.tzinfo is not None:
        return None
    micros = (value - _EPOCH) // timedelta(microseconds=1)
    return micros if _at_text(micros) == text else None


def _at_text(micros: int) -> str:
    return (_EPOCH + timedelta(microseconds=micros)).strftime("%Y-%m-%d %H:%M:%S.%f")


def _blob(text):
    """A 64-hex hash → its 32 bytes; anything else (written by hand) stays text."""
    if isinstance(text, str) and len(text) == 64 and text == text.lower():
        try:
            return bytes.fromhex(text)
        except ValueError:
            return text
    return text


def _link(row, prev: str, last_id: int):
    """A prefix of the previous hash when it is the previous entry's (audit.link_of), else the
    whole of it (after a gap, or a link that does not hold: reported as before)."""
    if row.prev_hash == prev and row.id == last_id + 1:
        return bytes.fromhex(prev[:8])
    return _blob(row.prev_hash)


def _key_ring(conn) -> dict:
    """The audit keys, when the data key is at hand (the store's own engine carries it)."""
    password = conn.engine.url.password or ""
    if not (password.startswith("x'") and password.endswith("'")):
        return {}
    from shakyo_desk.store import audit_witness

    try:
        return audit_witness.key_ring(conn, bytes.fromhex(password[2:-1]))
    except Exception:  # (an unreadable sealed key only leaves its entries in full)
        return {}


def _verifies(row, link: str, detail, keys: dict, keyed_from) -> bool | None:
    """Does the old entry's hash hold? None: no key to tell (converted on the rebuild check alone)."""
    from shakyo_desk.store import audit

    at = datetime.fromisoformat(row.at)
    if row.key_id is None:
        if keyed_from is not None and row.id >= keyed_from:
            return False
        return audit.entry_hash(link, at, row.staff_id, row.login, row.device_id, row.action, row.entity,
                                row.entity_id, detail) == row.hash
    key = keys.get(row.key_id)
    if key is None:
        return None if not keys else False
    return audit.keyed_hash(key, row.id, link, at, row.staff_id, row.login, row.device_id, row.action,
                            row.entity, row.entity_id, detail) == row.hash


class _Changes:
    """Our changes in (epoch, seq) order, matched to the audit entries in id order (each change
    wrote its entry right after it): the next unmatched change first, else one indexed look-up
    for a later one of the same entity, id and op."""

    def __init__(self, conn):
        self.conn = conn
        self.buffer: deque = deque()
        self.after: dict[str, tuple[int, int]] = {}  # origin → (epoch, seq) last matched

    def _fill(self, origin: str) -> None:
        epoch, seq = self.after.get(origin, (0, 0))
        rows = self.conn.exec_driver_sql(
            "SELECT origin_device, epoch, seq, entity, entity_id, op, staff_id FROM change_log "
            "WHERE origin_device = ? AND (epoch > ? OR (epoch = ? AND seq > ?)) ORDER BY epoch, seq LIMIT ?",
            (origin, epoch, epoch, seq, BATCH)).all()
        self.buffer = deque(rows)
        self.origin = origin

    def match(self, row):
        entity, _, op = row.action.rpartition(".")
        if op not in CHANGE_OPS or entity != row.entity:
            return None
        if not self.buffer or getattr(self, "origin", None) != row.device_id:
            self._fill(row.device_id)
        change = self.buffer[0] if self.buffer else None
        if change is None or (change.entity, change.entity_id, change.op) != (row.entity, row.entity_id, op):
            epoch, seq = self.after.get(row.device_id, (0, 0))
            change = self.conn.exec_driver_sql(
                "SELECT origin_device, epoch, seq, entity, entity_id, op, staff_id FROM change_log "
                "WHERE entity = ? AND entity_id = ? AND origin_device = ? AND op = ? "
                "AND (epoch > ? OR (epoch = ? AND seq > ?)) ORDER BY epoch, seq LIMIT 1",
                (row.entity, row.entity_id, row.device_id, op, epoch, epoch, seq)).first()
            if change is None:
                return None
            self.buffer.clear()
        else:
            self.buffer.popleft()
        self.after[row.device_id] = (change.epoch, change.seq)
        return change


def upgrade() -> None:
    import json

    conn = op.get_bind()
    attributes = op.get_context().config.attributes
    progress = attributes.get("progress_audit")  # (migrate.upgrade: its own sentence on the unlock screen)
    stages = attributes.setdefault("stages", [])  # (what, seconds since the start): for the benchmark
    started = time.perf_counter()

    def stage(what: str) -> None:
        stages.append((what, time.perf_counter() - started))
    total = conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar() or 0
    sequence = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").scalar() or 0
    keys = _key_ring(conn)
    keyed_from = conn.exec_driver_sql("SELECT keyed_from FROM audit_state WHERE id = 1").scalar()
    conn.exec_driver_sql("CREATE TABLE audit_name (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, "
                         "UNIQUE (name))")
    named: dict[str, int] = {}

    def code(name):
        if name is None:
            return None
        if name not in named:
            conn.exec_driver_sql("INSERT INTO audit_name (name) VALUES (?)", (name,))
            named[name] = conn.exec_driver_sql("SELECT id FROM audit_name WHERE name = ?", (name,)).scalar()
        return named[name]

    conn.exec_driver_sql(V2.format(name="audit_log_v2"))
    insert = sa.text("INSERT INTO audit_log_v2 (id, at, staff_id, login, device_id, action, entity, entity_id, "
                     "detail, epoch, seq, prev_hash, hash, key_id) VALUES (:id, :at, :staff_id, :login, :device_id, "
                     ":action, :entity, :entity_id, :detail, :epoch, :seq, :prev_hash, :hash, :key_id)")
    changes = _Changes(conn)
    done, last_id, prev = 0, 0, "0" * 64  # (audit.GENESIS)
    full = 0
    if progress:
        progress(0, total)
    while True:
        rows = conn.exec_driver_sql(
            "SELECT id, at, staff_id, login, device_id, action, entity, entity_id, detail, prev_hash, hash, key_id "
            "FROM audit_log WHERE id > ? ORDER BY id LIMIT ?", (last_id, BATCH)).all()
        if not rows:
            break
        out = []
        for row in rows:
            try:
                detail = json.loads(row.detail) if isinstance(row.detail, str) else row.detail
            except ValueError:
                detail = None
            lean = None
            micros = _micros(row.at)
            if micros is not None and isinstance(detail, dict) and \
                    _verifies(row, row.prev_hash, detail, keys, keyed_from) is not False:
                lean = dict(id=row.id, at=micros, staff_id=row.staff_id, login=row.login, device_id=code(row.device_id),
                            action=row.action, entity=row.entity, entity_id=row.entity_id,
                            detail=json.dumps(detail, ensure_ascii=False) if detail else None,
                            epoch=None, seq=None,
                            prev_hash=_link(row, prev, last_id),
                            hash=_blob(row.hash), key_id=code(row.key_id))
                change = changes.match(row)
                if change is not None and change.staff_id == row.staff_id:
                    lean.update(staff_id=None, action=None, entity=None, entity_id=None, epoch=change.epoch,
                                seq=change.seq)
                # (the detail stays: an update names its fields, and a purge later blanks the
                # change's values; an insert's is {} and stored as NULL)
            if lean is None:  # kept in full: the same text it had
                full += 1
                lean = dict(id=row.id, at=micros if micros is not None else row.at, staff_id=row.staff_id, login=row.login, device_id=code(row.device_id),
                            action=row.action, entity=row.entity, entity_id=row.entity_id,
                            detail=row.detail if row.detail not in (None, "{}") else None, epoch=None, seq=None,
                            prev_hash=_link(row, prev, last_id),
                            hash=_blob(row.hash), key_id=code(row.key_id))
            out.append(lean)
            prev, last_id = row.hash, row.id
        conn.execute(insert, out)
        done += len(rows)
        if progress:
            progress(done, total)
    stage("converted")
    # Emptied a slice at a time, then dropped: one DROP of the whole table keeps the old content
    # of every page it frees in the statement journal, in memory (SQLCipher's temp store), ~1.5×
    # the table (large-town: +270 MB); a slice's journal is let go when its statement ends.
    end = conn.exec_driver_sql("SELECT max(id) FROM audit_log").scalar() or 0
    for upto in range(DROP_SLICE, end + DROP_SLICE, DROP_SLICE):
        conn.exec_driver_sql("DELETE FROM audit_log WHERE id <= ?", (upto,))
    conn.exec_driver_sql("DROP TABLE audit_log")
    stage("old table dropped")
    conn.exec_driver_sql("ALTER TABLE audit_log_v2 RENAME TO audit_log")
    # A cut tail's counter stays where it was (ids are never reused).
    conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'audit_log'", (sequence,))
    for statement in INDEXES_V2:
        conn.exec_driver_sql(statement)
        stage(statement.split()[2])
    attributes["audit_kept_in_full"] = full


def downgrade() -> None:
    """Every entry back in full (its change read again), the v1 layout and indexes."""
    import json

    conn = op.get_bind()
    sequence = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").scalar() or 0
    conn.exec_driver_sql(V1.format(name="audit_log_v1"))
    from shakyo_desk.store import audit
    from shakyo_desk.store.models import AuditLog

    table = AuditLog.__table__
    last_id, prev = 0, audit.GENESIS
    while True:
        rows = conn.execute(sa.select(table).where(table.c.id > last_id).order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            break
        out = []
        for e in audit.entries(conn, rows):
            at = e.at if isinstance(e.at, str) else e.at.strftime("%Y-%m-%d %H:%M:%S.%f")
            out.append(dict(id=e.id, at=at, staff_id=e.staff_id, login=e.login, device_id=e.device_id,
                            action=e.action or "", entity=e.entity or "", entity_id=e.entity_id or "",
                            detail=json.dumps(e.detail or {}, ensure_ascii=False),
                            prev_hash=e.prev_hash if e.prev_hash is not None and len(e.prev_hash) == 64 else prev,
                            hash=e.hash,
                            key_id=e.key_id))
            prev, last_id = e.hash, e.id
        conn.execute(sa.text("INSERT INTO audit_log_v1 (id, at, staff_id, login, device_id, action, entity, "
                             "entity_id, detail, prev_hash, hash, key_id) VALUES (:id, :at, :staff_id, :login, "
                             ":device_id, :action, :entity, :entity_id, :detail, :prev_hash, :hash, :key_id)"), out)
    conn.exec_driver_sql("DROP TABLE audit_log")
    conn.exec_driver_sql("DROP TABLE audit_name")
    conn.exec_driver_sql("ALTER TABLE audit_log_v1 RENAME TO audit_log")
    conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'audit_log'", (sequence,))
    for statement in INDEXES_V1:
        conn.exec_driver_sql(statement)
