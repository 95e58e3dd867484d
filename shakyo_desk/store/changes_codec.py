"""How a change's values are stored (change log storage v2, issue 20; migration 0019). The only
module that knows the format: everything else reads a change's values as the JSON text the store
held before (`chain.storage_json` of the fields dict: what origin chains, author signatures, merge
and bundles see), through `texts`, `rows` or `fields_texts`.

A change row holds `key_order` (an id in `change_keys`: the field names in the order written) and
either
* *derived* (`packed` NULL): an insert whose record no later change touched. Its text is the
  record's row itself, re-encoded: ``storage_json({k: to_json_value(row[k]) for k in names})``,
  which is what `Writer.insert` wrote. Stored derived only once that re-encoding was seen to give
  the very text back (`Writer` at the write, the migration per change). Before such a record
  changes, `materialise` stores its text packed (the writer's and apply's one hook each); check
  proves the row unchanged through the origin chain, or, where the change has no chain value
  (legacy epochs, copies held off the chain), through `values_hash` (SHA-256 of the text);
* *packed*: one tag byte and the values as a JSON array (names interned), zlib when that is
  smaller; tags 2/3: the text itself (key_order 0) when the array form does not give it back.

A per-table zlib dictionary was measured and left out (docs/performance.md, "Change log v2"):
after derivation only updates, purges and received inserts are packed.
"""

from __future__ import annotations

import json
import zlib
from datetime import date, datetime
from json.encoder import encode_basestring
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.domain.errors import StoreError
from shakyo_desk.store.json_value import to_json_value
from shakyo_desk.sync.chain import storage_json, values_hash

RAW_ORDER = 0  # key_order of a change stored as text (tags 2, 3)
_ARRAY, _ARRAY_Z, _TEXT, _TEXT_Z = 0, 1, 2, 3
_CHUNK = 400  # ids per IN (…)
# The IN lists of record lookups come in these lengths only (the rest NULL): SQLite's prepared
# statements are then reused (the driver caches them by text). Preparing one per distinct
# length was a fifth of a full export's time.
_SIZES = (1, 4, 16, 64, 160, _CHUNK)
_BATCH = 2000  # change rows resolved at a time
# Texts kept per column: a few hundred short ones. Every kept value pins the allocator's arena
# it was read into; thousands of them kept a full export's memory 40 MB higher.
_MEMO = 256
MIGRATION_BATCH = 10_000  # rows converted at a time by migration 0019
FAIL_AFTER_BATCH: list[int] = []  # tests only: 0019 raises after this many batches (a kill mid-way)

GONE = ("変更履歴の元になるデータが見つかりません。`shakyo-desk check` で検査し、管理者に連絡してください"
        "（{entity} {entity_id}）。")


class KeyOrders:
    """The interned field-name orders of one store (`change_keys`), read once per use: a few
    dozen rows. Lives no longer than the transaction it was read in (a rolled back `intern`
    leaves nothing behind here either)."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self.names: dict[int, tuple[str, ...]] = {}
        self.ids: dict[tuple[str, ...], int] = {}
        for key_id, text in conn.exec_driver_sql("SELECT id, names FROM change_keys"):
            names = tuple(json.loads(text))
            self.names[key_id] = names
            self.ids[names] = key_id

    def of(self, key_id: int) -> tuple[str, ...]:
        names = self.names.get(key_id)
        if names is None:  # (interned by another reader in this transaction)
            text = self._conn.exec_driver_sql("SELECT names FROM change_keys WHERE id = ?", (key_id,)).scalar()
            names = self.names[key_id] = tuple(json.loads(text))
            self.ids[names] = key_id
        return names

    def intern(self, names: Iterable[str]) -> int:
        names = tuple(names)
        key_id = self.ids.get(names)
        if key_id is None:  # (rare: another reader in this transaction may have added it meanwhile)
            text = storage_json(list(names))
            key_id = self._conn.exec_driver_sql("SELECT id FROM change_keys WHERE names = ?", (text,)).scalar()
            if key_id is None:
                key_id = self._conn.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM change_keys").scalar()
                self._conn.exec_driver_sql("INSERT INTO change_keys (id, names) VALUES (?, ?)", (key_id, text))
            self.names[key_id], self.ids[names] = names, key_id
        return key_id


# ---- packing ---------------------------------------------------------------------------------


def _squeeze(tag: int, body: bytes) -> bytes:
    if len(body) > 40:
        z = zlib.compress(body, 6)
        if len(z) < len(body):
            return bytes((tag + 1,)) + z
    return bytes((tag,)) + body


def pack(orders: KeyOrders, fields: dict, text: str) -> tuple[int, bytes]:
    """(key_order, packed) for a change whose values are ``fields`` stored as ``text``."""
    array = storage_json(list(fields.values()))
    names = tuple(fields)
    if storage_json(dict(zip(names, json.loads(array), strict=True))) == text:
        return orders.intern(names), _squeeze(_ARRAY, array.encode())
    return RAW_ORDER, _squeeze(_TEXT, text.encode())  # (duplicate keys, odd numbers: kept as they are)


def received(text: str) -> bytes:
    """A received change's values as they came (key_order RAW_ORDER): an import of a whole
    council stores 500,000 of them, and packing each would cost more than it saves there."""
    return bytes((_TEXT,)) + text.encode()


def pack_text(orders: KeyOrders, text: str) -> tuple[int, bytes]:
    return pack(orders, json.loads(text), text)


def unpack(orders: KeyOrders, key_order: int, packed: bytes) -> str:
    tag, body = packed[0], packed[1:]
    if tag in (_ARRAY_Z, _TEXT_Z):
        body = zlib.decompress(body)
    if tag in (_TEXT, _TEXT_Z):
        return body.decode()
    return storage_json(dict(zip(orders.of(key_order), json.loads(body), strict=True)))


def derive(names: Iterable[str], row) -> str:
    """A derived insert's text from its record's row (a mapping of column values)."""
    return storage_json({k: to_json_value(row[k]) for k in names})


# ---- reading -----------------------------------------------------------------------------------


class _Reader:
    """A synced table's rows read for re-deriving inserts (a full bundle's export re-derives
    500,000): the driver's tuples through the DBAPI cursor (no SQLAlchemy rows), and per key
    order one encoder, compiled once, that writes the text straight from a tuple: each value's
    JSON put after its name's, which is what `derive` of the mapped row gives (`storage_json`
    of the names and values, each read through its column's result processor, dates and times
    as ISO text): checked by tests against `derive`, and on a whole council's export byte for
    byte against the texts stored before v2. Strings are encoded by the JSON encoder's own C
    function, short JSON texts and flags once per distinct stored value; any value not
    of the type its column stores goes the general way (processor, ISO text, `storage_json`)."""

    def __init__(self, conn: Connection, entity: str):
        from shakyo_desk.store.models import SYNCED_MODELS

        table = SYNCED_MODELS[entity].__table__
        dialect = conn.dialect
        self.names = [c.name for c in table.columns]
        self.index = {n: i for i, n in enumerate(self.names)}
        self.sql = f"SELECT {', '.join(self.names)} FROM {table.name} WHERE id IN "
        self.at = self.index["id"]
        self.encoders: dict[tuple[str, ...], Any] = {}
        self.statements: dict[int, str] = {}
        self.columns = []  # per column: (kind, its general encoder, a per-value memo or None)
        for c in table.columns:
            process = c.type.dialect_impl(dialect).result_processor(dialect, None)
            iso = isinstance(c.type, sa.Date | sa.DateTime)
            general = _general(process, iso)
            if isinstance(c.type, sa.Date | sa.DateTime):
                self.columns.append(("iso", general, process))
            elif process is None and not iso and isinstance(c.type, sa.Integer) and not isinstance(c.type, sa.Boolean):
                self.columns.append(("int", general, None))
            elif process is None and not iso:
                self.columns.append(("str", general, None))
            else:  # (flags, JSON: a few distinct stored values)
                self.columns.append(("memo", general, (isinstance(c.type, sa.Boolean), {})))

    def raw(self, conn: Connection, ids: list[str]) -> dict[str, tuple]:
        """id → the row as the driver gives it."""
        found, at = {}, self.at
        cursor = conn.connection.cursor()
        try:
            for start in range(0, len(ids), _CHUNK):
                part = ids[start:start + _CHUNK]
                size = next(n for n in _SIZES if n >= len(part))
                statement = self.statements.get(size)
                if statement is None:
                    statement = self.statements[size] = f"{self.sql}({', '.join('?' * size)})"
                cursor.execute(statement, (*part, *(None,) * (size - len(part))))  # (NULL matches nothing)
                for raw in cursor.fetchall():
                    found[raw[at]] = raw
        finally:
            cursor.close()
        return found

    def encoder(self, names: tuple[str, ...]):
        """raw row → the derived text of an insert under ``names`` (a KeyError for a name the
        table has no column for, as `derive` gives)."""
        encode = self.encoders.get(names)
        if encode is None:
            encode = self.encoders[names] = self._compile(names)
        return encode

    def _compile(self, names: tuple[str, ...]):
        if not names:
            return lambda raw: "{}"
        # Only numbers of columns and constants' names go into the source: the names
        # themselves (stored data) are bound as values.
        env: dict[str, Any] = {"E": encode_basestring, "S": str, "I": int, "R": int.__repr__, "Q": '"', "N": "null"}
        parts = []
        for j, name in enumerate(names):
            i = self.index[name]
            kind, general, extra = self.columns[i]
            env[f"k{j}"] = ("{" if j == 0 else ",") + storage_json(name) + ":"
            env[f"g{i}"] = general
            v = f"r[{i}]"
            if kind == "str":
                expr = f"(E({v}) if {v}.__class__ is S else N if {v} is None else g{i}({v}))"
            elif kind == "int":
                expr = f"(R({v}) if {v}.__class__ is I else N if {v} is None else g{i}({v}))"
            elif kind == "iso":
                env[f"p{i}"] = extra
                expr = f"(Q + p{i}({v}).isoformat() + Q if {v}.__class__ is S else N if {v} is None else g{i}({v}))"
            else:
                flags, seen = extra
                env[f"m{i}"], env[f"f{i}"] = seen, _memoised(general, seen, flags)
                expr = f"(m{i}.get({v}) or f{i}({v}))"
            parts.append(f"{{k{j}}}{{{expr}}}")
        # One f-string: the text is built once (a chain of + copied it once per value).
        source = "def encode(r):\n    return f'" + "".join(parts) + "}}'\n"
        exec(compile(source, "<derived insert>", "exec"), env)  # noqa: S102 (indices and bound names only)
        return env["encode"]


def _general(process, iso: bool):
    """A stored value's JSON text as `derive` gives it (any type the driver gives back)."""

    def general(v):
        if v is not None:
            if process is not None:
                v = process(v)
            if iso:
                v = v.isoformat()
        return storage_json(v)

    return general


def _memoised(general, seen: dict, numbers: bool):
    """``general``, keeping the texts of NULL, of short stored strings, and of whole numbers in
    a flag's column (``numbers``: 1.0 finds 1's text there, as a flag they are the same)."""

    def once(v):
        text = general(v)
        if len(seen) < _MEMO and (v is None or (v.__class__ is int and numbers) or (v.__class__ is str and len(v) < 40)):
            seen[v] = text
        return text

    return once


def _reader(conn: Connection, entity: str) -> _Reader:
    """The table's reader, made once per process (its statements and compiled encoders depend
    on the model and the dialect only): the Writer settles each insert of a salon session with
    it, in a new transaction each time."""
    key = (conn.dialect.name, entity)
    reader = _READERS.get(key)
    if reader is None:
        reader = _READERS[key] = _Reader(conn, entity)
    return reader


_READERS: dict[tuple[str, str], _Reader] = {}


def resolve(conn: Connection, orders: KeyOrders, keys: list[tuple], *, missing: str = "raise") -> list:
    """Each change's values text, for (entity, entity_id, key_order, packed) tuples."""
    out: list = [None] * len(keys)
    wanted: dict[str, list[int]] = defaultdict(list)
    for i, (entity, _, key_order, packed) in enumerate(keys):
        if packed is None:
            wanted[entity].append(i)
        else:
            out[i] = unpack(orders, key_order, packed)
    for entity, at in wanted.items():
        reader = _reader(conn, entity)
        found = reader.raw(conn, sorted({keys[i][1] for i in at}))
        encoders: dict[int, Any] = {}
        for i in at:
            _, entity_id, key_order, _ = keys[i]
            raw = found.get(entity_id)
            if raw is None:
                if missing == "raise":
                    raise StoreError(GONE.format(entity=entity, entity_id=entity_id))
                continue
            encode = encoders.get(key_order)
            if encode is None:
                encode = encoders[key_order] = reader.encoder(orders.of(key_order))
            out[i] = encode(raw)
    return out


def texts(conn: Connection, changes: list, orders: KeyOrders | None = None, *, missing: str = "raise") -> list:
    """Each change's values text; a change is anything with entity, entity_id, key_order and
    packed. A derived insert whose record is gone: raises StoreError, or gives None with
    ``missing="none"`` (check reports it)."""
    return resolve(conn, orders or KeyOrders(conn), [(c.entity, c.entity_id, c.key_order, c.packed) for c in changes],
                   missing=missing)


def with_texts(conn: Connection, rows: Iterable, *, missing: str = "raise") -> Iterator[tuple[Any, str | None]]:
    """(row, text) for a stream of change rows, resolved a batch at a time."""
    orders = KeyOrders(conn)
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            yield from zip(batch, texts(conn, batch, orders, missing=missing), strict=True)
            batch = []
    if batch:
        yield from zip(batch, texts(conn, batch, orders, missing=missing), strict=True)


class ChangeRow:
    """A change_log row as it read before v2: every column, ``fields`` as a dict (parsed on
    first use) and ``fields_text``."""

    __slots__ = ("_row", "fields_text", "_fields")

    def __init__(self, row, text: str):
        self._row, self.fields_text, self._fields = row, text, None

    def __getattr__(self, name):
        return getattr(self._row, name)

    @property
    def fields(self) -> dict:
        if self._fields is None:
            self._fields = json.loads(self.fields_text)
        return self._fields


def rows(conn: Connection, *where, order_by=()) -> list[ChangeRow]:
    """The change rows matching ``where`` (on the ChangeLog table), decoded."""
    from shakyo_desk.store.models import ChangeLog

    stmt = sa.select(ChangeLog.__table__).where(*where)
    if order_by:
        stmt = stmt.order_by(*order_by)
    return [ChangeRow(r, t) for r, t in with_texts(conn, conn.execute(stmt))]


def stream(conn: Connection, stmt, *, missing: str = "raise") -> Iterator[ChangeRow]:
    return (ChangeRow(r, t) for r, t in with_texts(conn, conn.execute(stmt), missing=missing))


def fields_texts(conn: Connection, refs: Iterable[tuple[str, int, int]]) -> dict[tuple[str, int, int], str]:
    """Each change's fields JSON text exactly as the change log held it before v2, for the dots
    ``refs`` (origin_device, epoch, seq); dots not held are left out. One batch read."""
    refs = sorted(set(refs))
    by_epoch: dict[tuple[str, int], list[int]] = defaultdict(list)
    for origin, epoch, seq in refs:
        by_epoch[(origin, epoch)].append(seq)
    found: list = []
    for (origin, epoch), seqs in by_epoch.items():
        for start in range(0, len(seqs), _CHUNK):
            found += conn.exec_driver_sql(
                "SELECT origin_device, epoch, seq, entity, entity_id, key_order, packed FROM change_log "
                f"WHERE origin_device = ? AND epoch = ? AND seq IN ({', '.join('?' * len(seqs[start:start + _CHUNK]))})",
                (origin, epoch, *seqs[start:start + _CHUNK])).all()
    return {(r.origin_device, r.epoch, r.seq): t for r, t in zip(found, texts(conn, found), strict=True)}


# ---- before a record changes ---------------------------------------------------------------------


def materialise(conn: Connection, entity: str, ids: Iterable[str]) -> int:
    """Store packed the derived inserts of these records, from their rows as they are now: call
    before any statement that changes or removes such a row, in the same transaction (`Writer`
    update/delete/purge, apply's bulk path, conflict refresh). Returns how many were packed."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    derived = []
    for start in range(0, len(ids), _CHUNK):
        part = ids[start:start + _CHUNK]
        derived += conn.exec_driver_sql(
            "SELECT origin_device, epoch, seq, entity, entity_id, key_order, packed FROM change_log "
            f"WHERE entity = ? AND entity_id IN ({', '.join('?' * len(part))}) AND op = 'insert' "
            "AND packed IS NULL", (entity, *part)).all()
    if not derived:
        return 0
    orders = KeyOrders(conn)
    updates = []
    for r, text in zip(derived, texts(conn, derived, orders), strict=True):
        key_order, packed = pack_text(orders, text)
        updates.append((key_order, packed, r.origin_device, r.epoch, r.seq))
    conn.connection.cursor().executemany(
        "UPDATE change_log SET key_order = ?, packed = ?, values_hash = NULL "
        "WHERE origin_device = ? AND epoch = ? AND seq = ?", updates)
    return len(updates)


def materialise_all(conn: Connection, touched: dict[str, Iterable[str]]) -> None:
    for entity, ids in touched.items():
        materialise(conn, entity, ids)


# ---- received inserts (apply's bulk path) ------------------------------------------------------------

# How apply's bulk path binds a wire value of each column type, and what reading the row back
# gives (SQLite's column affinity included): the wire types that come back as the very same JSON
# value. Anything else (a number sent for a text column, a date in another spelling, a zone on a
# time, a column this version does not have) is stored as received.
_KINDS = {sa.String: "str", sa.Text: "str", sa.Integer: "int", sa.Boolean: "bool", sa.Date: "date",
          sa.DateTime: "datetime", sa.JSON: "json"}
_SAFE = {"str": (str,), "int": (int,), "bool": (bool,), "json": (dict, list), "date": (str,), "datetime": (str,)}
_NONE = type(None)


def _date_ok(v: str) -> bool:
    try:
        return date.fromisoformat(v).isoformat() == v
    except ValueError:
        return False


def _datetime_ok(v: str) -> bool:
    try:
        value = datetime.fromisoformat(v)
    except ValueError:
        return False
    return value.tzinfo is None and value.isoformat() == v


class Receiving:
    """Which received inserts of records new here may be stored derived (apply's `_Bulk`: the
    row is the insert's fields over the column defaults, nothing else written to it). Decided
    from the wire values alone, per (entity, key order, value types) once, then a few value
    checks a change (dates and times in their one ISO spelling, the id and stamp the row gets):
    the row read back re-encodes to the received text byte for byte, without reading it."""

    def __init__(self, conn: Connection):
        self.orders = KeyOrders(conn)
        self._kinds: dict[str, dict[str, str]] = {}
        self._plans: dict[tuple, tuple | None] = {}

    def _columns(self, entity: str) -> dict[str, str]:
        from shakyo_desk.store.models import SYNCED_MODELS

        kinds = self._kinds.get(entity)
        if kinds is None:
            table = SYNCED_MODELS[entity].__table__
            kinds = self._kinds[entity] = {c.name: _KINDS[type(c.type)] for c in table.columns
                                           if type(c.type) in _KINDS}
        return kinds

    def _plan(self, entity: str, names: tuple, types: tuple) -> tuple | None:
        kinds = self._columns(entity)
        checks = []
        for i, (name, kind_of_value) in enumerate(zip(names, types, strict=True)):
            kind = kinds.get(name)
            if kind is None:
                return None
            if name in ("id", "hlc"):  # (the row takes the change's own id and stamp)
                checks.append((i, name))
            elif kind_of_value is _NONE:
                continue
            elif kind_of_value not in _SAFE[kind]:
                return None
            elif kind in ("date", "datetime"):
                checks.append((i, kind))
        return self.orders.intern(names), tuple(checks)

    def key_order(self, c: dict) -> int | None:
        """The key order to store ``c`` derived under, or None: store it as received."""
        fields = c["fields"]
        if type(fields) is not dict:
            return None
        names, values = tuple(fields), tuple(fields.values())
        key = (c["entity"], names, tuple(map(type, values)))
        plan = self._plans.get(key, False)
        if plan is False:
            plan = self._plans[key] = self._plan(*key)
        if plan is None:
            return None
        key_order, checks = plan
        for i, what in checks:
            v = values[i]
            if what == "date":
                if not _date_ok(v):
                    return None
            elif what == "datetime":
                if not _datetime_ok(v):
                    return None
            elif v != (c["entity_id"] if what == "id" else c["hlc"]) or type(v) is not str:
                return None
        return key_order

    def forms(self, changes: list[dict], texts: list[str], lone: set[tuple[str, str]] | None = None) -> list[tuple]:
        """(key_order, packed, values_hash) for each received change: an insert may be derived
        when it is all its new record's row (``lone``: those records; None: every insert, the
        bulk path's). A derived one keeps its values hash unless check can prove it through the
        origin chain: on the chain and its chain predecessor among these changes (a district
        laptop's gaps, an unchained relay: hashed)."""
        held = {(c["origin"], c["epoch"], c["seq"]) for c in changes}
        out = []
        for c, text in zip(changes, texts, strict=True):
            key_order = (self.key_order(c) if c["op"] == "insert" and c.get("sealed") is None
                         and (lone is None or (c["entity"], c["entity_id"]) in lone) else None)
            if key_order is None:
                out.append((RAW_ORDER, received(text), None))
                continue
            proved = c.get("chain") and (c["seq"] == 1 or (c["origin"], c["epoch"], c["seq"] - 1) in held)
            out.append((key_order, None, None if proved else values_hash(text)))
        return out


def hash_derived(conn: Connection, origin: str, epoch: int, first: int, last: int) -> None:
    """Keep the values hash of the derived inserts among (origin, epoch) first…last + 1 before
    their chain values are dropped (origins.finish): what proved them is going."""
    found = conn.exec_driver_sql(
        "SELECT origin_device, epoch, seq, entity, entity_id, key_order, packed FROM change_log "
        "WHERE origin_device = ? AND epoch = ? AND seq BETWEEN ? AND ? AND packed IS NULL AND values_hash IS NULL",
        (origin, epoch, first, last + 1)).all()
    if found:
        conn.connection.cursor().executemany(
            "UPDATE change_log SET values_hash = ? WHERE origin_device = ? AND epoch = ? AND seq = ?",
            [(values_hash(t), r.origin_device, r.epoch, r.seq) for r, t in zip(found, texts(conn, found), strict=True)])


# ---- writing ---------------------------------------------------------------------------------------


def settle_inserts(conn: Connection, orders: KeyOrders, entries: list[dict]) -> None:
    """Writer inserts queued as derived (``entry["_text"]``, ``entry["_entity"]``): each whose
    row, read back, re-encodes to its text stays derived; any other is packed. Also drops the
    helper keys. Runs after the rows are written and before the log entries are."""
    wanted: dict[str, list[dict]] = defaultdict(list)
    for e in entries:
        if "_text" in e:
            wanted[e["entity"]].append(e)
    for entity, group in wanted.items():
        reader = _reader(conn, entity)
        found = reader.raw(conn, sorted({e["entity_id"] for e in group}))
        for e in group:
            text = e.pop("_text")
            raw = found.get(e["entity_id"])
            names = tuple(e.pop("_names"))
            if raw is not None and reader.encoder(names)(raw) == text:
                e["key_order"], e["packed"] = orders.intern(names), None
                if e.get("chain") is None:  # nothing else binds it: check compares this hash
                    e["values_hash"] = values_hash(text)
            else:
                e["key_order"], e["packed"] = pack(orders, e.pop("_fields"), text)
            e.pop("_fields", None)


def verify_derived(chain_before: bytes | None, change, text: str, digest) -> bool:
    """A derived insert's text is what was written: its values hash, else its chain value
    recomputed from the one before it (``digest(change, text)`` → the change's digest).
    None from `verifiable` callers means: cannot be told (no value to compare with)."""
    from shakyo_desk.sync import chain

    if change.values_hash is not None:
        return values_hash(text) == change.values_hash
    if change.chain is None or not change.chain or not chain_before:
        return True
    return chain.step(chain_before, digest(change, text)) == change.chain
