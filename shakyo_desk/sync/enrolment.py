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
"""

from __future__ import annotations

import json
import os
import secrets
import struct
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from shakyo_desk.domain.errors import AuthError, InvalidInput
from collections.abc import Iterable, Iterator

from shakyo_desk.sync.bundle import BundleRefused, Payload, canonical_json, inflate, json_objects
from shakyo_desk.domain import clock

MAGIC = b"SHAKYOEN"
FORMAT = 1
EXPIRY_DAYS = 7
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read aloud without doubt
CODE_LENGTH = 12  # 30^12 ≈ 2^59, each guess costing an Argon2id derivation
DEFAULT_KDF = {"memory_kib": 65536, "iterations": 3, "lanes": 4}

_HEAD = struct.Struct(">8sHH")

NOT_ENROLMENT = "このファイルは社協デスクの登録ファイルではないか、壊れています。管理者に作り直してもらってください。"
WRONG_CODE = "登録コードが違うか、登録ファイルが壊れています。管理者の画面に表示されたコードを確かめてください。"
EXPIRED = "この登録ファイルは期限（作成から{days}日）が切れています。管理者に作り直してもらってください。"


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


def unseal(data: bytes, code: str, now: datetime | None = None) -> tuple[dict, Iterator[dict]]:
    """The metadata and the changes, read one at a time as the caller iterates."""
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
