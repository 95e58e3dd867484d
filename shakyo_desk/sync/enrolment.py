"""The one-time enrolment file that carries a new installation's identity and first data.

Made by the admin at the office, carried in person, protected by a code shown on the
admin's screen (never written to the file or the stick): AES-256-GCM under a key derived
from the code with Argon2id. The file holds the new device's secret keys, so it is
short-lived (`EXPIRY_DAYS`) and its code is shown once.

Layout (integers big-endian): magic `SHAKYOEN` | uint16 format | uint16 params length |
params JSON (Argon2id cost, issued_at) | 16-byte salt | 12-byte nonce | AES-GCM ciphertext
of zlib(canonical JSON of everything but the changes, a newline, the JSON array of changes).
Everything before the ciphertext is the AAD. The changes are written and read one at a time,
so a whole council's snapshot never sits in memory as one list.

Format 2 (issue 20, docs/sync-protocol.md "Enrolment by snapshot"): the same head with a
12-byte nonce base instead of the nonce, then records `uint32 length | AES-GCM ciphertext`,
record i under nonce base XOR i with AAD = head | uint32 i | final flag. Record 0 is
zlib(canonical JSON metadata); the others are the snapshot database in pieces, the last one
marked final. Written and read a record at a time (`seal_snapshot`, `open_file`).

Single use: a successful join overwrites the file with a *used marker* (`used_marker`):
magic `SHAKYOUS`, a newline, one line of canonical JSON (`format`, `enrolment_id`,
`device_name`, `used_on` as YYYY-MM-DD), a newline, then a Japanese sentence for whoever
opens it in a text editor. No secret is left in it; opening it again explains when and for
which device it was used (`ALREADY_USED`).
"""

from __future__ import annotations

import json
import os
import secrets
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from datetime import UTC, date, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from shakyo_desk.domain.errors import AuthError, InvalidInput
from collections.abc import Iterable, Iterator

from shakyo_desk.sync.bundle import BundleRefused, Payload, canonical_json, inflate, json_objects
from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import format_wareki

MAGIC = b"SHAKYOEN"
USED_MAGIC = b"SHAKYOUS"  # the file after a successful join: no secret left, only who used it
FORMAT = 1
SNAPSHOT_FORMAT = 2  # the metadata, then the snapshot database (store/exchange/snapshot.py)
RECORD = 4 << 20  # snapshot bytes per record
MAX_META = 16 << 20  # record 0, compressed
EXPIRY_DAYS = 7
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read aloud without doubt
CODE_LENGTH = 12  # 30^12 ≈ 2^59, each guess costing an Argon2id derivation
DEFAULT_KDF = {"memory_kib": 65536, "iterations": 3, "lanes": 4}

_HEAD = struct.Struct(">8sHH")
_LENGTH = struct.Struct(">I")
_TAG = 16

DAMAGED = ("登録ファイルの途中が壊れているか、書き換えられています。USBメモリから読み直すか、管理者に"
           "作り直してもらってください。この端末にはデータを作っていません。")
NOT_ENROLMENT = "このファイルは社協デスクの登録ファイルではないか、壊れています。管理者に作り直してもらってください。"
WRONG_CODE = "登録コードが違うか、登録ファイルが壊れています。管理者の画面に表示されたコードを確かめてください。"
EXPIRED = "この登録ファイルは期限（作成から{days}日）が切れています。管理者に作り直してもらってください。"
ALREADY_USED = ("この登録ファイルは{when}に端末「{name}」の登録に使われたため、もう使えません（登録ファイルは一度しか"
                "使えません）。この端末を登録するには、管理者に事務局の端末の「端末の追加」で新しい登録ファイルを"
                "作ってもらってください。")


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(text: str) -> str:
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        raise InvalidInput("登録コードは、管理者の画面に表示された12文字（例：ABCD-EFGH-JKMN）を入力してください。")
    return cleaned


def _key(code: str, salt: bytes, kdf: dict) -> bytes:
    return Argon2id(salt=salt, length=32, iterations=kdf["iterations"], lanes=kdf["lanes"],
                    memory_cost=kdf["memory_kib"]).derive(normalise_code(code).encode("ascii"))


def seal(meta: dict, changes: Payload | Iterable[dict], code: str, kdf: dict | None = None,
         now: datetime | None = None) -> bytes:
    """`meta`: council_id, device, roster, knowledge, staff. `changes`: a Payload already
    filled (started with `payload_for(meta)`) or the change objects."""
    if not isinstance(changes, Payload):
        filled = payload_for(meta)
        for change in changes:
            filled.add(change)
        changes = filled
    kdf = dict(kdf or DEFAULT_KDF)
    issued = (now or clock.now().astimezone(UTC)).replace(microsecond=0).isoformat()
    params = canonical_json({"kdf": kdf, "issued_at": issued})
    salt, nonce = os.urandom(16), os.urandom(12)
    head = _HEAD.pack(MAGIC, FORMAT, len(params)) + params + salt + nonce
    return head + AESGCM(_key(code, salt, kdf)).encrypt(nonce, changes.finish(), head)


def payload_for(meta: dict) -> Payload:
    """The compressed body, its first line the metadata; add the changes, then `seal`."""
    return Payload(prefix=canonical_json(meta) + b"\n")


def used_marker(enrolment_id: str, device_name: str, used_on: date) -> bytes:
    """What replaces the enrolment file once a join has succeeded (module docstring)."""
    line = canonical_json({"format": FORMAT, "enrolment_id": enrolment_id, "device_name": device_name,
                           "used_on": used_on.isoformat()})
    return USED_MAGIC + b"\n" + line + b"\n" + used_message(device_name, used_on).encode("utf-8") + b"\n"


def used_message(device_name: str, used_on: date | None) -> str:
    when = format_wareki(used_on) if used_on else "以前"
    return ALREADY_USED.format(when=when, name=device_name or "（名前不明）")


def read_used(data: bytes) -> dict | None:
    """The used marker's fields when `data` is one (a damaged marker gives empty fields)."""
    if not data.startswith(USED_MAGIC):
        return None
    try:
        fields = json.loads(data.split(b"\n", 2)[1].decode("utf-8"))
        used_on = date.fromisoformat(fields["used_on"])
        name = str(fields["device_name"])
    except (IndexError, ValueError, KeyError, TypeError, AttributeError):
        fields, used_on, name = {}, None, ""
    return {"enrolment_id": fields.get("enrolment_id"), "device_name": name, "used_on": used_on}


def unseal(data: bytes, code: str, now: datetime | None = None) -> tuple[dict, Iterator[dict]]:
    """The metadata and the changes, read one at a time as the caller iterates."""
    used = read_used(data)
    if used is not None:
        raise InvalidInput(used_message(used["device_name"], used["used_on"]))
    if len(data) < _HEAD.size or data[:8] != MAGIC:
        raise InvalidInput(NOT_ENROLMENT)
    _, version, p_len = _HEAD.unpack_from(data)
    if version != FORMAT:
        raise InvalidInput("この登録ファイルは新しいバージョンの社協デスクで作られています。アプリを更新してください。")
    at = _HEAD.size
    try:
        params = json.loads(data[at : at + p_len].decode("utf-8"))
        kdf, issued = params["kdf"], datetime.fromisoformat(params["issued_at"])
    except (ValueError, KeyError, TypeError):
        raise InvalidInput(NOT_ENROLMENT) from None
    salt, nonce = data[at + p_len : at + p_len + 16], data[at + p_len + 16 : at + p_len + 28]
    head = data[: at + p_len + 28]
    try:
        body = AESGCM(_key(code, salt, kdf)).decrypt(nonce, data[len(head):], head)
    except InvalidTag:
        raise AuthError(WRONG_CODE) from None
    if (now or clock.now()) - issued > timedelta(days=EXPIRY_DAYS):
        raise InvalidInput(EXPIRED.format(days=EXPIRY_DAYS))
    try:
        pieces = inflate(body)
        first = b""
        while b"\n" not in first:
            first += next(pieces)
        line, rest = first.split(b"\n", 1)
        meta = json.loads(line.decode("utf-8"))
    except (BundleRefused, StopIteration, ValueError):
        raise InvalidInput(NOT_ENROLMENT) from None
    return meta, _changes(rest, pieces)


def _changes(rest: bytes, pieces: Iterator[bytes]) -> Iterator[dict]:
    def text() -> Iterator[bytes]:
        yield rest
        yield from pieces

    try:
        yield from json_objects(text())
    except BundleRefused:
        raise InvalidInput(NOT_ENROLMENT) from None


# ---- format 2: a snapshot of the database ---------------------------------------------


def _nonce(base: bytes, index: int) -> bytes:
    return (int.from_bytes(base, "big") ^ index).to_bytes(12, "big")


def _aad(head: bytes, index: int, final: bool) -> bytes:
    return head + struct.pack(">IB", index, 1 if final else 0)


def seal_snapshot(meta: dict, snapshot: BinaryIO, code: str, kdf: dict | None = None,
                  now: datetime | None = None) -> Iterator[bytes]:
    """The enrolment file in pieces, to be written in order: the head, the metadata, then the
    snapshot read from ``snapshot`` a record at a time (never the whole in memory)."""
    kdf = dict(kdf or DEFAULT_KDF)
    issued = (now or clock.now().astimezone(UTC)).replace(microsecond=0).isoformat()
    params = canonical_json({"kdf": kdf, "issued_at": issued})
    salt, base = os.urandom(16), os.urandom(12)
    head = _HEAD.pack(MAGIC, SNAPSHOT_FORMAT, len(params)) + params + salt + base
    aead = AESGCM(_key(code, salt, kdf))

    def record(index: int, data: bytes, final: bool) -> bytes:
        sealed = aead.encrypt(_nonce(base, index), data, _aad(head, index, final))
        return _LENGTH.pack(len(sealed)) + sealed

    yield head
    yield record(0, zlib.compress(canonical_json(meta), 6), False)
    index, block = 1, snapshot.read(RECORD)
    while True:
        following = snapshot.read(RECORD)
        yield record(index, block, not following)
        if not following:
            return
        index, block = index + 1, following


@dataclass
class Opened:
    """An enrolment file whose code held. ``changes`` (format 1) or ``pieces`` (format 2: the
    snapshot's bytes, each record checked before it is given; a damaged or cut file raises
    `InvalidInput(DAMAGED)` from the iterator). ``digest``: the file's SHA-256 for format 1
    (names a file made before enrolment ids), None for format 2."""

    format: int
    meta: dict
    changes: Iterator[dict] | None = None
    pieces: Iterator[bytes] | None = None
    digest: str | None = None


def open_file(path: Path, code: str, now: datetime | None = None) -> Opened:
    """Open an enrolment file of either format (format 2 is read a record at a time)."""
    import hashlib

    path = Path(path)
    with path.open("rb") as f:
        first = f.read(max(_HEAD.size, len(USED_MAGIC)))
        if len(first) >= _HEAD.size and first[:8] == MAGIC and _HEAD.unpack_from(first)[1] == SNAPSHOT_FORMAT:
            return _open_snapshot(path, code, now)
    data = path.read_bytes()
    meta, changes = unseal(data, code, now)
    return Opened(FORMAT, meta, changes=changes, digest=hashlib.sha256(data).hexdigest())


def _open_snapshot(path: Path, code: str, now: datetime | None) -> Opened:
    with path.open("rb") as f:
        fixed = f.read(_HEAD.size)
        _, _, p_len = _HEAD.unpack(fixed)
        rest = f.read(p_len + 28)
        if len(rest) != p_len + 28:
            raise InvalidInput(NOT_ENROLMENT)
        try:
            params = json.loads(rest[:p_len].decode("utf-8"))
            kdf, issued = params["kdf"], datetime.fromisoformat(params["issued_at"])
        except (ValueError, KeyError, TypeError):
            raise InvalidInput(NOT_ENROLMENT) from None
        salt, base = rest[p_len : p_len + 16], rest[p_len + 16 :]
        head = fixed + rest
        aead = AESGCM(_key(code, salt, kdf))
        sealed = _read_record(f, MAX_META)
        if sealed is None:
            raise InvalidInput(NOT_ENROLMENT)
        try:
            body = aead.decrypt(_nonce(base, 0), sealed, _aad(head, 0, False))
        except InvalidTag:
            raise AuthError(WRONG_CODE) from None
        if (now or clock.now()) - issued > timedelta(days=EXPIRY_DAYS):
            raise InvalidInput(EXPIRED.format(days=EXPIRY_DAYS))
        try:
            meta = json.loads(zlib.decompressobj().decompress(body, MAX_META * 4).decode("utf-8"))
        except (zlib.error, ValueError):
            raise InvalidInput(NOT_ENROLMENT) from None
        if not isinstance(meta, dict) or not isinstance(meta.get("snapshot"), dict):
            raise InvalidInput(NOT_ENROLMENT)
        offset = f.tell()
    return Opened(SNAPSHOT_FORMAT, meta, pieces=_pieces(path, offset, aead, base, head))


def _read_record(f: BinaryIO, limit: int) -> bytes | None:
    """The next record's ciphertext; None at the very end of the file."""
    prefix = f.read(_LENGTH.size)
    if not prefix:
        return None
    if len(prefix) != _LENGTH.size:
        raise InvalidInput(DAMAGED)
    (length,) = _LENGTH.unpack(prefix)
    if not _TAG <= length <= limit + _TAG:
        raise InvalidInput(DAMAGED)
    sealed = f.read(length)
    if len(sealed) != length:
        raise InvalidInput(DAMAGED)
    return sealed


def _pieces(path: Path, offset: int, aead: AESGCM, base: bytes, head: bytes) -> Iterator[bytes]:
    """The snapshot's bytes, record after record; only a record marked final ends it, and
    nothing may follow that one (a cut, reordered, repeated or altered record raises)."""
    with path.open("rb") as f:
        f.seek(offset)
        index = 1
        while True:
            sealed = _read_record(f, RECORD)
            if sealed is None:
                raise InvalidInput(DAMAGED)  # no final record: the file was cut
            nonce = _nonce(base, index)
            try:
                data, final = aead.decrypt(nonce, sealed, _aad(head, index, False)), False
            except InvalidTag:
                try:
                    data, final = aead.decrypt(nonce, sealed, _aad(head, index, True)), True
                except InvalidTag:
                    raise InvalidInput(DAMAGED) from None
            yield data
            if final:
                if f.read(1):
                    raise InvalidInput(DAMAGED)
                return
            index += 1
