"""The one write path. Every change to recorded data goes through ``Writer``:
in the caller's transaction it writes the row, appends the change log (for
sync) and appends the audit log (hash-chained)."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shakyo_desk.domain import hlc
from shakyo_desk.domain.errors import NotFound, PermissionDenied
from shakyo_desk.domain.ids import new_id
from shakyo_desk.domain.roles import Role
from shakyo_desk.store import audit, changes_codec
from shakyo_desk.store.exchange import authors, chains
from shakyo_desk.store.exchange.apply import blank_purged_history, refresh_entities, tombstone_row
from shakyo_desk.store.json_value import to_json_value
from shakyo_desk.store.models import AuditLog, ChangeLog, DeviceState, Household, Person, SyncConflict
from shakyo_desk.store.search import refresh_household_search
from shakyo_desk.sync import authorship, chain
from shakyo_desk.domain import clock


UNSIGNED = ("アカウントと社協の設定は、ロックを解除した管理者の署名鍵で署名して保存します。"
            "この画面では署名鍵が使えないため保存できませんでした。管理者のアカウントでロックを解除し直してください。")


@dataclass(frozen=True)
class Actor:
    """Who is acting: the unlocked account."""

    staff_id: str | None
    login: str
    display_name: str
    role: Role
    district_ids: frozenset[str] = frozenset()


def _fill_defaults(model, row: dict[str, Any]) -> None:
    for column in model.__table__.columns:
        if column.name in row:
            continue
        default = column.default
        if default is None:
            row[column.name] = None
        elif default.is_callable:
            row[column.name] = default.arg(None)
        else:
            row[column.name] = default.arg


class Writer:
    """Core statements with bound parameters (cached by SQLAlchemy) and the device
    counters kept in memory until ``finish``: a row costs well under a millisecond."""

    def __init__(self, session: Session, actor: Actor, audit_key: audit.AuditKey | None = None):
        self._session = session
        self.actor = actor
        self._audit_key = audit_key  # keys the audit entries (store/audit.py); the store passes it
        self._conn = session.connection()
        # bulk(): inserts queued per table in order of first use, then change log and audit
        self._bulk = 0
        self._queued_rows: dict[sa.Table, list[dict[str, Any]]] = {}
        self._queued_log: list[dict[str, Any]] = []
        self._queued_audit: list[dict[str, Any]] = []
        state = self._conn.execute(sa.select(DeviceState.__table__).where(DeviceState.id == 1)).mappings().one()
        self.device_id: str = state["device_id"]
        self.epoch: int = state["epoch"]
        self._next_seq: int = state["next_seq"]
        self._first_seq = self._next_seq
        self._clock = hlc.Stamp(state["hlc_wall_ms"], state["hlc_counter"])
        self._last_hash: str | None = None
        self._last_audit_id = 0
        self._next_audit_id = 0
        self.signer = None  # the acting account's signing key (Store.write sets it): signs account changes
        self._chain: bytes | None = None  # our origin chain at next_seq - 1 (loaded on first change)
        self._chain_loaded = False
        self._search_dirty: set[str] = set()
        self._conflicts_dirty: set[tuple[str, str]] = set()
        self._key_orders: changes_codec.KeyOrders | None = None  # (read on the first change)
        self.changes = 0

    # --- the transaction, for services that read or write beside the Writer ---------
    @property
    def conn(self) -> sa.Connection:
        """The transaction's connection; what bulk() queued is written first, so any statement
        a caller runs on it sees every row inserted before."""
        self.flush()
        return self._conn

    @property
    def session(self) -> Session:
        self.flush()
        return self._session

    @contextmanager
    def bulk(self) -> Iterator["Writer"]:
        """Inserts made inside are queued and written at the end with one executemany per
        table, then the change log and the audit entries, in the order they were made (same
        rows, seqs, chain and audit hashes as one by one). Anything else done through this
        Writer, or any use of ``conn``/``session``, writes the queue first, so a read inside
        sees every earlier insert. Foreign keys are checked at commit (a row may be queued
        before the row it names, in another table). For generators writing thousands of rows
        (the demo village); a failure rolls the whole transaction back as before."""
        self._bulk += 1
        try:
            yield self
        finally:
            self._bulk -= 1
        self.flush()

    def flush(self) -> None:
        if not (self._queued_rows or self._queued_log or self._queued_audit):
            return
        rows, log, entries = self._queued_rows, self._queued_log, self._queued_audit
        self._queued_rows, self._queued_log, self._queued_audit = {}, [], []
        # Off again by itself at COMMIT or ROLLBACK; the rows are checked then.
        self._conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        for table, batch in rows.items():
            self._conn.execute(table.insert(), batch)
        if log:
            changes_codec.settle_inserts(self._conn, self._orders(), log)  # (the rows are in now)
            self._conn.execute(ChangeLog.__table__.insert(), log)
        if entries:
            self._conn.execute(AuditLog.__table__.insert(), entries)

    # --- row changes ----------------------------------------------------------
    def insert(self, model, values: dict[str, Any], *, entity_id: str | None = None) -> str:
        entity_id = entity_id or new_id()
        stamp, at = self._next_stamp(), clock.utcnow()
        row = {"id": entity_id, "created_at": at, "created_by": self.actor.staff_id, "hlc": stamp, **values}
        _fill_defaults(model, row)  # the change log must carry the whole row
        # Parameters bound separately: SQLAlchemy caches the compiled statement.
        if self._bulk:
            self._queued_rows.setdefault(model.__table__, []).append(row)
        else:
            self._conn.execute(model.__table__.insert(), row)
        fields = {k: to_json_value(v) for k, v in row.items() if k != "hlc"}
        self._log(model, entity_id, "insert", fields, stamp, at, base={})
        self._touch_search(model, entity_id, values)
        return entity_id

    def update(self, model, entity_id: str, changes: dict[str, Any], *, force: frozenset[str] = frozenset(),
               audit_values: frozenset[str] = frozenset()) -> dict[str, Any]:
        """Apply the fields that really change; returns them (empty: nothing written).
        ``force``: fields logged even when equal to the row (choosing the shown value of a
        conflict is still a decision that must dominate every branch).
        ``audit_values``: fields whose old and new values the audit entry keeps too (an
        account's role: never personal data)."""
        table = model.__table__
        current = self.conn.execute(sa.select(table).where(table.c.id == entity_id)).mappings().one_or_none()
        if current is None:
            raise NotFound("指定されたデータが見つかりません。一覧を更新してからもう一度お試しください。")
        changed = {k: v for k, v in changes.items() if current[k] != v or k in force}
        if not changed:
            return {}
        stamp, at = self._next_stamp(), clock.utcnow()
        changes_codec.materialise(self.conn, model.__tablename__, [entity_id])  # (its insert may be derived)
        self.conn.execute(table.update().where(table.c.id == entity_id), {**changed, "updated_at": at, "hlc": stamp})
        fields = {k: to_json_value(v) for k, v in changed.items()}
        values = sorted(audit_values & set(changed))
        extra = {"before": {k: to_json_value(current[k]) for k in values},
                 "after": {k: fields[k] for k in values}} if values else {}
        self._log(model, entity_id, "update", fields, stamp, at, base=self._version_seen(model, entity_id),
                  audit_extra=extra)
        self._touch_search(model, entity_id, {"household_id": current.get("household_id")})
        self._conflicts_dirty.add((model.__tablename__, entity_id))
        return changed

    def delete(self, model, entity_id: str) -> None:
        """Soft delete: the row stays (sync and audit need it) with deleted_at set."""
        self.update(model, entity_id, {"deleted_at": clock.utcnow()})

    def purge(self, model, entity_id: str) -> None:
        """Legal erasure (DESIGN §5): the row becomes an id-only tombstone and the record's
        earlier history is blanked here; the purge change dominates every branch, so the
        same happens on every device that receives it. Callers check the admin right."""
        table = model.__table__
        current = self.conn.execute(sa.select(table).where(table.c.id == entity_id)).mappings().one_or_none()
        if current is None:
            raise NotFound("指定されたデータが見つかりません。一覧を更新してからもう一度お試しください。")
        stamp, at = self._next_stamp(), clock.utcnow()
        base = self._version_seen(model, entity_id)
        entity = model.__tablename__
        changes_codec.materialise(self.conn, entity, [entity_id])  # before the row is blanked
        self.conn.execute(table.update().where(table.c.id == entity_id),
                          tombstone_row(entity, entity_id, dict(current), stamp))
        blank_purged_history(self.conn, [(entity, entity_id)])
        self._log(model, entity_id, "purge", {}, stamp, at, base=base)
        self._touch_search(model, entity_id, {"household_id": current.get("household_id")})  # (drops its row)
        self._conflicts_dirty.add((entity, entity_id))  # a purged record has nothing left to decide

    def require_alive(self, model, entity_id: str, message: str) -> dict:
        """Inside the transaction: the row exists and is not deleted (another screen or
        device may have removed it since the form was opened)."""
        table = model.__table__
        row = self.conn.execute(sa.select(table).where(table.c.id == entity_id)).mappings().one_or_none()
        if row is None or row["deleted_at"] is not None:
            raise NotFound(message)
        return dict(row)

    # --- audit -----------------------------------------------------------------
    def audit(self, action: str, entity: str = "", entity_id: str = "", detail: dict | None = None,
              change: tuple[int, int] | None = None) -> None:
        """Append a keyed entry: the next id never used (AUTOINCREMENT's counter, not the last
        row: a cut tail stays a gap) and an HMAC over it and the previous entry's hash.
        ``change``: (epoch, seq) of our change this entry is about: stored as that reference
        (audit log v2, store/audit.py), the action, entity, id and staff rebuilt from it."""
        if self._audit_key is None:
            raise RuntimeError("Writer without an audit key: open writers through Store.write()")
        if self._last_hash is None:
            last = self.conn.execute(
                sa.select(AuditLog.id, AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).first()
            self._last_hash, self._last_audit_id = (last.hash, last.id) if last is not None else (audit.GENESIS, 0)
            # (audit log v2: the device id and key id are stored once, in audit_name)
            self._audit_names = (audit.name_id(self.conn, self.device_id),
                                 audit.name_id(self.conn, self._audit_key.key_id))
            self._next_audit_id = self.conn.exec_driver_sql(
                "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0), "
                "coalesce((SELECT max(id) FROM audit_log), 0)) + 1").scalar()
        at = clock.utcnow()
        detail = detail or {}
        entry_id = self._next_audit_id
        digest = audit.keyed_hash(self._audit_key.key, entry_id, self._last_hash, at, self.actor.staff_id,
                                  self.actor.login, self.device_id, action, entity, entity_id, detail)
        entry = dict(
            id=entry_id, at=at, staff_id=self.actor.staff_id, login=self.actor.login, device_id=self._audit_names[0],
            action=action, entity=entity, entity_id=entity_id, detail=detail or None, epoch=None, seq=None,
            # (the whole link only after a gap: otherwise a prefix of the previous entry's hash)
            prev_hash=audit.link_of(self._last_hash, entry_id == self._last_audit_id + 1),
            hash=digest, key_id=self._audit_names[1],
        )
        if change is not None:
            entry.update(staff_id=None, action=None, entity=None, entity_id=None, epoch=change[0], seq=change[1])
        if self._bulk:
            self._queued_audit.append(entry)
        else:
            self.conn.execute(AuditLog.__table__.insert(), entry)
        self._last_hash, self._last_audit_id = digest, entry_id
        self._next_audit_id = entry_id + 1

    # --- internals -------------------------------------------------------------
    def _next_stamp(self) -> str:
        self._clock = hlc.tick(self._clock, time.time_ns() // 1_000_000)
        return self._clock.encode(self.device_id)

    def _log(self, model, entity_id: str, op: str, fields: dict, stamp: str, at: datetime, base: dict,
             audit_extra: dict | None = None) -> None:
        if not self._chain_loaded:
            self._chain = chains.tip(self.conn, self.device_id, self.epoch, self._next_seq - 1)
            self._chain_loaded = True
        text = chain.storage_json(fields)
        if self._chain is not None:  # (None: an epoch from before origin chains, migration 0011)
            self._chain = chain.step(self._chain, chain.digest_of(
                self.device_id, self.epoch, self._next_seq, model.__tablename__, entity_id, op,
                chain.storage_json(base), stamp, self.actor.staff_id, at.isoformat(), chain.values_hash(text)))
        entry = dict(
            origin_device=self.device_id, epoch=self.epoch, seq=self._next_seq, entity=model.__tablename__,
            entity_id=entity_id, op=op, base=base, hlc=stamp, values_hash=None,
            staff_id=self.actor.staff_id, recorded_at=at, chain=self._chain,
            author_sig=self._author_sig(model.__tablename__, entity_id, op, fields, base, stamp, at),
        )
        if op == "insert":  # derived from the row if it reads back as this text (settle_inserts)
            entry.update(_text=text, _names=list(fields), _fields=fields)
        else:
            entry["key_order"], entry["packed"] = changes_codec.pack(self._orders(), fields, text)
        if self._bulk:
            self._queued_log.append(entry)
        else:
            changes_codec.settle_inserts(self.conn, self._orders(), [entry])
            self.conn.execute(ChangeLog.__table__.insert(), entry)
        self._next_seq += 1
        self.changes += 1
        # An insert covers every field; for other changes the audit names the fields touched.
        detail = {} if op == "insert" else {"fields": sorted(fields), **(audit_extra or {})}
        self.audit(f"{model.__tablename__}.{op}", model.__tablename__, entity_id, detail,
                   change=(self.epoch, self._next_seq - 1))

    def _orders(self) -> changes_codec.KeyOrders:
        if self._key_orders is None:
            self._key_orders = changes_codec.KeyOrders(self._conn)
        return self._key_orders

    def _author_sig(self, entity: str, entity_id: str, op: str, fields: dict, base: dict, stamp: str,
                    at: datetime) -> str | None:
        """Accounts and settings are changed, and records erased, only with the acting
        account's signing key (its passphrase opened it at unlock): other devices accept such a
        change only when an admin's key in the roster signed it (exchange/authors.py). Other
        changes carry no signature."""
        if entity not in authors.OFFICE_ONLY and op != "purge":
            return None
        if self.signer is None:
            raise PermissionDenied(UNSIGNED)
        return authorship.sign(self.signer, chain.digest_of(
            self.device_id, self.epoch, self._next_seq, entity, entity_id, op, chain.storage_json(base), stamp,
            self.actor.staff_id, at.isoformat(), chain.values_hash(chain.storage_json(fields))))

    def _version_seen(self, model, entity_id: str) -> dict[str, int]:
        """The version vector of the entity as the editor saw it: {device:epoch: seq}."""
        rows = self.conn.execute(
            sa.select(ChangeLog.origin_device, ChangeLog.epoch, sa.func.max(ChangeLog.seq))
            .where(ChangeLog.entity == model.__tablename__, ChangeLog.entity_id == entity_id)
            .group_by(ChangeLog.origin_device, ChangeLog.epoch)
        ).all()
        return {f"{dev}:{epoch}": seq for dev, epoch, seq in rows}

    def _refresh_conflicts(self) -> None:
        """An edit of a field marked 要確認 saw every branch: the merge clears it."""
        if not self._conflicts_dirty:
            return
        table = SyncConflict.__table__
        touched: dict[str, set[str]] = {}
        for entity, entity_id in self._conflicts_dirty:
            if self.conn.execute(sa.select(table.c.id).where(table.c.entity == entity, table.c.entity_id == entity_id)
                                 .limit(1)).first() is not None:
                touched.setdefault(entity, set()).add(entity_id)
        self._conflicts_dirty.clear()
        if touched:
            refresh_entities(self.conn, touched)

    def _touch_search(self, model, entity_id: str, values: dict) -> None:
        if model is Household:
            self._search_dirty.add(entity_id)
        elif model is Person and values.get("household_id"):
            self._search_dirty.add(values["household_id"])

    def finish(self) -> None:
        """Called once before commit: derived data and the device counters."""
        refresh_household_search(self.conn, self._search_dirty)
        self._search_dirty.clear()
        self._refresh_conflicts()
        if self._next_seq != self._first_seq:
            self.conn.execute(DeviceState.__table__.update().where(DeviceState.id == 1), {
                "next_seq": self._next_seq, "hlc_wall_ms": self._clock.wall_ms, "hlc_counter": self._clock.counter,
            })
            self._first_seq = self._next_seq
