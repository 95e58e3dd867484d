"""Reporters' sheets travel towards the office in bundles (issue 16; docs/sync-protocol.md,
"Reporters' sheets in bundles").

A reporter's drop file (store/dropbox.py) is sealed to the coordinators and admins with a key
on the installation where it was written and to the office installation (its age recipient,
from the signed roster). On a laptop where only staff unlock nobody can open it there, so every
installation but the office carries its unfiled drop files in its bundles (manifest `drops`:
the file's bytes as they are, base64), bounded by sync/bundle.py's MAX_DROPS… limits. Whoever
imports one keeps it in its own ``dropbox/`` (so it is carried on, possibly relayed); the
office's coordinators and admins file it (services/drops.py) after the import or at unlock;
each installation deletes its copy once the sheet came back by sync.

**Who vouches for the sender.** The office knows its own accounts' keys only: a reporter's key
pair on a laptop is the laptop's. So the installation where the drop was written (whose
keys.json holds that key as the reporter's) signs, with its device key, that the key is the
reporter's there: the *endorsement*, kept inside the drop file's JSON (outside the sealed
header, which it does not change) and carried with it. It binds the council, the device, the
drop id, the login and the public key. The office accepts the sender's key when its own
keys.json has it or a device of the roster that is not revoked endorsed it; a device of the
roster could thus vouch for a key of its own making (as it could write a sheet in a reporter's
name itself: exchange/authors.py); the filing's audit entry names the device.

**Receiving.** Everything about one carried drop is judged on its own and a wrong one is left
out with a sentence in the import's summary: a bundle's other drops and its changes are taken
all the same (a relay cannot open what it passes on). Only a `drops` list that is not a list or
longer than MAX_DROPS refuses the bundle (sync/bundle.py, like the other manifest lists).

**Acknowledgements.** A district-limited laptop gets the sheet back only if it joins its
districts. So the office's bundles for such a laptop list the ids of reporters' sheets it filed
recently (`drops_filed`); the laptop then stops carrying those drops and moves them to
``dropbox/delivered/`` (the reporter's list shows 事務局で受け付け済み)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from sqlalchemy.engine import Connection

from shakyo_desk.domain import clock, safe_file
from shakyo_desk.domain.errors import StoreError
from shakyo_desk.domain.file_errors import write_reason
from shakyo_desk.domain.roles import Role
from shakyo_desk.store import dropbox
from shakyo_desk.store.models import ConcernSheet, Staff
from shakyo_desk.sync import roster as rosters
from shakyo_desk.sync.bundle import (MAX_DROP_BYTES, MAX_DROPS, MAX_DROPS_BYTES, MAX_DROPS_FILED,
                                     MAX_MANIFEST_BYTES, canonical_json, public_key_from)

ENDORSEMENT = "endorsement"  # key of the drop file's JSON: {"device", "sig"}
ENDORSE_CONTEXT = b"shakyo-desk drop endorsement v1\x00"
FILED_WINDOW_DAYS = 180  # how long the office acknowledges a filed drop to district laptops
# What the manifest gets after this module's part (recipients, payload, counts): far less.
_MANIFEST_ROOM = 256 << 10
_MAX_DATA_CHARS = 4 * ((MAX_DROP_BYTES + 2) // 3)  # base64 of MAX_DROP_BYTES

# Why a carried drop was left out (the import summary; the rest of the file is taken).
LEFT_OUT = "同期ファイルに入っていた報告者の把握シートのうち{n}件は、{why}ため受け取りませんでした（ほかの内容は取り込みました）。"
WHY = {
    "shape": "形式が正しくない（壊れているか社協デスクが作ったものではない）",
    "size": "大きすぎる",
    "council": "別の社協のものである",
    "vouch": "作られた端末の確認（端末名簿にある端末の署名）がない",
}
NOT_WRITTEN = ("同期ファイルに入っていた報告者の把握シートを、この端末に保存できませんでした（{error}）。"
               "送り主の端末は次の同期でもう一度送ります。")


# ---- the endorsement ---------------------------------------------------------------------------


def _message(doc: dict, device_id: str) -> bytes:
    return ENDORSE_CONTEXT + canonical_json([doc["store_id"], device_id, doc["id"], doc["from"], doc["from_public"]])


def vouched_public(doc: dict, roster: dict) -> bytes | None:
    """The sender's public key, if a device of the roster that is not revoked endorsed it."""
    mark = doc.get(ENDORSEMENT)
    if not isinstance(mark, dict) or not isinstance(mark.get("device"), str) or not isinstance(mark.get("sig"), str):
        return None
    entry = rosters.device(roster, mark["device"])
    if entry is None or entry["revoked_at"] is not None:
        return None
    try:
        public_key_from(entry["public_key"]).verify(base64.b64decode(mark["sig"], validate=True),
                                                    _message(doc, mark["device"]))
        return base64.b64decode(doc["from_public"], validate=True)
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return None


def _own_reporter_key(keyfile, doc: dict) -> bool:
    """The drop's sender key is a reporter's key in this installation's keys.json (now or
    before a passphrase change)."""
    login = doc["from"]
    if not keyfile.is_reporter(login):
        return False
    entry = keyfile.accounts.get(login) or {}
    publics = {entry.get("public")} | {p.get("public") for p in entry.get("previous") or () if isinstance(p, dict)}
    return doc["from_public"] in publics - {None}


def _endorsed(path: Path, data: bytes, doc: dict, me, keyfile) -> bytes | None:
    """The drop file with this installation's endorsement written into it (atomically, unless the
    file changed meanwhile), or None when its sender is not one of our reporters."""
    if not _own_reporter_key(keyfile, doc):
        return None
    whole = json.loads(data.decode("utf-8"))
    whole[ENDORSEMENT] = {"device": me.device_id,
                          "sig": base64.b64encode(me.keys.signing_key.sign(_message(doc, me.device_id))).decode("ascii")}
    endorsed = json.dumps(whole, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    try:
        if path.read_bytes() != data:
            return None  # sealed again by the reporter meanwhile: the next export takes it
        safe_file.write_atomic(path, endorsed)
    except OSError:
        return None
    return endorsed


def office_entry(conn: Connection) -> dict:
    """For the drop box's catalogue (services/drop_status.py): the office installation's age
    recipient from the signed roster, which a reporter's sheet is sealed to (dropbox.py); {} for
    a store without a roster."""
    from shakyo_desk.store.exchange import identity as ident

    try:
        roster = ident.roster_data(conn)
    except StoreError:
        return {}
    entry = rosters.device(roster, rosters.office_device_id(roster) or "")
    if entry is None:
        return {}
    return {"office": {"device_id": entry["device_id"], "recipient": entry["recipient"]}}


# ---- export ------------------------------------------------------------------------------------


def manifest_part(store, conn: Connection, me, roster: dict, target: dict | None, readers: list[dict],
                  manifest: dict) -> dict:
    """What a bundle carries of the drop box: this installation's unfiled drops when the office
    can read the bundle (not from the office itself: it is where they go), and at the office, in a
    bundle for a district-limited laptop, the ids of the reporters' sheets it filed recently."""
    if me.is_office:
        if target is not None and target["scope"]:
            filed = filed_ids(conn)
            return {"drops_filed": filed} if filed else {}
        return {}
    if rosters.office_device_id(roster) not in {d["device_id"] for d in readers}:
        return {}
    room = (MAX_MANIFEST_BYTES - len(canonical_json(manifest)) - _MANIFEST_ROOM) * 3 // 4
    drops = outgoing(store, conn, me, roster, min(MAX_DROPS_BYTES, room))
    return {"drops": drops} if drops else {}


def outgoing(store, conn: Connection, me, roster: dict, budget: int) -> list[dict]:
    """Unfiled drop files, oldest first (ids are time-ordered), within the limits: a drop that does
    not fit waits for a later bundle; one this installation cannot vouch for stays here."""
    files = dropbox.sheet_files(store.layout.root)
    ids = [p.name[: -len(dropbox.SHEET_SUFFIX)] for p in files]
    held = set(conn.execute(sa.select(ConcernSheet.id).where(ConcernSheet.id.in_(ids))).scalars()) if ids else set()
    out: list[dict] = []
    total = 0
    for path, drop_id in zip(files, ids):
        if len(out) >= MAX_DROPS:
            break
        if drop_id in held or not dropbox.valid_id(drop_id):
            continue
        try:
            if path.stat().st_size > MAX_DROP_BYTES:
                continue
            data = path.read_bytes()
            doc = dropbox.read_header(data)
        except (OSError, dropbox.DropError):
            continue
        if doc["id"] != drop_id or doc["kind"] != "sheet" or doc["store_id"] != me.council_id:
            continue
        if vouched_public(doc, roster) is None:
            data = _endorsed(path, data, doc, me, store.keyfile)
            if data is None:
                continue
        if len(data) > MAX_DROP_BYTES or total + len(data) > budget:
            continue
        out.append({"id": drop_id, "data": base64.b64encode(data).decode("ascii")})
        total += len(data)
    return out


def filed_ids(conn: Connection) -> list[str]:
    """Reporters' sheets filed here in the last FILED_WINDOW_DAYS, newest first (at most
    MAX_DROPS_FILED): a reporter files only through the drop box."""
    since = clock.utcnow() - timedelta(days=FILED_WINDOW_DAYS)
    reporters = sa.select(Staff.id).where(Staff.role == Role.REPORTER.value)
    return list(conn.execute(sa.select(ConcernSheet.id).where(
        ConcernSheet.noticed_by.in_(reporters), ConcernSheet.created_at >= since)
        .order_by(ConcernSheet.created_at.desc()).limit(MAX_DROPS_FILED)).scalars())


# ---- import ------------------------------------------------------------------------------------


@dataclass
class Carried:
    """What an imported bundle brought for the drop box, written after its transaction commits."""

    drops: list[tuple[str, bytes]] = field(default_factory=list)  # (id, drop file bytes)
    filed: list[str] = field(default_factory=list)  # ids the office says it filed

    def __bool__(self) -> bool:
        return bool(self.drops or self.filed)


def _judge(entry, me, roster: dict) -> tuple[str, bytes] | str:
    """(id, bytes) of a carried drop that may be kept, or the WHY key of its fault."""
    if not isinstance(entry, dict) or not entry.keys() <= {"id", "data"} \
            or not isinstance(entry.get("id"), str) or not isinstance(entry.get("data"), str):
        return "shape"
    if not dropbox.valid_id(entry["id"]):  # (never a path: only a uuid names a file)
        return "shape"
    if len(entry["data"]) > _MAX_DATA_CHARS:
        return "size"
    try:
        data = base64.b64decode(entry["data"].encode("ascii"), validate=True)
        doc = dropbox.read_header(data)
    except (ValueError, UnicodeEncodeError, binascii.Error, dropbox.DropError):
        return "shape"
    if len(data) > MAX_DROP_BYTES:
        return "size"
    if doc["id"] != entry["id"] or doc["kind"] != "sheet":
        return "shape"
    if doc["store_id"] != me.council_id:
        return "council"
    if vouched_public(doc, roster) is None:
        return "vouch"
    return entry["id"], data


def received(conn: Connection, me, roster: dict, manifest: dict, sender: str, notes: list[str]) -> Carried:
    """Inside the import's transaction: the carried drops worth keeping here (not filed yet, not
    held already) and the office's acknowledgements. Faults go into ``notes``, one sentence per
    kind; nothing here refuses the bundle."""
    carried = Carried()
    entries = manifest.get("drops") or []
    faults: dict[str, int] = {}
    wanted: dict[str, bytes] = {}
    for entry in entries:
        judged = _judge(entry, me, roster)
        if isinstance(judged, str):
            faults[judged] = faults.get(judged, 0) + 1
        else:
            wanted.setdefault(*judged)
    notes.extend(LEFT_OUT.format(n=n, why=WHY[why]) for why, n in faults.items())
    if wanted:
        held = set(conn.execute(sa.select(ConcernSheet.id).where(ConcernSheet.id.in_(sorted(wanted)))).scalars())
        carried.drops = [(i, d) for i, d in wanted.items() if i not in held]
    if sender == rosters.office_device_id(roster) and not me.is_office:
        carried.filed = [i for i in manifest.get("drops_filed") or () if dropbox.valid_id(i)]
    return carried


def _set_aside_already(root: Path) -> set[str]:
    """Digests of the drop files quarantined here: the same file carried again is not taken."""
    base = dropbox.quarantine_folder(root)
    if not base.is_dir():
        return set()
    out = set()
    for path in base.iterdir():
        if path.name.endswith(dropbox.SHEET_SUFFIX) and path.is_file():
            try:
                out.add(hashlib.sha256(path.read_bytes()).hexdigest())
            except OSError:
                continue
    return out


def keep(root: Path, carried: Carried, notes: list[str]) -> int:
    """After the import committed: write the carried drops into ``dropbox/`` (owner-only,
    atomically; a drop already here, delivered or quarantined is left alone) and move the drops
    the office filed to ``dropbox/delivered/``. Never raises; returns the drops written."""
    base, written = dropbox.folder(root), 0
    aside = _set_aside_already(root) if carried.drops else set()
    try:
        for drop_id, data in carried.drops:
            name = drop_id + dropbox.SHEET_SUFFIX
            if (base / name).exists() or (dropbox.delivered_folder(root) / name).exists() \
                    or hashlib.sha256(data).hexdigest() in aside:
                continue
            safe_file.make_private_dir(base)
            safe_file.restrict_dir(base)
            safe_file.write_atomic(base / name, data)
            written += 1
        moved = False
        for drop_id in carried.filed:
            source = base / (drop_id + dropbox.SHEET_SUFFIX)
            if source.is_file():
                target = dropbox.delivered_folder(root)
                safe_file.make_private_dir(target)
                safe_file.restrict_dir(target)
                source.replace(target / source.name)
                moved = True
        if moved:
            safe_file.fsync_dir(base)
            safe_file.fsync_dir(dropbox.delivered_folder(root))
    except OSError as error:
        notes.append(NOT_WRITTEN.format(error=write_reason(error) or "ディスクに書き込めません"))
    return written
