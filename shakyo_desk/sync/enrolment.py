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
EXPIRY_DAYS = 7
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read aloud without doubt
CODE_LENGTH = 12  # 30^12 ≈ 2^59, each guess costing an Argon2id derivation
DEFAULT_KDF = {"memory_kib": 65536, "iterations": 3, "lanes": 4}

_HEAD = struct.Struct(">8sHH")

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
