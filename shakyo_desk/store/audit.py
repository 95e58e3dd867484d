"""The audit log's hash chain and its check (DESIGN §3 "Audit event"; docs/architecture.md).

Each entry's hash covers the previous entry's hash, so no entry changes without every later
hash changing. Since schema 0012:

- **Keyed entries.** The hash is an HMAC-SHA256 under the *audit key*, derived with HKDF from
  the store's data key, over the entry's id too: the database file alone (even decrypted) does
  not let anyone recompute the chain. ``key_id`` names the key (a fingerprint). Entries written
  before 0012 keep their plain SHA-256 (``key_id`` NULL) and stay verifiable; from
  ``audit_state.keyed_from`` on, an entry without a key is a rewrite.
- **Ids never reused** (AUTOINCREMENT): a tail cut and written over leaves a gap.
- **Witnesses** (store/audit_witness.py): the head (last id and hash) recorded where the
  store cannot rewrite it. A witness (id, hash) vouches for every entry up to its id, since
  that hash covers them all.

``verify_chain`` walks the rows once, oldest first, and names what is missing or rewritten in
Japanese sentences.

**Audit log v2 (0020).** What is stored is lean, what is hashed is not: a change's entry names
its change-log row instead of repeating action, entity, entity id and staff (``entries``
rebuilds them through ``_changes``, the one place that reads the change log); ``prev_hash`` is
stored only where it is not the previous entry's hash (after a gap: else a 4-byte prefix, which
names a broken link as the whole hash did); hashes are bytes and
times integer microseconds (models.HexBytes, models.MicroTime). The HMAC's input is exactly
what it was, so verification, witnesses, the viewer and the CSV give the same answers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

GENESIS = "0" * 64
_KEY_INFO = b"shakyo-desk audit chain v1"
_ENTRY_PREFIX = b"shakyo-desk audit entry v1\x00"
_ID_PREFIX = b"shakyo-desk audit key id v1"

_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def _at_text(at: datetime | str) -> str:
    return at.isoformat() if isinstance(at, datetime) else datetime.fromisoformat(str(at)).isoformat()


def entry_hash(prev_hash: str, at: datetime, staff_id: str | None, login: str, device_id: str,
               action: str, entity: str, entity_id: str, detail: dict) -> str:
    """A plain (unkeyed) entry, as written before schema 0012."""
    body = _encode([prev_hash, _at_text(at), staff_id, login, device_id, action, entity, entity_id, detail])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    key: bytes = field(repr=False)


def derive_key(data_key: bytes) -> AuditKey:
    """The audit key of a data key (HKDF-SHA256) and its fingerprint."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(data_key)
    return AuditKey(hmac.new(key, _ID_PREFIX, hashlib.sha256).hexdigest()[:16], key)


def keyed_hash(key: bytes, entry_id: int, prev_hash: str, at: datetime, staff_id: str | None, login: str,
               device_id: str, action: str, entity: str, entity_id: str, detail: dict) -> str:
    body = _encode([entry_id, prev_hash, _at_text(at), staff_id, login, device_id, action, entity, entity_id,
                    detail])
    return hmac.new(key, _ENTRY_PREFIX + body.encode("utf-8"), hashlib.sha256).hexdigest()


# ---- reading entries (v2: a change's entry rebuilt from its change) ---------------------------

CHANGE_OPS = frozenset({"insert", "update", "delete", "purge"})
ChangeRef = tuple[str, int, int]  # (origin device, epoch, seq)


@dataclass(slots=True)
class Entry:
    """An audit entry as it was hashed (and as the viewer shows it)."""

    id: int
    at: datetime
    staff_id: str | None
    login: str
    device_id: str
    action: str | None
    entity: str | None
    entity_id: str | None
    detail: dict | None
    prev_hash: str | None  # the previous entry's hash, or its prefix (v2: the previous row has it)
    hash: str
    key_id: str | None
    change: ChangeRef | None = None


# The stored columns in table order (models.AuditLog): ``entries`` takes rows in this order.
COLUMNS = ("id", "at", "staff_id", "login", "device_id", "action", "entity", "entity_id", "detail", "epoch", "seq",
           "prev_hash", "hash", "key_id")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM audit_log"
_EPOCH = datetime(1970, 1, 1)
_MICRO = timedelta(microseconds=1)


def _changes(conn, refs: Iterable[ChangeRef]) -> dict[ChangeRef, tuple[str, str, str, str | None]]:
    """(origin, epoch, seq) → (entity, entity_id, op, staff_id) of those changes that exist.
    The only read of the change log for the audit log (the change log's storage may change:
    re-point this one function)."""
    by_epoch: dict[tuple[str, int], list[int]] = {}
    for origin, epoch, seq in refs:
        by_epoch.setdefault((origin, epoch), []).append(seq)
    out: dict[ChangeRef, tuple[str, str, str, str | None]] = {}
    head = "SELECT seq, entity, entity_id, op, staff_id FROM change_log WHERE origin_device = ? AND epoch = ? AND "
    for (origin, epoch), seqs in by_epoch.items():
        seqs.sort()
        # The entries of a batch name nearly consecutive changes: one range read, else IN lists.
        if seqs[-1] - seqs[0] < 4 * len(seqs) + 64:
            parts = [(head + "seq BETWEEN ? AND ?", (origin, epoch, seqs[0], seqs[-1]))]
        else:
            parts = [(head + f"seq IN ({', '.join('?' * len(chunk))})", (origin, epoch, *chunk))
                     for chunk in (seqs[i:i + 500] for i in range(0, len(seqs), 500))]
        for sql, params in parts:
            for seq, entity, entity_id, op, staff_id in conn.exec_driver_sql(sql, params).fetchall():
                out[(origin, epoch, seq)] = (entity, entity_id, op, staff_id)
    return out


def _when(value) -> datetime:
    if type(value) is int:
        return _EPOCH + value * _MICRO
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _hex(value):
    return value.hex() if type(value) is bytes else value


def _detail(value) -> dict:
    if value is None:
        return {}
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def names(conn) -> dict[int, str]:
    """audit_name: id → device id or key id (a handful of rows)."""
    return dict(conn.exec_driver_sql("SELECT id, name FROM audit_name").fetchall())


def name_id(conn, name: str) -> int:
    """The audit_name id of a device id or key id, added the first time."""
    found = conn.exec_driver_sql("SELECT id FROM audit_name WHERE name = ?", (name,)).scalar()
    if found is None:
        conn.exec_driver_sql("INSERT INTO audit_name (name) VALUES (?)", (name,))
        found = conn.exec_driver_sql("SELECT id FROM audit_name WHERE name = ?", (name,)).scalar()
    return found


def entries(conn, rows: Sequence) -> list[Entry]:
    """Stored rows, their values in ``COLUMNS`` order (raw or through the model's types) →
    entries as hashed. A change's entry whose change is gone comes back with action, entity and
    entity id None: it no longer verifies."""
    named = names(conn)

    def name(value):  # (an id; text only where someone wrote it by hand: it then fails as it is)
        return named.get(value, value) if type(value) is int else value

    refs = [(name(r[4]), r[9], r[10]) for r in rows if r[10] is not None]
    found = _changes(conn, refs) if refs else {}
    out = []
    append = out.append
    for (id_, at, staff_id, login, device_id, action, entity, entity_id, detail, epoch, seq, prev_hash, hash_,
         key_id) in rows:
        device_id, key_id = name(device_id), name(key_id)
        if seq is None:
            append(Entry(id_, _when(at), staff_id, login, device_id, action, entity, entity_id, _detail(detail),
                         _hex(prev_hash), _hex(hash_), key_id))
            continue
        ref = (device_id, epoch, seq)
        change = found.get(ref)
        if change is None:
            c_entity = c_id = c_op = c_staff = None
        else:
            c_entity, c_id, c_op, c_staff = change
        append(Entry(id_, _when(at), c_staff if staff_id is None else staff_id, login, device_id,
                     action if action is not None else (f"{c_entity}.{c_op}" if change else None),
                     c_entity if entity is None else entity, c_id if entity_id is None else entity_id,
                     _detail(detail), _hex(prev_hash), _hex(hash_), key_id, ref))
    return out


def read(conn, where: str = "1", params: tuple = ()) -> list[Entry]:
    """Entries by a plain SQL condition on the stored columns, in id order."""
    return entries(conn, conn.exec_driver_sql(f"{SELECT} WHERE {where} ORDER BY id", params).fetchall())


# ---- what a check finds -----------------------------------------------------------------------

MISSING, REWRITTEN, UNVERIFIABLE = "missing", "rewritten", "unverifiable"


def _span(first: int, last: int) -> str:
    return f"第{first}件" if first == last else f"第{first}〜{last}件"


@dataclass(frozen=True)
class Finding:
    kind: str  # MISSING, REWRITTEN, UNVERIFIABLE
    first: int
    last: int
    against: str = ""  # the witness that showed it (a phrase), "" when the chain itself did

    @property
    def sentence(self) -> str:
        span = _span(self.first, self.last)
        if self.kind == MISSING:
            where = f"（{self.against}では第{self.last}件まであります）" if self.against else ""
            return f"{span}の記録が消されています{where}。"
        if self.kind == REWRITTEN:
            if self.against:
                return f"{span}のどこかの記録が書き換えられています（{self.against}と合いません）。"
            return f"{span}の記録が書き換えられています。"
        return f"{span}の記録は、確かめるための鍵が見つからないため、正しいか確かめられません。"


@dataclass(frozen=True)
class Witness:
    """A head of our own log seen somewhere: (epoch, id, hash) and who holds it."""

    epoch: int
    entry_id: int
    hash: str
    source: str  # export, backup, epoch_end, returned, file
    label: str  # a phrase naming it, for the sentences (「事務局の端末が受け取った控え」)


@dataclass(frozen=True)
class Head:
    entry_id: int
    hash: str
    at: datetime | None


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken_at: int | None  # id of the first entry that does not verify (or of the first one missing)
    chain_broken_at: int | None = None  # the same, found by the chain itself (not by a witness)
    findings: tuple[Finding, ...] = ()
    notices: tuple[str, ...] = ()  # not tampering: history another copy went on with (a restore)
    witnesses: int = 0  # witnesses compared with the chain
    head: Head | None = None

    @property
    def sound(self) -> bool:
        return self.broken_at is None and not self.findings

    @property
    def sentences(self) -> list[str]:
        return [f.sentence for f in self.findings]


def _merge(findings: list[Finding]) -> list[Finding]:
    """Overlapping or adjacent ranges of one kind become one (the first witness named)."""
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.kind, f.first, f.last)):
        if out and out[-1].kind == f.kind and f.first <= out[-1].last + 1:
            prev = out[-1]
            out[-1] = Finding(f.kind, prev.first, max(prev.last, f.last), prev.against or f.against)
        else:
            out.append(f)
    order = {MISSING: 0, REWRITTEN: 1, UNVERIFIABLE: 2}
    return sorted(out, key=lambda f: (f.first, order[f.kind]))


class _Runs:
    """Consecutive ids of one kind become one range."""

    def __init__(self, kind: str):
        self.kind, self.found, self._open = kind, [], None

    def add(self, entry_id: int) -> None:
        if self._open is not None and entry_id <= self._open[1]:
            return
        if self._open is not None and self._open[1] == entry_id - 1:
            self._open[1] = entry_id
        else:
            self.close()
            self._open = [entry_id, entry_id]

    def close(self) -> None:
        if self._open is not None:
            self.found.append(Finding(self.kind, *self._open))
            self._open = None


LINK_PREFIX = 8  # hex digits of the previous hash an entry keeps (v2): which link broke, not only where


def link_of(prev_hash: str, contiguous: bool) -> str:
    """What an entry stores of its previous entry's hash (v2): a prefix that names a broken link
    (as the full hash did), the whole hash only after a gap (the entry before it is gone)."""
    return prev_hash[:LINK_PREFIX] if contiguous else prev_hash


def _links(stored: str | None, prev: str) -> bool:
    """Does an entry's stored link (whole, a prefix, or none: v2 rows read by hand) match?"""
    if stored is None:
        return True
    return prev.startswith(stored) if len(stored) == LINK_PREFIX else stored == prev


def verify_chain(rows: Iterable, keys: Mapping[str, bytes] | None = None, keyed_from: int | None = None,
                 witnesses: Iterable[Witness] = (), epoch: int | None = None,
                 epoch_ends: Mapping[int, int] | None = None, cloned: Iterable[int] = ()) -> ChainReport:
    """Rows in id order with the AuditLog columns (``key_id`` may be absent: a plain chain).

    ``keys``: key id → audit key (the current one and those of earlier data keys);
    ``keyed_from``: the first id that must be keyed; ``witnesses``: heads of this log seen
    elsewhere; ``epoch``: this device's epoch now; ``epoch_ends``: for each earlier epoch, the
    last id of this log in it (a witness of that epoch beyond it is history another copy went
    on with — a restored backup — and is told, not judged); ``cloned``: epochs in which this
    installation was found copied (two copies wrote under them): what other devices saw of
    those is maybe the other copy's, and is told, not judged."""
    keys = keys or {}
    epoch_ends = epoch_ends or {}
    cloned = set(cloned)
    wanted: set[int] = set()  # ids whose hash a witness names
    judged: list[Witness] = []
    notices: list[str] = []
    beyond: dict[int, int] = {}
    other_copy = 0
    for w in witnesses:
        if w.source == "returned" and w.epoch in cloned:  # (audit_witness.RETURNED)
            other_copy += 1
            continue
        if epoch is not None and w.epoch != epoch:
            end = epoch_ends.get(w.epoch)
            if end is None:
                continue  # an epoch this log never had (another copy's, after a clone)
            if w.entry_id > end:
                beyond[w.epoch] = max(beyond.get(w.epoch, 0), w.entry_id)
                continue
        judged.append(w)
        wanted.add(w.entry_id)

    rewritten, unknown = _Runs(REWRITTEN), _Runs(UNVERIFIABLE)
    findings: list[Finding] = []
    hashes_at: dict[int, str] = {}
    prev, expected, count, broken = GENESIS, 1, 0, None
    last_row = None
    for row in rows:
        count += 1
        if row.id != expected:
            if row.id > expected:
                findings.append(Finding(MISSING, expected, row.id - 1))
            broken = broken or row.id
        elif not _links(row.prev_hash, prev):
            # linked to something else than the entry before: that one, or this link, was changed
            if last_row is not None:
                rewritten.add(last_row.id)
            rewritten.add(row.id)
            broken = broken or (last_row.id if last_row is not None else row.id)
        key_id = getattr(row, "key_id", None)
        # v2: no stored link is the previous entry's hash. After a gap that hash is gone (an entry
        # deleted since the migration): the entry is then judged only if its hash holds.
        full_link = row.prev_hash is not None and len(row.prev_hash) != LINK_PREFIX
        link = row.prev_hash if full_link else prev
        unknown_link = not full_link and row.id != expected
        if key_id is None:
            ok = (keyed_from is None or row.id < keyed_from) and entry_hash(
                link, row.at, row.staff_id, row.login, row.device_id, row.action, row.entity,
                row.entity_id, row.detail) == row.hash
            if not ok and not (unknown_link and (keyed_from is None or row.id < keyed_from)):
                rewritten.add(row.id)
                broken = broken or row.id
        elif key_id in keys:
            if keyed_hash(keys[key_id], row.id, link, row.at, row.staff_id, row.login, row.device_id,
                          row.action, row.entity, row.entity_id, row.detail) != row.hash and not unknown_link:
                rewritten.add(row.id)
                broken = broken or row.id
        else:
            unknown.add(row.id)
            broken = broken or row.id
        if row.id in wanted:
            hashes_at[row.id] = row.hash
        prev, expected, last_row = row.hash, row.id + 1, row
    rewritten.close()
    unknown.close()
    findings += rewritten.found + unknown.found
    last_id = last_row.id if last_row is not None else 0

    # Witnesses: each vouches for the whole chain up to its id.
    agreed = 0
    tail: tuple[int, Witness] | None = None
    for w in sorted(judged, key=lambda w: w.entry_id):
        if w.entry_id > last_id:
            if tail is None or w.entry_id > tail[0]:
                tail = (w.entry_id, w)
        elif w.entry_id in hashes_at:
            if hashes_at[w.entry_id] == w.hash:
                agreed = max(agreed, w.entry_id)
            else:
                findings.append(Finding(REWRITTEN, agreed + 1, w.entry_id, w.label))
        # (an id inside a gap: the gap is reported already)
    if tail is not None:
        findings.append(Finding(MISSING, last_id + 1, tail[0], tail[1].label))
    for old_epoch, highest in sorted(beyond.items()):
        end = epoch_ends[old_epoch]
        notices.append(f"バックアップからの復元などで、{_span(end + 1, highest)}（元の端末がその後に残した記録）は"
                       "この端末にありません。")
    if other_copy:
        notices.append(f"この端末のデータが複製されて2台で使われていた時期の控え{other_copy}件は、"
                       "もう一台のものかもしれないため、照らし合わせていません。")
    merged = _merge(findings)
    first = broken if broken is not None else (merged[0].first if merged else None)
    head = Head(last_row.id, last_row.hash, last_row.at if isinstance(last_row.at, datetime) else None) \
        if last_row is not None else None
    return ChainReport(count, first, broken, tuple(merged), tuple(notices), len(judged), head)
