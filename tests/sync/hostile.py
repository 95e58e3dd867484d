"""What an enrolled laptop turned hostile can put in a file (issue 15): it holds its own real
signing key and every device's public age recipient, so it can sign and encrypt anything —
changes claiming another device's origin or an admin's account, ranges it does not carry, its
own genuine bundles reordered, cut short, nested or inflated, and changes of other devices
altered as it passes them on. Used by tests/sync/test_hostile_device.py.

Every function writes one file into `folder` and returns its path, or None when the store
offers nothing to forge that way (the caller then makes no file)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from shakyo_desk.store import changes_codec

from shakyo_desk.domain.ids import new_id
from shakyo_desk.store import migrate
from shakyo_desk.store.exchange import chains, exporting, knowledge
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange.apply import to_wire
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.models import ChangeLog
from shakyo_desk.sync import chain
from shakyo_desk.sync import roster as rosters
from shakyo_desk.sync.bundle import (
    canonical_json,
    make_manifest,
    open_bundle,
    pack_bundle,
    write_bundle_file,
)
from tests.sync.test_hostile_input import forge, full_manifest, nested_manifest

RECORDED_AT = "2026-12-07T09:00:00"


def chain_step(value: bytes, change: dict) -> bytes:
    """The chain value after `change` (a wire change), as every store computes it."""
    return chain.step(value, chains.wire_digest(change))


# ---- reading a store --------------------------------------------------------------------------


def me(store) -> ident.Identity:
    with store.read() as s:
        return ident.load(s.connection())


def known(store, origin: str, epoch: int) -> int:
    with store.read() as s:
        return knowledge.own(s.connection()).get(f"{origin}:{epoch}", 0)


def knowledge_of(store) -> dict[str, int]:
    with store.read() as s:
        return knowledge.own(s.connection())


def tip(store, origin: str, epoch: int, seq: int) -> bytes | None:
    """The chain value of (origin, epoch) after `seq` over the changes this store holds, as
    anyone holding them computes it (a store keeps the values of changes received from their
    origin only once it needs them: chains.fill). None when one of them is not held."""
    table = ChangeLog.__table__
    value = chain.genesis(origin, epoch)
    with store.read() as s:
        rows = changes_codec.rows(s.connection(), table.c.origin_device == origin, table.c.epoch == epoch,
                                  table.c.seq <= seq, order_by=(table.c.seq,))
    if [r.seq for r in rows] != list(range(1, seq + 1)):
        return None
    for row in rows:
        value = chain_step(value, to_wire(row))
    return value


def held_change(store, origin: str, epoch: int, seq: int) -> dict | None:
    """One held change as it travels (wire form)."""
    with store.read() as s:
        rows = changes_codec.rows(s.connection(), ChangeLog.origin_device == origin, ChangeLog.epoch == epoch,
                                  ChangeLog.seq == seq)
    return to_wire(rows[0]) if rows else None


# ---- building changes and files ---------------------------------------------------------------


def stamp(origin: str, n: int = 0) -> str:
    return f"{1_796_600_000_000 + n:015d}.000000.{origin}"


def wire(origin: str, epoch: int, seq: int, entity: str, entity_id: str, op: str, fields: dict,
         staff_id: str | None, n: int = 0) -> dict:
    return {"origin": origin, "epoch": epoch, "seq": seq, "entity": entity, "entity_id": entity_id, "op": op,
            "fields": fields, "base": {}, "hlc": stamp(origin, n), "staff_id": staff_id, "recorded_at": RECORDED_AT}


def chained(changes: list[dict], start: bytes, signer) -> dict:
    """A range's chain entry over `changes` from `start`, its head signed by `signer`'s key
    (the origin's own key only when the hostile device forges its own origin)."""
    value = start
    for c in changes:
        value = chain_step(value, c)
    last = changes[-1]
    return {"from": start.hex(), "head": value.hex(),
            "sig": chain.sign_head(signer.keys.signing_key, last["origin"], last["epoch"], last["seq"], value)}


def span(changes: list[dict], entry: dict | None = None) -> dict:
    first, last = changes[0], changes[-1]
    r = {"origin": first["origin"], "epoch": first["epoch"], "first": first["seq"], "last": last["seq"]}
    if entry is not None:
        r["chain"] = entry
    return r


def signed_bundle(hostile, receiver, folder: Path, name: str, changes: list[dict], ranges: list[dict], *,
                  number: int = 1, declared: dict | None = None) -> Path:
    """A well-formed bundle signed with the hostile device's real key, encrypted to the
    receiver and itself: everything but its content is as the app would write it."""
    h, r = me(hostile), me(receiver)
    manifest = make_manifest(council_id=h.council_id, schema_version=migrate.head_revision(), device_id=h.device_id,
                             epoch=h.epoch, seq=number, prev_bundle_hash=None if number == 1 else "ab" * 32,
                             ranges=ranges, knowledge=declared or {}, roster_version=1)
    data = pack_bundle(manifest, changes, h.keys, [r.keys.recipient, h.keys.recipient])
    folder.mkdir(parents=True, exist_ok=True)
    return write_bundle_file(folder, name, data)


def raw_bundle(hostile, receiver, folder: Path, name: str, manifest: dict | bytes, payload: bytes) -> Path:
    """A container laid out by hand (manifest bytes as given), signed by the hostile device."""
    h, r = me(hostile), me(receiver)
    recipients = [r.keys.recipient, h.keys.recipient]
    manifest_bytes = manifest if isinstance(manifest, bytes) else canonical_json(manifest)
    folder.mkdir(parents=True, exist_ok=True)
    return write_bundle_file(folder, name, forge(h.keys, manifest_bytes, payload, recipients))


def base_manifest(hostile, number: int = 1) -> dict:
    h = me(hostile)
    return make_manifest(council_id=h.council_id, schema_version=migrate.head_revision(), device_id=h.device_id,
                         epoch=h.epoch, seq=number, prev_bundle_hash=None if number == 1 else "ab" * 32,
                         ranges=[], knowledge={}, roster_version=1)


# ---- forgeries --------------------------------------------------------------------------------


def forged_origin(hostile, receiver, victim, folder: Path, name: str, *, variant: str, staff: dict[str, str],
                  household: str, number: int = 1) -> Path | None:
    """A change claiming `victim`'s origin. Variants:
    - "unsigned": the next change of the victim the receiver lacks, no chain entry;
    - "self-signed": the same with a chain that continues the receiver's and a head signed by
      the hostile device's own key;
    - "promotion": the office's origin and an admin raising the reporter to admin, self-signed;
    - "rewrite": a change the receiver already holds, other content, self-signed."""
    v = me(victim)
    origin, epoch = v.device_id, v.epoch
    k = known(receiver, origin, epoch)
    if variant == "rewrite":
        if k == 0:
            return None
        held = held_change(receiver, origin, epoch, k)
        start = tip(receiver, origin, epoch, k - 1)
        if held is None or start is None:
            return None
        change = dict(held, entity="household", entity_id=household, op="update",
                      fields={"notes": "なりすましで書き換えたメモ"})
        change.pop("sealed", None)
    else:
        start = tip(receiver, origin, epoch, k)
        if start is None:
            return None
        if variant == "promotion":
            change = wire(origin, epoch, k + 1, "staff", staff["houkoku"], "update", {"role": "admin"}, staff["admin"])
        else:
            change = wire(origin, epoch, k + 1, "household", household, "update",
                          {"notes": f"なりすましのメモ {name}"}, staff["admin"])
    entry = None if variant == "unsigned" else chained([change], start, me(hostile))
    return signed_bundle(hostile, receiver, folder, name, [change], [span([change], entry)], number=number)


def forged_author(hostile, receiver, folder: Path, name: str, *, variant: str, staff: dict[str, str],
                  household: str, number: int = 1) -> Path | None:
    """A change of the hostile device's own origin, correctly chained and signed with its own
    key, at the next seq the receiver lacks — only its author is wrong. Variants:
    - "promotion": the admin raises the reporter to admin (accounts only at the office);
    - "new admin": an admin account inserted;
    - "ghost": a household note by an account nobody created;
    - "reporter": a household note by the reporter account."""
    h = me(hostile)
    k = known(receiver, h.device_id, h.epoch)
    start = tip(receiver, h.device_id, h.epoch, k)
    if start is None:
        return None
    if variant == "promotion":
        change = wire(h.device_id, h.epoch, k + 1, "staff", staff["houkoku"], "update", {"role": "admin"},
                      staff["admin"])
    elif variant == "new admin":
        account = new_id()
        change = wire(h.device_id, h.epoch, k + 1, "staff", account, "insert",
                      {"id": account, "login": f"evil-{account[-8:]}", "display_name": "乗っ取り", "role": "admin",
                       "section": "", "district_ids": [], "disabled_at": None}, staff["admin"])
    else:
        author = new_id() if variant == "ghost" else staff["houkoku"]
        change = wire(h.device_id, h.epoch, k + 1, "household", household, "update",
                      {"notes": f"権限のないメモ {name}"}, author)
    return signed_bundle(hostile, receiver, folder, name, [change], [span([change], chained([change], start, h))],
                         number=number)


def claimed_range(hostile, receiver, victim, folder: Path, name: str, *, variant: str,
                  number: int = 1) -> Path | None:
    """Ranges declared but not carried. Variants:
    - "own": three of its own changes past what the receiver holds, none carried;
    - "own signed": the same with a valid head signed over the unchanged chain value;
    - "victim": the victim's next five changes, none carried, a made-up head;
    - "held": the victim's changes the receiver holds already, none carried."""
    h = me(hostile)
    if variant in ("own", "own signed"):
        origin, epoch = h.device_id, h.epoch
    else:
        v = me(victim)
        origin, epoch = v.device_id, v.epoch
    k = known(receiver, origin, epoch)
    if variant == "held":
        if k == 0:
            return None
        ranges = [{"origin": origin, "epoch": epoch, "first": 1, "last": k}]
    else:
        ranges = [{"origin": origin, "epoch": epoch, "first": k + 1, "last": k + (3 if variant != "victim" else 5)}]
    start = tip(receiver, origin, epoch, k)
    if variant == "own signed" and start is not None:
        last = ranges[0]["last"]
        ranges[0]["chain"] = {"from": start.hex(), "head": start.hex(),
                              "sig": chain.sign_head(h.keys.signing_key, origin, epoch, last, start)}
    elif variant == "victim" and start is not None:
        ranges[0]["chain"] = {"from": start.hex(), "head": "0f" * 32,
                              "sig": chain.sign_head(h.keys.signing_key, origin, epoch, ranges[0]["last"], start)}
    return signed_bundle(hostile, receiver, folder, name, [], ranges, number=number)


def reopened(hostile, path: Path):
    """A bundle the hostile device wrote, opened with its own identity (it is a recipient)."""
    h = me(hostile)
    with hostile.read() as s:
        trusted = rosters.trusted_keys(ident.roster_data(s.connection()))
    return open_bundle(path.read_bytes(), h.keys, trusted, h.council_id)


def repacked(hostile, genuine: Path, folder: Path, name: str, *, variant: str) -> Path | None:
    """A genuine bundle of the hostile device, changed and signed again with its key. Variants:
    - "reorder": two changes of one range swapped;
    - "drop last": the last change left out, the ranges as declared;
    - "cut relayed": a relayed range (another origin's) ended one change early, its head kept;
    - "cut payload": the compressed payload cut in half, the manifest as before;
    - "cut file": the encrypted file cut short;
    - "unchained": its own ranges sent without their chain entries (genuine changes, but an
      epoch that has a chain presented as one from before chains existed)."""
    if variant == "cut file":
        data = genuine.read_bytes()
        folder.mkdir(parents=True, exist_ok=True)
        return write_bundle_file(folder, name, data[: len(data) * 2 // 3])
    opened = reopened(hostile, genuine)
    manifest = {k: v for k, v in opened.manifest.items() if k not in ("format_version", "recipients", "payload",
                                                                       "counts")}
    changes = list(opened.changes)
    recipients = opened.manifest["recipients"]
    if variant == "reorder":
        by_range = {}
        for i, c in enumerate(changes):
            by_range.setdefault((c["origin"], c["epoch"]), []).append(i)
        pairs = [idx for idx in by_range.values() if len(idx) >= 2]
        if not pairs:
            return None
        i, j = pairs[0][0], pairs[0][1]
        changes[i], changes[j] = changes[j], changes[i]
    elif variant == "unchained":
        h = me(hostile)
        own = [r for r in manifest["ranges"] if r["origin"] == h.device_id and "chain" in r]
        if not own:
            return None
        manifest["ranges"] = [{k: v for k, v in r.items() if k != "chain"} if r in own else r
                              for r in manifest["ranges"]]
    elif variant == "drop last":
        if not changes:
            return None
        changes = changes[:-1]
    elif variant == "cut relayed":
        h = me(hostile)
        relayed = [r for r in manifest["ranges"] if r["origin"] != h.device_id and "chain" in r
                   and r["first"] < r["last"]]  # (a whole range left out is an honest, smaller bundle)
        if not relayed:
            return None
        r = relayed[0]
        # The range ends one change earlier; its chain entry still names the head at the old end.
        manifest["ranges"] = [dict(x, last=x["last"] - 1) if x is r else x for x in manifest["ranges"]]
        changes = [c for c in changes if (c["origin"], c["epoch"], c["seq"]) != (r["origin"], r["epoch"], r["last"])]
    elif variant == "cut payload":
        text = b"[" + b",".join(canonical_json(c) for c in changes) + b"]"
        payload = zlib.compress(text)
        cut = payload[: max(1, len(payload) // 2)]
        full = full_manifest(manifest, cut, len(text), len(changes), recipients)
        h = me(hostile)
        data = forge(h.keys, canonical_json(full), cut, recipients)
        folder.mkdir(parents=True, exist_ok=True)
        return write_bundle_file(folder, name, data)
    data = pack_bundle(manifest, changes, me(hostile).keys, recipients)
    folder.mkdir(parents=True, exist_ok=True)
    return write_bundle_file(folder, name, data)


def spaces_payload(size: int) -> bytes:
    """`[`, `size` spaces, `]`: valid JSON for an empty bundle, inflating ~1,000×."""
    z = zlib.compressobj(9)
    parts = [z.compress(b"[")]
    chunk = b" " * (1 << 20)
    for _ in range(size // len(chunk)):
        parts.append(z.compress(chunk))
    parts += [z.compress(b"]"), z.flush()]
    return b"".join(parts)


def oversized(hostile, receiver, folder: Path, name: str, *, variant: str, household: str,
              staff: dict[str, str]) -> Path:
    """Deeply nested or inflated files, signed with the hostile device's key. Variants:
    - "nested manifest": a manifest 100,000 brackets deep;
    - "huge manifest": a manifest over 1 MiB;
    - "bomb": a payload declaring far more than its compressed size may inflate to;
    - "liar": a payload inflating past the size it declares;
    - "nested value": a change whose field value nests 5,000 deep;
    - "long value": a change whose field value is over 64 KiB."""
    base = base_manifest(hostile)
    h = me(hostile)
    recipients = [me(receiver).keys.recipient, h.keys.recipient]
    if variant == "nested manifest":
        return raw_bundle(hostile, receiver, folder, name, nested_manifest(100_000), zlib.compress(b"[]"))
    if variant == "huge manifest":
        payload = zlib.compress(b"[]")
        m = full_manifest({**base, "padding": "x" * ((1 << 20) + 10)}, payload, 2, 0, recipients)
        return raw_bundle(hostile, receiver, folder, name, m, payload)
    if variant in ("bomb", "liar"):
        size = 8 << 20
        payload = spaces_payload(size)
        declared = size + 2 if variant == "bomb" else 1 << 20
        return raw_bundle(hostile, receiver, folder, name, full_manifest(base, payload, declared, 0, recipients),
                          payload)
    k = known(receiver, h.device_id, h.epoch)
    start = tip(receiver, h.device_id, h.epoch, k) or chain.genesis(h.device_id, h.epoch)
    value = "あ" * ((64 << 10) + 1) if variant == "long value" else ""
    change = wire(h.device_id, h.epoch, k + 1, "household", household, "update", {"notes": value}, staff["admin"])
    if variant == "nested value":
        # canonical_json would recurse: the nested value goes into the JSON text by hand.
        nested = b"[" * 5_000 + b"]" * 5_000
        text = b"[" + canonical_json(change).replace(b'"notes":""', b'"notes":' + nested) + b"]"
        ranges = [{"origin": h.device_id, "epoch": h.epoch, "first": k + 1, "last": k + 1}]
    else:
        text = b"[" + canonical_json(change) + b"]"
        ranges = [span([change], chained([change], start, h))]
    payload = zlib.compress(text)
    m = full_manifest({**base, "ranges": ranges}, payload, len(text), 1, recipients)
    return raw_bundle(hostile, receiver, folder, name, m, payload)


# ---- a relay that alters what it passes on ----------------------------------------------------


ALTERED = (("seen_heard", "入院したらしい"), ("notes", "書き換えたメモ"), ("phone", "0000-66-6666"))


@contextmanager
def tampering(hostile) -> Iterator[list[str]]:
    """While inside, the hostile device's exports alter every change of another origin they
    carry (a note, a phone number); the list yielded names what was altered (empty: the
    bundle carried nothing of anyone else, and is genuine)."""
    own = exporting._text_of(me(hostile).device_id)
    real_line = exporting._line
    altered: list[str] = []

    def line(row, origin, epoch, text, words):
        if origin != own:
            fields = json.loads(text)
            for key, value in ALTERED:
                if key in fields and fields[key] != value:
                    fields[key] = value
                    altered.append(f"{row[1]}.{key}")
                    text = json.dumps(fields, ensure_ascii=False)
                    break
        return real_line(row, origin, epoch, text, words)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(exporting, "_line", line)
        yield altered


def export_tampered(hostile, folder: Path):
    """(the Exported, what was altered)."""
    folder.mkdir(parents=True, exist_ok=True)
    with tampering(hostile) as altered:
        exported = export_bundle(hostile, folder)
    return exported, list(altered)
