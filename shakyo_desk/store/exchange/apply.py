"""Applying changes: remote changes join the change log under their own origin, and every
entity they touch is recomputed from its whole history by the pure merge rules
(``sync/merge.py``). Local writes never come through here; resolutions and edits of a field
in conflict refresh the conflict index through ``refresh_entities``.
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any, Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.domain import hlc
from shakyo_desk.store import changes_codec
from shakyo_desk.store.models import SYNCED_MODELS, Base, ChangeLog, DeviceState, Household, Person, SyncConflict
from shakyo_desk.store.search import refresh_household_search
from shakyo_desk.store.json_value import to_json_value
from shakyo_desk.sync import chain
from shakyo_desk.sync.merge import Change, Merged, merge
from shakyo_desk.domain import clock

CHUNK = 400  # ids per IN (…) query: well under SQLite's variable limit
STORED_TEXT = "_fields_text"  # set on a received change by exchange/chains.wire_digest
WIRE_KEYS = ("origin", "epoch", "seq", "entity", "entity_id", "op", "fields", "base", "hlc", "staff_id", "recorded_at")
OPS = {"insert", "update", "purge"}
_KEEP_ON_PURGE = {"id", "created_at", "created_by", "hlc", "deleted_at"}


def conflict_id(entity: str, entity_id: str, field_name: str) -> str:
    """The same short id on every device, so `conflicts resolve ID` means one thing everywhere."""
    return hashlib.sha256(f"{entity}\x00{entity_id}\x00{field_name}".encode()).hexdigest()[:12]


# ---- change rows ⇄ wire dicts ⇄ merge.Change -----------------------------------------


def to_wire(row) -> dict:
    """A change row read through `changes_codec` (its `fields` decoded) as a wire dict."""
    wire = {
        "origin": row.origin_device, "epoch": row.epoch, "seq": row.seq, "entity": row.entity,
        "entity_id": row.entity_id, "op": row.op, "fields": row.fields, "base": row.base, "hlc": row.hlc,
        "staff_id": row.staff_id, "recorded_at": to_json_value(row.recorded_at),
    }
    if row.sealed is not None:
        wire["sealed"] = row.sealed
    if row.author_sig is not None:
        wire["author_sig"] = row.author_sig
    return wire


_COLUMNS = {name: frozenset(model.__table__.columns.keys()) for name, model in SYNCED_MODELS.items()}
# Tables that others refer to before those that refer to them. While a row waits for its
# parent (foreign keys are checked at commit), SQLite searches the children of every parent
# row inserted, and most foreign keys have no index to search by.
PARENTS_FIRST = tuple(t.name for t in Base.metadata.sorted_tables if t.name in SYNCED_MODELS)
_WIRE_SET = frozenset(WIRE_KEYS)
_SEALED_SET = _WIRE_SET | {"sealed"}  # a change whose values a purge blanked (sync/chain.py)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SIGNED = "author_sig"  # an account or settings change's author signature (sync/authorship.py)
_B64SIG = re.compile(r"[A-Za-z0-9+/]{86}==")
_SEARCHED = {Household.__tablename__, Person.__tablename__}


def wire_problem(c: dict) -> str | None:
    """Why a received change cannot be stored, or None (signed content can still be malformed)."""
    keys = c.keys()
    if _SIGNED in c:
        if not isinstance(c[_SIGNED], str) or not _B64SIG.fullmatch(c[_SIGNED]):
            return "keys"
        keys = keys - {_SIGNED}
    if keys != _WIRE_SET and (keys != _SEALED_SET or not isinstance(c["sealed"], str)
                              or not _HEX64.fullmatch(c["sealed"])):
        return "keys"
    if not (isinstance(c["origin"], str) and isinstance(c["entity_id"], str) and isinstance(c["hlc"], str)):
        return "ids"
    epoch, seq = c["epoch"], c["seq"]
    if type(epoch) is not int or type(seq) is not int or seq < 1:
        return "seq"
    if c["entity"] not in _COLUMNS or c["op"] not in OPS:
        return "entity"
    fields = c["fields"]
    if not isinstance(fields, dict) or not isinstance(c["base"], dict):
        return "fields"
    if not _COLUMNS[c["entity"]].issuperset(fields):
        return "fields"
    try:
        wall, counter, _ = c["hlc"].split(".", 2)  # what hlc.Stamp.decode reads, without the object
        int(wall), int(counter)
        datetime.fromisoformat(c["recorded_at"])
    except (ValueError, TypeError):
        return "hlc"
    return None


def as_change(row) -> Change:
    return Change(row.origin_device, row.epoch, row.seq, row.op, row.fields, row.base, row.hlc, row.staff_id,
                  to_json_value(row.recorded_at))


# ---- column conversion -------------------------------------------------------------


def _converter(column):
    kind = type(column.type).__name__
    if kind == "Date":
        return lambda v: date.fromisoformat(v) if isinstance(v, str) else v
    if kind == "DateTime":
        return lambda v: datetime.fromisoformat(v) if isinstance(v, str) else v
    if kind == "Boolean":
        return lambda v: None if v is None else bool(v)
    return lambda v: v


_CONVERTERS = {name: {c.name: _converter(c) for c in model.__table__.columns} for name, model in SYNCED_MODELS.items()}
TEXT_FIELDS = {name: frozenset(c.name for c in model.__table__.columns if type(c.type).__name__ == "Text")
               for name, model in SYNCED_MODELS.items()}


def _default(column) -> Any:
    if column.default is None:
        return None if column.nullable else ""
    return column.default.arg(None) if column.default.is_callable else column.default.arg


# Column defaults per table, computed once (mutable defaults are never mutated in place).
_TEMPLATES = {name: {c.name: _default(c) for c in model.__table__.columns} for name, model in SYNCED_MODELS.items()}


def _blank(column) -> Any:
    """A tombstone's value for a column: its default; a required date that has none gets the
    first day there is (no real record is dated so; the row is deleted and never listed)."""
    value = _default(column)
    if value == "" and not column.nullable:
        kind = type(column.type).__name__
        if kind == "Date":
            return date.min
        if kind == "DateTime":
            return datetime.min
        if kind in ("Integer", "Boolean"):
            return 0
    return value


def tombstone_row(entity: str, entity_id: str, current: dict | None, stamp: str) -> dict:
    """A purged record's id-only tombstone: keys that link records stay, every other value
    is blanked (the same row whether the purge was made here or arrived in a bundle)."""
    base = current or {}
    row = {}
    for column in SYNCED_MODELS[entity].__table__.columns:
        if column.name in _KEEP_ON_PURGE or column.foreign_keys:
            row[column.name] = base.get(column.name)
        else:
            row[column.name] = _blank(column)
    row.update(id=entity_id, hlc=stamp, deleted_at=row.get("deleted_at") or clock.utcnow())
    if row.get("created_at") is None:
        row["created_at"] = clock.utcnow()
    return row


def desired_row(entity: str, merged: Merged, entity_id: str, current: dict | None) -> dict | None:
    """The row the merged history says should exist (None: not created yet here)."""
    if merged.purged:
        return tombstone_row(entity, entity_id, current, merged.hlc)
    convert = _CONVERTERS[entity]
    if not merged.has_insert:
        return None
    row = dict(_TEMPLATES[entity])
    for name, value in merged.values.items():
        if name in convert:
            row[name] = convert[name](value)
    row.update(id=entity_id, hlc=merged.hlc)
    if current is not None:
        row["updated_at"] = current.get("updated_at")
    return row


# ---- apply ---------------------------------------------------------------------------


@dataclass
class Applied:
    stored: int = 0  # changes new to this device
    entities: int = 0  # rows computed (a record touched in two slices counts twice)
    conflicts_opened: list[str] = field(default_factory=list)
    households: set[str] = field(default_factory=set)
    max_hlc: str = ""


def store_changes(conn: Connection, changes: list[dict]) -> list[dict]:
    """Add to the change log the changes we do not hold yet; returns those."""
    fresh = unheld(conn, changes)
    if fresh:
        _insert_log(conn, fresh)
    return fresh


def unheld(conn: Connection, changes: list[dict]) -> list[dict]:
    """The changes whose dot the change log does not hold, each dot once (first wins)."""
    if not changes:
        return []
    origin, epoch = changes[0]["origin"], changes[0]["epoch"]
    if all(c["origin"] == origin and c["epoch"] == epoch for c in changes):
        by_origin = {(origin, epoch): changes}  # (most slices come from one device)
    else:
        by_origin = defaultdict(list)
        for c in changes:
            by_origin[(c["origin"], c["epoch"])].append(c)
    fresh = []
    for (origin, epoch), group in by_origin.items():
        seqs = [c["seq"] for c in group]
        held = _held_seqs(conn, origin, epoch, seqs)
        if not held and len(set(seqs)) == len(seqs):
            fresh += group  # the usual case: nothing held, no repeats
            continue
        for seq, c in zip(seqs, group):
            if seq not in held:
                held.add(seq)
                fresh.append(c)
    return fresh


def _held_seqs(conn: Connection, origin: str, epoch: int, seqs: list[int]) -> set[int]:
    of_origin = (ChangeLog.origin_device == origin, ChangeLog.epoch == epoch)
    low, high = min(seqs), max(seqs)
    if high - low < 2 * len(seqs):  # close together (a range of a bundle): one range scan
        return set(conn.execute(sa.select(ChangeLog.seq).where(*of_origin, ChangeLog.seq.between(low, high))).scalars())
    # Far apart (what the general path gathers beside new records): look up just these.
    wanted, held = sorted(set(seqs)), set()
    for start in range(0, len(wanted), CHUNK):
        held.update(conn.execute(sa.select(ChangeLog.seq).where(
            *of_origin, ChangeLog.seq.in_(wanted[start:start + CHUNK]))).scalars())
    return held


def _insert_log(conn: Connection, changes: list[dict], receiving: changes_codec.Receiving | None = None,
                lone: set[tuple[str, str]] | None = None) -> None:
    """Received changes into the change log, as the bound values SQLAlchemy would make (JSON
    text, stored datetime text), with the chain value and head the import found for each
    (`chain`, `head`: importing.py and sync/chain.py; absent when not on the origin's chain).
    ``receiving``: inserts of records new here, alone in their history (the bulk path's; ``lone``:
    the general path's), whose row re-encodes to their text are stored derived
    (changes_codec.Receiving); otherwise every change's text is stored as received."""
    plan = _log_plan(conn)
    fields, base, recorded_at = plan.wire
    texts = [c.get(STORED_TEXT) or fields(c["fields"]) for c in changes]  # (the text chains.wire_digest computed)
    if receiving is None:
        received, raw = changes_codec.received, changes_codec.RAW_ORDER
        forms = [(raw, received(t), None) for t in texts]
    else:
        forms = receiving.forms(changes, texts, lone)
    _insert_values(conn, plan.sql, [
        (c["origin"], c["epoch"], c["seq"], c["entity"], c["entity_id"], c["op"], *form,
         base(c["base"]), c["hlc"], c["staff_id"], recorded_at(c["recorded_at"]), _chain_bytes(c.get("chain")),
         c.get("head"), c.get("sealed"), c.get(_SIGNED)) for c, form in zip(changes, forms, strict=True)])


def _chain_bytes(value: bytes | str | None) -> bytes | None:
    return bytes.fromhex(value) if isinstance(value, str) else value


def insert_log(conn: Connection, changes: list[dict]) -> None:
    """Wire changes into the change log as they are (a clone's re-issue, `exchange/clones.py`)."""
    _insert_log(conn, changes)


_LOG_COLUMNS = ("origin_device", "epoch", "seq", "entity", "entity_id", "op", "key_order", "packed", "values_hash",
                "base", "hlc", "staff_id", "recorded_at", "chain", "head", "sealed", "author_sig")


@dataclass(frozen=True)
class _LogPlan:
    sql: str
    wire: tuple  # fields, base, recorded_at: wire value → bound value


_LOG_PLAN: list[_LogPlan] = []


def _log_plan(conn: Connection) -> _LogPlan:
    if not _LOG_PLAN:
        plan = _insert_plan(conn, ChangeLog.__table__)
        wire = (chain.storage_json, *(plan.wire[plan.index[name]] for name in ("base", "recorded_at")))
        _LOG_PLAN.append(_LogPlan(
            f"INSERT INTO change_log ({', '.join(_LOG_COLUMNS)}) VALUES ({', '.join('?' * len(_LOG_COLUMNS))})", wire))
    return _LOG_PLAN[0]


def insert_rows(conn: Connection, table: sa.Table, rows: list[dict]) -> None:
    """INSERT many rows (each with every column) through the driver, with the columns' own
    bind conversions. SQLAlchemy's per-row parameter handling cost more than the inserts
    themselves on a full bundle."""
    plan = _insert_plan(conn, table)
    values = [list(plan.get(row)) for row in rows]
    for i, process in plan.convert:
        for v in values:
            v[i] = process(v[i])
    _insert_values(conn, plan.sql, values)


def _insert_values(conn: Connection, sql: str, values: list[list]) -> None:
    cursor = conn.connection.cursor()  # the same transaction, without SQLAlchemy's parameter checks
    try:
        cursor.executemany(sql, values)
    finally:
        cursor.close()


@dataclass(frozen=True)
class _Plan:
    sql: str
    get: Any  # row dict → values in column order
    convert: list[tuple[int, Any]]  # (position, bind processor) for Python values
    index: dict[str, int]  # column → position
    wire: list[Any]  # per position: wire value → bound value (None: as it is)
    template: dict  # every column's default, bound
    wire_converted: tuple[tuple[str, Any], ...]  # (column, wire → bound) where they differ


_PLANS: dict[str, _Plan] = {}


def _insert_plan(conn: Connection, table: sa.Table) -> _Plan:
    if table.name not in _PLANS:
        dialect = conn.dialect
        names = [c.name for c in table.columns]
        convert, wire, template = [], [], {}
        for i, column in enumerate(table.columns):
            process = column.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None and isinstance(column.type, sa.JSON):
                process = _json_text(process, dialect)
            if process is not None:
                convert.append((i, process))
            wire.append(_from_wire_value(column, process))
            template[column.name] = _bound_default(column, process)
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        _PLANS[table.name] = _Plan(sql, itemgetter(*names), convert, {n: i for i, n in enumerate(names)}, wire,
                                   template, tuple((n, w) for n, w in zip(names, wire) if w is not None))
    return _PLANS[table.name]


class _NoDefault:
    """A required date or time the change did not give: binding it fails, as converting the
    general path's placeholder does."""


def _bound_default(column, process):
    default = _default(column)
    if process is None:
        return default
    try:
        return process(default)
    except TypeError:
        return _NoDefault()


def _from_wire_value(column, process):
    """What the general path binds for a wire value (`_converter`, then the bind processor),
    with less work for dates and times: the stored text is the ISO text, a space for the
    `T` and always six digits of microseconds (SQLAlchemy's SQLite storage format), which
    `isoformat` writes directly. Anything unusual takes the general conversion."""
    kind = type(column.type).__name__
    if kind == "Date":
        def date_text(v):
            return date.fromisoformat(v).isoformat() if isinstance(v, str) else process(v)
        return date_text
    if kind == "DateTime":
        def datetime_text(v):
            if v is None:
                return None
            if isinstance(v, str):
                value = datetime.fromisoformat(v)
                return value.isoformat(" ", "microseconds") if value.tzinfo is None else process(value)
            return process(v)
        return datetime_text
    if kind == "Boolean":
        return lambda v: None if v is None else process(bool(v))
    return process


def _json_text(process, dialect):
    """A JSON column's bind conversion, quicker for what changes carry: {} and [] (an insert's
    base, empty flag lists) as they are, other dicts and lists straight through the engine's
    encoder (`chain.storage_json`) without SQLAlchemy's per-value steps."""
    encode = chain.storage_json if getattr(dialect, "_json_serializer", None) is chain.storage_json else None

    def text(value):
        if type(value) is dict or type(value) is list:
            if not value:
                return "{}" if type(value) is dict else "[]"
            if encode is not None:
                return encode(value)
        return process(value)

    return text


SLICE = 5_000  # changes applied at a time: bounds memory on a full bundle


def apply_changes(conn: Connection, changes: Iterable[dict]) -> Applied:
    """Store new changes and bring every touched entity to its merged state, a slice at a
    time (a record touched in an earlier slice is merged from the change log again).

    The lone insert of a record new to this store takes a shorter way (`_Bulk`): its
    history is that one change, so its row is the insert's fields over the column defaults.
    Everything else goes through the merge (`_apply_slice`)."""
    result = Applied()
    # Parents and children arrive in HLC order, not table order (a sub-district may sort
    # before its parent): foreign keys are checked once, at commit.
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    # Nothing here makes reference cycles; the collector's passes over hundreds of thousands
    # of fresh dicts took a tenth of a full bundle's import.
    collecting = gc.isenabled()
    gc.disable()
    try:
        new_kinds = _entities_without_records(conn)
        receiving = changes_codec.Receiving(conn)
        if not new_kinds:
            for part in _slices(changes):
                _apply_slice(conn, part, result, receiving)
        else:
            bulk, general = _Bulk(conn, result, new_kinds, receiving), []
            takes, pending = bulk.takes, bulk.pending
            for change in changes:
                if takes(change):
                    pending.append(change)
                    if len(pending) < SLICE:
                        continue
                else:
                    general.append(change)
                    if len(general) < SLICE:
                        continue
                # Both ways in step: the history the general path reads back holds what came
                # before, and a parent row is never held back for long (while a row waits for
                # its parent, SQLite looks for children at every insert of a row they could have).
                bulk.flush()
                _apply_slice(conn, general, result, receiving)
                general = []
            bulk.flush()
            _apply_slice(conn, general, result, receiving)
    finally:
        if collecting:
            gc.enable()
    if not result.stored:
        return result
    refresh_household_search(conn, result.households)
    _receive_clock(conn, result.max_hlc)
    return result


def _slices(changes: Iterable[dict]) -> Iterator[list[dict]]:
    part: list[dict] = []
    for change in changes:
        part.append(change)
        if len(part) >= SLICE:
            yield part
            part = []
    if part:
        yield part


def _entities_without_records(conn: Connection) -> frozenset[str]:
    """Entity types this store holds neither rows nor changes of (all of them but the shared
    registers on a new laptop): a change of such a type can only be about a record new here."""
    empty = set()
    for entity, model in SYNCED_MODELS.items():
        table = model.__table__
        if (conn.execute(sa.select(table.c.id).limit(1)).first() is None
                and conn.execute(sa.select(ChangeLog.seq).where(ChangeLog.entity == entity).limit(1)).first() is None):
            empty.add(entity)
    return frozenset(empty)


_SEEN_BITS = 1 << 26  # 8 MB: two bits per record met, from a hash of its id


class _Bulk:
    """Lone inserts of records new to this store, applied without reading anything back.

    A change qualifies when its entity type had no records here when the import began
    (`_entities_without_records`), it is an insert, and it is the first change of its record
    met in this import. `seen` remembers the records met, as two bits from a hash of each id
    (a Bloom filter: 8 MB for any number of records, where a set of the ids would take 50 MB
    for a large town). A false "met" (under one record in 6,000 on a large town) only sends
    a change down the general path, which reads the history back and finds nothing; a missed
    one is impossible. A record's later changes take the general path, after `flush`.

    The result equals the general path's: `merge` of one insert is its fields, so the row is
    `desired_row` of it, without a conflict; the change log row is the same `_insert_log`."""

    def __init__(self, conn: Connection, result: Applied, kinds: frozenset[str], receiving: changes_codec.Receiving):
        self.conn, self.result, self.kinds = conn, result, kinds
        self.seen, self.mask = bytearray((_SEEN_BITS + 7) >> 3), _SEEN_BITS - 1
        self.pending: list[dict] = []
        self.receiving = receiving  # (their rows are written just as received: stored derived)

    def takes(self, change: dict) -> bool:
        if change["entity"] not in self.kinds:
            return False  # (a record of a type held before is never new without a look)
        h, seen = hash(change["entity_id"]), self.seen
        a, b = h & self.mask, (h >> 32) & self.mask
        a_at, a_bit, b_at, b_bit = a >> 3, 1 << (a & 7), b >> 3, 1 << (b & 7)
        met = seen[a_at] & a_bit and seen[b_at] & b_bit
        seen[a_at] |= a_bit
        seen[b_at] |= b_bit
        # (an insert a purge blanked lacks required values: the general path merges it with the purge)
        return not met and change["op"] == "insert" and "sealed" not in change

    def flush(self) -> None:
        if not self.pending:
            return
        conn, result = self.conn, self.result
        fresh = unheld(conn, self.pending)  # a change we hold already (a repeat) is skipped
        self.pending.clear()
        if not fresh:
            return
        _insert_log(conn, fresh, self.receiving)
        result.stored += len(fresh)
        result.entities += len(fresh)
        result.max_hlc = max(result.max_hlc, max(c["hlc"] for c in fresh))
        by_entity: dict[str, list[dict]] = defaultdict(list)
        for c in fresh:
            by_entity[c["entity"]].append(c)
        for entity in PARENTS_FIRST:
            if entity not in by_entity:
                continue
            plan = _insert_plan(conn, SYNCED_MODELS[entity].__table__)
            rows = [_row_from_insert(plan, c) for c in by_entity[entity]]
            rows.sort(key=itemgetter(plan.index["id"]))  # key order: appends to the table's b-tree
            if entity in _SEARCHED:
                at = plan.index["id" if entity == Household.__tablename__ else "household_id"]
                result.households.update(row[at] for row in rows if row[at])
            _insert_values(conn, plan.sql, rows)


def _row_from_insert(plan: _Plan, c: dict) -> tuple:
    """`desired_row` of a record whose whole history is this insert, as bound values."""
    fields = c["fields"]
    row = plan.template | fields  # (a name that is no column is never picked by `get`)
    for name, convert in plan.wire_converted:
        if name in fields:
            row[name] = convert(fields[name])
    row["id"], row["hlc"] = c["entity_id"], c["hlc"]
    return plan.get(row)


def _apply_slice(conn: Connection, changes: list[dict], result: Applied,
                 receiving: changes_codec.Receiving | None = None) -> None:
    if not changes:
        return
    with_history = _entities_with_history(conn, changes)
    fresh = unheld(conn, changes)
    if not fresh:
        return
    # A record new here whose one change in this slice is its insert becomes just that insert's
    # row (as on the bulk path): its insert may be stored derived. A later change of it takes
    # `_refresh_chunk`, which materialises it first.
    count = Counter((c["entity"], c["entity_id"]) for c in fresh)
    _insert_log(conn, fresh, receiving, {k for k, n in count.items() if n == 1 and k not in with_history})
    result.stored += len(fresh)
    result.max_hlc = max(result.max_hlc, max(c["hlc"] for c in fresh))
    touched: dict[str, set[str]] = defaultdict(set)
    new_history: dict[tuple[str, str], list[Change]] = defaultdict(list)
    for c in fresh:
        touched[c["entity"]].add(c["entity_id"])
        if (c["entity"], c["entity_id"]) not in with_history:
            new_history[(c["entity"], c["entity_id"])].append(_from_wire(c))
    if any(c["op"] == "purge" for c in fresh):
        blank_purged_history(conn, [(c["entity"], c["entity_id"]) for c in fresh if c["op"] == "purge"])
    refresh_entities(conn, touched, result, new_history)


def _from_wire(c: dict) -> Change:
    return Change(c["origin"], c["epoch"], c["seq"], c["op"], c["fields"], c["base"], c["hlc"], c["staff_id"],
                  c["recorded_at"])


def _entities_with_history(conn: Connection, changes: list[dict]) -> set[tuple[str, str]]:
    """Records these changes touch that already have changes here (the rest are new to us,
    which is most of a first full bundle: they need no reading back)."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for c in changes:
        wanted[c["entity"]].add(c["entity_id"])
    found = set()
    for entity, ids in wanted.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):
            found |= {(entity, i) for i in conn.execute(
                sa.select(ChangeLog.entity_id).where(ChangeLog.entity == entity,
                                                     ChangeLog.entity_id.in_(ordered[start:start + CHUNK]))
                .distinct()).scalars()}
    return found


def refresh_entities(conn: Connection, touched: dict[str, Iterable[str]], result: Applied | None = None,
                     new_history: dict[tuple[str, str], list[Change]] | None = None) -> Applied:
    """Recompute rows and their conflicts from the change log, entity type by type.
    ``new_history``: complete histories of records new to this store, already in memory."""
    result = result or Applied()
    new_history = new_history or {}
    for entity in PARENTS_FIRST:
        model = SYNCED_MODELS[entity]
        ids = sorted(touched.get(entity, ()))
        for start in range(0, len(ids), CHUNK):
            _refresh_chunk(conn, entity, model, ids[start : start + CHUNK], result, new_history)
    return result


def _refresh_chunk(conn: Connection, entity: str, model, ids: list[str], result: Applied,
                   new_history: dict[tuple[str, str], list[Change]]) -> None:
    table = model.__table__
    history: dict[str, list[Change]] = defaultdict(list)
    known = [i for i in ids if (entity, i) not in new_history]
    current: dict[str, dict] = {}
    if known:
        changes_codec.materialise(conn, entity, known)  # their rows may change below
        for row in changes_codec.rows(conn, ChangeLog.entity == entity, ChangeLog.entity_id.in_(known)):
            history[row.entity_id].append(as_change(row))
        current = {r["id"]: dict(r) for r in conn.execute(sa.select(table).where(table.c.id.in_(known))).mappings()}
    for i in ids:
        if (entity, i) in new_history:
            history[i] = new_history[(entity, i)]
    inserts, conflicts_now = [], []
    for entity_id in ids:
        merged = merge(history.get(entity_id, []), TEXT_FIELDS[entity])
        row = desired_row(entity, merged, entity_id, current.get(entity_id))
        if row is None:
            continue
        result.entities += 1
        old = current.get(entity_id)
        if old is None:
            inserts.append(row)
        else:
            changed = {k: v for k, v in row.items() if old.get(k) != v}
            if changed:
                conn.execute(table.update().where(table.c.id == entity_id), changed)
        household_id = _household_of(entity, row)
        if household_id and entity in _SEARCHED:
            result.households.add(household_id)  # the search index holds only these two tables
        for conflict in merged.conflicts:
            conflicts_now.append(dict(
                id=conflict_id(entity, entity_id, conflict.field), entity=entity, entity_id=entity_id,
                field=conflict.field, kind=conflict.kind, household_id=household_id, opened_at=clock.utcnow()))
    if inserts:
        insert_rows(conn, table, inserts)
    if known or conflicts_now:  # a record new to us has no conflicts recorded yet
        _replace_conflicts(conn, entity, known or ids, conflicts_now, result)


def _replace_conflicts(conn, entity: str, ids: list[str], now: list[dict], result: Applied) -> None:
    ct = SyncConflict.__table__
    before = {r.id: r.opened_at for r in conn.execute(
        sa.select(ct.c.id, ct.c.opened_at).where(ct.c.entity == entity, ct.c.entity_id.in_(ids)))}
    if before:
        conn.execute(ct.delete().where(ct.c.entity == entity, ct.c.entity_id.in_(ids)))
    for row in now:
        if row["id"] in before:
            row["opened_at"] = before[row["id"]]  # still the same question, asked since then
        else:
            result.conflicts_opened.append(row["id"])
    if now:
        conn.execute(ct.insert(), now)


def _household_of(entity: str, row: dict) -> str | None:
    if entity == Household.__tablename__:
        return row["id"]
    return row.get("household_id")


def blank_purged_history(conn: Connection, targets: list[tuple[str, str]]) -> None:
    """Erasure reaches the history too: only the ids that link records remain. The hash of
    the values is kept (`sealed`), so the origin's chain still holds over the blanked change."""
    for entity, entity_id in targets:
        keep = {c.name for c in SYNCED_MODELS[entity].__table__.columns if c.foreign_keys}
        changes_codec.materialise(conn, entity, [entity_id])  # (an insert derived from the row)
        orders = changes_codec.KeyOrders(conn)
        for row in changes_codec.rows(conn, ChangeLog.entity == entity, ChangeLog.entity_id == entity_id,
                                      ChangeLog.op != "purge"):
            blank = {k: v for k, v in row.fields.items() if k in keep}
            if blank == row.fields:
                continue  # blanked before, or ids only
            sealed = row.sealed or chain.values_hash(row.fields_text).hex()
            key_order, packed = changes_codec.pack(orders, blank, chain.storage_json(blank))
            conn.execute(ChangeLog.__table__.update().where(
                ChangeLog.origin_device == row.origin_device, ChangeLog.epoch == row.epoch, ChangeLog.seq == row.seq),
                {"key_order": key_order, "packed": packed, "values_hash": None, "sealed": sealed})


def _receive_clock(conn: Connection, remote: str) -> None:
    """Our next stamps come after everything we have seen, whatever our wall clock says."""
    import time

    state = conn.execute(sa.select(DeviceState.hlc_wall_ms, DeviceState.hlc_counter)
                         .where(DeviceState.id == 1)).one()
    stamp = hlc.receive(hlc.Stamp(state.hlc_wall_ms, state.hlc_counter), hlc.Stamp.decode(remote),
                        time.time_ns() // 1_000_000)
    conn.execute(DeviceState.__table__.update().where(DeviceState.id == 1),
                 {"hlc_wall_ms": stamp.wall_ms, "hlc_counter": stamp.counter})


def entity_conflicts(conn: Connection, entity: str, entity_id: str) -> Merged:
    rows = changes_codec.rows(conn, ChangeLog.entity == entity, ChangeLog.entity_id == entity_id)
    return merge([as_change(r) for r in rows], TEXT_FIELDS[entity])
