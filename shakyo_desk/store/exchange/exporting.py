"""Export: a bundle with every change the target may lack (DESIGN §5 "Knowledge")."""

from __future__ import annotations

import json

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.domain.errors import InvalidInput, NotFound, UserError
from shakyo_desk.domain.roles import Role, manages_accounts, may_sync
from shakyo_desk.store import audit_witness, changes_codec, migrate
from shakyo_desk.store.exchange import chains, clones
from shakyo_desk.store.exchange import drops as carried_drops
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange import knowledge
from shakyo_desk.store.exchange.apply import CHUNK
from shakyo_desk.store.exchange.scope import predicate, records_of, scope_records
from shakyo_desk.store.models import (
    ChangeLog, ConferenceCase, ConferenceMember, HandoutCopy, Household, SyncBundle, SyncPeer,
)
from shakyo_desk.store.services._common import require
from shakyo_desk.store.store import Store, with_subdistricts
from shakyo_desk.sync import roster as rosters
from shakyo_desk.sync.bundle import Payload, bundle_file_name, make_manifest, pack_bundle_hashed, write_bundle_file
from shakyo_desk.domain import clock

Progress = Callable[[int, int, str], None]

# The states of a bundle we write (sync_bundle.state, docs/sync-protocol.md "Crash-consistent
# export"): its number and hash are committed first (reserved), then the file is written and
# renamed into place, then it is marked written. A later export that finds one still reserved
# declares it abandoned in its manifest, so receivers neither wait for it nor see a fork.
RESERVED, WRITTEN, ABANDONED = "reserved", "written", "abandoned"
MAX_ABANDONED = 64  # abandoned numbers a manifest declares: the most recent of the epoch
# Bundle chains (docs/sync-protocol.md, "Bundle chains"): what every full-scope device can open is
# one chain; the office's bundles for a district-limited laptop (encrypted to it alone) are a
# chain of their own per laptop, named by its device id (sync_bundle.chain, manifest `chain`).
# Each chain numbers 1, 2, 3… and links by hash on its own, so nobody waits for a number that
# went to an audience it is not part of.
COUNCIL_CHAIN = "council"


@dataclass(frozen=True)
class Exported:
    path: Path
    seq: int
    changes: int
    size: int
    recipients: list[str]  # device names that can open it (plus the recovery identity)


def find_device(roster: dict, name_or_id: str) -> dict:
    for entry in roster["devices"]:
        if name_or_id in (entry["device_id"], entry["name"]):
            return entry
    raise NotFound(f"端末「{name_or_id}」は端末名簿にありません。同期の画面で端末名を確かめてください。")


def _audience(roster: dict, me: ident.Identity, target: dict | None) -> tuple[list[dict], list[dict]]:
    """(devices whose knowledge decides the content, devices that can decrypt it)."""
    full = [d for d in rosters.active_devices(roster) if not d["scope"] and d["device_id"] != me.device_id]
    if target is not None:
        if target["revoked_at"] is not None:
            raise InvalidInput(f"端末「{target['name']}」は利用停止されているため、同期ファイルを作れません。"
                               "渡す相手の端末を選び直してください。")
        if target["device_id"] == me.device_id:
            raise InvalidInput("自分の端末あての同期ファイルは作れません。相手の端末を選んでください。")
        if target["scope"] and not me.is_office:
            # Only the office holds every household's history, so only it can send a laptop
            # what it missed while a household was outside its districts.
            raise InvalidInput("地区を限った端末への同期ファイルは、事務局の端末から書き出してください。")
        # A district-limited laptop must never be able to read the rest of the council.
        return [target], [target] if target["scope"] else full
    return full, full


# Nobody to give a file to (only this installation in the roster): who can change that, in
# words that fit the reader. Only an admin at the office adds devices (同期 → 端末を追加).
NOBODY_ADMIN = ("同期する相手の端末がまだ登録されていません。ノートPCなどを同期の相手にするには、"
                "先に「端末を追加」でその端末を登録してください。")
NOBODY_OTHERS = ("同期する相手の端末がまだ登録されていません。ノートPCなどを同期の相手にするには、"
                 "管理者が事務局の端末で「端末を追加」をして、その端末を登録します。"
                 "登録が済むまで、同期ファイルは書き出せません。必要なら管理者に相談してください。")
CHOOSE_LIMITED = "地区を限った端末には、「渡す相手」でその端末を選んで書き出してください。"


def _nobody_to_read(roster: dict, me: ident.Identity, role: Role) -> str:
    if any(d["scope"] for d in rosters.active_devices(roster) if d["device_id"] != me.device_id):
        return CHOOSE_LIMITED
    return NOBODY_ADMIN if me.is_office and manages_accounts(role) else NOBODY_OTHERS


def export_refusal(store: Store, for_device: str | None = None) -> str | None:
    """The sentence ``export_bundle`` would refuse with before writing anything — nobody to
    give the file to, a revoked device, a district-limited one from a laptop — or None when a
    file can be written. Reads only: the screen asks before it asks for a folder."""
    require(may_sync(store.actor.role))
    with store.read() as s:
        conn = s.connection()
        me = ident.load(conn)
        roster = ident.roster_data(conn)
        try:
            target = find_device(roster, for_device) if for_device else None
            _deciders, readers = _audience(roster, me, target)
        except UserError as refusal:
            return refusal.message
        return None if readers else _nobody_to_read(roster, me, store.actor.role)


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # built once: 3 M calls
_encode_str = json.encoder.encode_basestring  # (what _encode does with a string, without its checks)


def _dump(value) -> bytes:
    if value is None:
        return b"null"
    if isinstance(value, int):
        return str(value).encode("ascii")
    if value.isascii() and '"' not in value and "\\" not in value and value.isprintable():
        return b'"' + value.encode("ascii") + b'"'  # ids, stamps, names of tables: nothing to escape
    return _encode(value).encode("utf-8")


def _columns():
    table = ChangeLog.__table__
    raw_base = sa.type_coerce(table.c.base, sa.Text)
    return (table.c.seq, table.c.entity, table.c.entity_id, table.c.op, table.c.hlc, table.c.staff_id,
            table.c.recorded_at, table.c.key_order, table.c.packed, raw_base, table.c.sealed, table.c.author_sig)


def _add(payload: Payload, origin: bytes, epoch: bytes, row, fields: str) -> None:
    seq, entity, entity_id, op, stamp, staff_id, recorded_at, _, _, base, sealed, *signed = row
    author_sig = signed[0] if signed else None  # (accounts and settings only: sync/authorship.py)
    payload.add_json(b"".join((
        b'{"base":', base.encode("utf-8"), b',"entity":', _dump(entity), b',"entity_id":', _dump(entity_id),
        b',"epoch":', epoch, b',"fields":', fields.encode("utf-8"), b',"hlc":', _dump(stamp),
        b',"op":', _dump(op), b',"origin":', origin, b',"recorded_at":', _dump(recorded_at.isoformat()),
        b',"seq":', _dump(seq), b',"staff_id":', _dump(staff_id),
        b'' if sealed is None else b',"sealed":' + _dump(sealed),
        b'' if author_sig is None else b',"author_sig":' + _dump(author_sig), b"}")), entity)


_FILL_SQL = ("SELECT seq, entity, entity_id, op, hlc, staff_id, recorded_at, key_order, packed, base, sealed, "
             "author_sig FROM change_log WHERE origin_device = ? AND epoch = ? AND seq BETWEEN ? AND ? ORDER BY seq")
_FILL_BATCH = 500  # changes resolved at a time: more kept a full export 10 MB higher (measured)


def fill_payload(conn: Connection, payload: Payload, ranges: list[dict], keep: Callable[[dict], bool] | None) -> None:
    """Stream the ranges into the payload. `fields` and `base` are spliced in as the JSON
    text the change log holds (`fields` as `changes_codec` gives it back: the same text as
    before storage v2): a council-wide bundle is mostly that text, and decoding it only to
    encode it again would double the export time. The change log is read as the driver's
    tuples and each change's line written as one string (the same bytes as `_add`): a full
    bundle is 500,000 of them."""
    orders = changes_codec.KeyOrders(conn)
    line, words = _line, _Words()
    cursor = conn.connection.cursor()
    try:
        for r in ranges:
            origin, epoch = _text_of(r["origin"]), str(r["epoch"])
            cursor.execute(_FILL_SQL, (r["origin"], r["epoch"], r["first"], r["last"]))
            while True:
                batch = cursor.fetchmany(_FILL_BATCH)
                if not batch:
                    break
                if keep is not None:
                    batch = [row for row in batch if keep({"entity": row[1], "entity_id": row[2]})]
                fields = changes_codec.resolve(conn, orders, [(row[1], row[2], row[7], row[8]) for row in batch])
                lines = [line(row, origin, epoch, values, words) for row, values in zip(batch, fields, strict=True)]
                payload.add_lines(lines, [row[1] for row in batch])
    finally:
        cursor.close()


def _line(row, origin: str, epoch: str, values: str, words: dict) -> str:
    """One change's JSON line from its change-log tuple (`_FILL_SQL`) and its values text: the
    same bytes as `_add` writes. Recorded times read as SQLAlchemy reads them."""
    seq, entity, entity_id, op, stamp, staff_id, at, _, _, base, sealed, author_sig = row
    if base.__class__ is not str:
        raise TypeError(f"change {seq}: base {base!r}")
    quote, text = _encode_str, _text_of
    tail = "}" if sealed is None and author_sig is None else (
        ("" if sealed is None else ',"sealed":' + text(sealed))
        + ("" if author_sig is None else ',"author_sig":' + text(author_sig)) + "}")
    return (f'{{"base":{base},"entity":{words[entity]},"entity_id":'
            f'{quote(entity_id) if entity_id.__class__ is str else text(entity_id)},"epoch":{epoch},'
            f'"fields":{values},"hlc":{quote(stamp) if stamp.__class__ is str else text(stamp)},'
            f'"op":{words[op]},"origin":{origin},"recorded_at":"{_when(at).isoformat()}","seq":{str(seq) if seq.__class__ is int else text(seq)},'
            f'"staff_id":{words[staff_id]}{tail}')


def _read_when():
    """A recorded time as SQLAlchemy reads it (the driver's text → datetime)."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    return ChangeLog.__table__.c.recorded_at.type.dialect_impl(dialect).result_processor(dialect, None)


_when = _read_when()


class _Words(dict):
    """`_text_of` of the few values met again and again (tables, operations, staff)."""

    def __missing__(self, value):
        text = _text_of(value)
        if len(self) < 4096:
            self[value] = text
        return text


def _text_of(value) -> str:
    """`_dump` as text: a JSON string (or null, or a whole number)."""
    if value.__class__ is str:
        return _encode_str(value)
    if value is None:
        return "null"
    return _dump(value).decode()


def _meetings_entering(conn: Connection, ranges: list[dict], covered: dict[str, set[str]]) -> dict[str, set[str]]:
    """Issue 18: a case added to a recorded meeting (conferences.add_case) can bring the meeting
    into a laptop's districts after its knowledge passed the meeting's creation. The meeting, its
    members and its handout register then go along (like a household that moved in), or the new
    case would arrive without the meeting it belongs to."""
    table = ChangeLog.__table__
    meetings: set[str] = set()
    for r in ranges:
        case_ids = conn.execute(sa.select(table.c.entity_id).where(
            table.c.origin_device == r["origin"], table.c.epoch == r["epoch"], table.c.op == "insert",
            table.c.seq.between(r["first"], r["last"]), table.c.entity == "conference_case")).scalars().all()
        for start in range(0, len(case_ids), CHUNK):
            meetings |= {m for case_id, m in conn.execute(sa.select(ConferenceCase.id, ConferenceCase.conference_id)
                                                          .where(ConferenceCase.id.in_(case_ids[start:start + CHUNK])))
                         if case_id in covered.get("conference_case", ()) and m in covered.get("conference", ())}
    if not meetings:
        return {}
    return {"conference": meetings,
            "conference_member": {r.id for r in conn.execute(sa.select(ConferenceMember.id, ConferenceMember.conference_id)
                                                             .where(ConferenceMember.conference_id.in_(sorted(meetings))))},
            "handout_copy": {r.id for r in conn.execute(sa.select(HandoutCopy.id, HandoutCopy.conference_id)
                                                        .where(HandoutCopy.conference_id.in_(sorted(meetings))))}}


def _fill_entering(conn: Connection, payload: Payload, ranges: list[dict], covered: dict[str, set[str]]) -> None:
    """For a district-limited laptop: a household that moved into its districts (or whose
    district moved under one of them) goes with its whole history and everything hanging on
    it. The laptop's knowledge passed those changes while they were outside its districts, so
    the ranges alone brought the later changes without the records they change — a visit to
    the household broke every import on the laptop from then on. The declared ranges are
    widened down to the earliest change sent (a district-limited bundle's range is filtered
    to the scope anyway)."""
    table = ChangeLog.__table__
    entering: set[str] = set()
    moved: set[str] = set()
    for r in ranges:
        for change in changes_codec.stream(conn, sa.select(table).where(
                table.c.origin_device == r["origin"], table.c.epoch == r["epoch"], table.c.op == "update",
                table.c.seq.between(r["first"], r["last"]), table.c.entity.in_(("household", "district")))):
            entity, entity_id, fields = change.entity, change.entity_id, change.fields
            if entity == "household" and "district_id" in fields and entity_id in covered["household"]:
                entering.add(entity_id)
            elif entity == "district" and "parent_id" in fields:
                moved.add(entity_id)
    if moved:
        under = sorted(with_subdistricts(conn, sorted(moved)))
        entering |= {h for h in conn.execute(sa.select(Household.id).where(Household.district_id.in_(under))).scalars()
                     if h in covered["household"]}
    meetings = _meetings_entering(conn, ranges, covered)
    if not entering and not meetings:
        return
    records = records_of(conn, entering) if entering else {}
    for entity, ids in meetings.items():
        records[entity] = records.get(entity, set()) | ids
    by_key = {(r["origin"], r["epoch"]): r for r in ranges}
    extra = []
    for entity, ids in records.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):
            found = conn.execute(sa.select(table.c.origin_device, table.c.epoch, *_columns()).where(
                table.c.entity == entity, table.c.entity_id.in_(ordered[start:start + CHUNK]))).all()
            for change, fields in zip(found, changes_codec.texts(conn, found), strict=True):
                origin, epoch, *row = change
                r = by_key.get((origin, epoch))
                if r is None or row[0] < r["first"]:  # (inside a range it is in the payload already)
                    extra.append((origin, epoch, row, fields))
    for origin, epoch, row, fields in extra:
        r = by_key.get((origin, epoch))
        if r is None:
            r = by_key[(origin, epoch)] = {"origin": origin, "epoch": epoch, "first": row[0], "last": row[0]}
            ranges.append(r)
        r["first"], r["last"] = min(r["first"], row[0]), max(r["last"], row[0])
        _add(payload, _dump(origin), _dump(epoch), row, fields)


def export_bundle(store: Store, folder: Path, *, for_device: str | None = None, full: bool = False,
                  progress: Progress | None = None) -> Exported:
    require(may_sync(store.actor.role))
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidInput(f"書き出し先のフォルダ「{folder}」が見つかりません。USBメモリが差さっているか確かめてください。")
    with store.write() as w:
        conn = w.conn
        me = ident.load(conn)
        signed = ident.current_roster(conn)
        roster = signed.data
        target = find_device(roster, for_device) if for_device else None
        deciders, readers = _audience(roster, me, target)
        if not readers:
            raise InvalidInput(_nobody_to_read(roster, me, store.actor.role))
        ours = knowledge.own(conn)
        theirs = {} if full else knowledge.minimum([knowledge.of_peer(conn, roster, d["device_id"]) for d in deciders])
        ranges = []
        for key, last in sorted(ours.items()):
            origin, epoch = knowledge.split(key)
            if me.scope and origin != me.device_id:
                continue  # a laptop holds only part of the others' changes: it passes on its own
            first = theirs.get(key, 0) + 1
            if first <= last:
                ranges.append({"origin": origin, "epoch": epoch, "first": first, "last": last})
        if progress:
            progress(0, 3, "変更を集めています")
        scope = target["scope"] if target else []
        covered = scope_records(conn, scope) if scope else None
        declared = dict(ours)
        if covered is None:  # (a district-limited laptop takes the office's word: exchange/origins.py)
            ranges = chains.attach(conn, me, roster, ranges, declared)
        payload = Payload()
        fill_payload(conn, payload, ranges, predicate(covered) if covered is not None else None)
        if covered is not None:
            _fill_entering(conn, payload, ranges, covered)
        # A district-limited laptop's bundles are its own chain: nobody else can open them.
        chain = target["device_id"] if target is not None and target["scope"] else COUNCIL_CHAIN
        abandoned = _abandon_unfinished(w, me, chain)
        last, prev = _chain_tip(conn, me, chain)
        seq = last + 1
        manifest = make_manifest(
            council_id=me.council_id, schema_version=migrate.head_revision(), device_id=me.device_id,
            epoch=me.epoch, seq=seq, prev_bundle_hash=prev, ranges=ranges, knowledge=declared,
            roster_version=roster["version"])
        manifest.update(roster=signed.to_json(), scope=sorted(scope), sender_name=me.name,
                        audience=[d["device_id"] for d in deciders])
        if chain != COUNCIL_CHAIN:
            manifest["chain"] = chain
        if abandoned:
            manifest["abandoned"] = abandoned
        known_clones = clones.claims(conn)  # copies of an installation we know of (exchange/clones.py)
        if known_clones:
            manifest["clones"] = known_clones
        # Our audit log's head, and what we saw of the readers' (store/audit_witness.py).
        manifest.update(audit_witness.manifest_part(conn, me.device_id, me.epoch, [d["device_id"] for d in readers]))
        # Reporters' sheets on their way to the office (exchange/drops.py).
        manifest.update(carried_drops.manifest_part(store, conn, me, roster, target, readers, manifest))
        if progress:
            progress(1, 3, "暗号化しています")
        # Ourselves too: a copy of this disk (a clone) must be recognisable when its bundles arrive.
        recipients = [me.keys.recipient] + [d["recipient"] for d in readers] + [roster["recovery_recipient"]]
        count = payload.count
        data, digest = pack_bundle_hashed(manifest, payload, me.keys, recipients)
        name = bundle_file_name(me.council_id, me.name, me.device_id, me.epoch, seq,
                                for_device=None if chain == COUNCIL_CHAIN else (target["name"], chain))
        # The number and the hash are ours before any file can exist: whatever happens from here
        # on, no other content is ever issued under this number of this chain (a receiver would
        # see a fork).
        if chain == COUNCIL_CHAIN:
            ident.set_state(conn, bundle_seq=seq, last_bundle_hash=digest)
        conn.execute(SyncBundle.__table__.insert(), dict(
            bundle_hash=digest, direction="out", sender=me.device_id, epoch=me.epoch, seq=seq, at=clock.utcnow(),
            file_name=name, changes=count, applied=0, conflicts=0, state=RESERVED, chain=chain))
        audit_witness.note_exported(conn, manifest, digest)
    if progress:
        progress(2, 3, "書き込んでいます")
    path = write_bundle_file(folder, name, data)
    with store.write() as w:
        conn = w.conn
        table = SyncBundle.__table__
        conn.execute(table.update().where(table.c.bundle_hash == digest, table.c.state == RESERVED)
                     .values(state=WRITTEN))
        at = clock.utcnow()
        for d in deciders:
            _touch_peer(conn, d["device_id"], last_out_seq=seq, last_out_at=at)
        w.audit("sync.export", detail={"file": name, "changes": count, "for": target["name"] if target else "",
                                       "full": full})
    if progress:
        progress(3, 3, "書き出しました")
    return Exported(path, seq, count, len(data), [d["name"] for d in readers])


def _chain_tip(conn: Connection, me: ident.Identity, chain: str) -> tuple[int, str | None]:
    """The number and hash of the chain's last bundle in the current epoch (reserved and
    abandoned ones included: their hash is the chain's), or (0, None) before its first.

    The council chain's are device_state.bundle_seq and last_bundle_hash. A district laptop's
    chain that has no bundle yet in this epoch branches from the last bundle written before
    chains existed (sync_bundle.chain NULL, schema 0008 and older), if any: up to there every
    bundle of the epoch was in one chain, and the laptop may hold some of its numbers."""
    if chain == COUNCIL_CHAIN:
        return me.bundle_seq, me.last_bundle_hash
    table = SyncBundle.__table__
    ours = (table.c.direction == "out") & (table.c.sender == me.device_id) & (table.c.epoch == me.epoch)
    for which in (table.c.chain == chain, table.c.chain.is_(None)):
        row = conn.execute(sa.select(table.c.seq, table.c.bundle_hash).where(ours, which)
                           .order_by(table.c.seq.desc()).limit(1)).first()
        if row is not None:
            return row.seq, row.bundle_hash
    return 0, None


def _abandon_unfinished(w, me: ident.Identity, chain: str) -> list[int]:
    """Our bundles still only reserved — an export killed or failed after its number was
    committed — become abandoned, whatever their chain; returns the abandoned numbers of the
    current epoch in this chain (and in the one chain of before 0009) that the next manifest
    declares (the most recent MAX_ABANDONED). A reserved file may in fact have reached a stick
    before the process died: it stays valid (its hash is the chain's), and a receiver that gets
    it imports it; "abandoned" only tells receivers not to wait for it."""
    conn = w.conn
    table = SyncBundle.__table__
    ours = (table.c.direction == "out") & (table.c.sender == me.device_id)
    stale = conn.execute(sa.select(table.c.epoch, table.c.seq, table.c.file_name)
                         .where(ours, table.c.state == RESERVED).order_by(table.c.epoch, table.c.seq)).all()
    if stale:
        conn.execute(table.update().where(ours, table.c.state == RESERVED).values(state=ABANDONED))
        w.audit("sync.export_abandoned", detail={"files": [r.file_name for r in stale],
                                                 "numbers": [r.seq for r in stale]})
    in_chain = (table.c.chain == chain) | table.c.chain.is_(None)
    return sorted(conn.execute(sa.select(table.c.seq).where(ours, in_chain, table.c.epoch == me.epoch,
                                                           table.c.state == ABANDONED)
                               .order_by(table.c.seq.desc()).limit(MAX_ABANDONED)).scalars())


def _touch_peer(conn: Connection, device_id: str, **values) -> None:
    table = SyncPeer.__table__
    if conn.execute(table.update().where(table.c.device_id == device_id), values).rowcount == 0:
        conn.execute(table.insert(), {"device_id": device_id, "knowledge": None, **values})
