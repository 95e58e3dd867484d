"""Encrypted backup files and restoring them (DESIGN §4 "Backups", §5 epochs).

A backup file is one consistent snapshot of the (still SQLCipher-encrypted) database and
the key file, sealed end to end so that a truncated, altered or foreign file is refused and
nothing of it is left (a cut or extended file before anything is written). Formats 2 and 3
say nothing in clear but what opening them needs:

    MAGIC (8 bytes) | header length (4 bytes, big endian) | header (UTF-8 JSON)
    | SHA-256 of the header (32 bytes) | contents length (4 bytes) | sealed contents | chunks

The clear header holds the format, the chunk size, a random salt, a key check and the
*openers*: the key file's wraps of the data key (each account's Argon2id wrap, the recovery
key's wrap) in random order, without logins — an account's opener carries only a one-byte
hint (HMAC of the login under the salt) so a restore by passphrase tries about one Argon2id
instead of one per account, while a list of guessed logins learns next to nothing (1 in 256
matches by chance). No council, login, store or device id, size or hash of the database.

Everything else is in the *contents*, sealed with AES-256-GCM under a key derived with HKDF
from the data key and the salt (nonce 0x00000001‖0…, associated data the header's hash and
"contents"): council, store, device, epoch, schema, dates, the database's size, the key file
itself, the audit log's head (store/audit_witness.py) and the drop box's files not yet filed,
quarantined ones with their reasons (store/backup_dropbox.py: bounded, absent from backups made
before; restored into ``dropbox/``). The database follows in chunks of ``chunk_size`` bytes
sealed under the same key (nonce 0‖chunk number, associated data the header's hash, the chunk
number and a final-chunk flag). So any changed byte, a reordered, missing or extra chunk, a cut
at any offset and an edited header fail.

Format 3 (issue 20): the chunks are the live database file's own bytes, already encrypted with
the data key by SQLCipher, taken while the file is frozen at one committed moment (``_frozen``:
a read transaction begun on a fully checkpointed WAL stops every checkpoint from writing into
the file; writers go on into the WAL) — never decrypted and re-encrypted page by page. The
contents carry no whole-file hash: the chunk tags already bind every chunk to its number, the
last one to its end and all of them to this header, under a key only the data key gives. A
stolen backup therefore holds what format 2 held (the snapshot was encrypted with the same data
key then too): pages under the data key, the key under the openers.

Format 2 (issue 16 to issue 20) sealed a copy made through SQLite's online backup API (every
page decrypted and re-encrypted) and its SHA-256 inside the contents; such files are still
restored and their hash is still checked.

Opening: the wraps inside the key file are bound (AES-GCM associated data) to the store id,
which is not in clear; so an opener is decrypted without its tag (GCM is CTR from counter 2),
the candidate key must match the key check (an HMAC under the salt) and open the contents,
and then the key file inside must unwrap to the same key with the full check. A wrong key
fails the key check; a changed file fails the contents or a chunk.

Format 1 (before issue 16) held council, store, device, schema, sizes, hashes and the whole key
file in its clear header; such files are still restored (``BackupHeader.legacy``).

The plain SHA-256 after the header only tells accidental damage to the header apart from
a wrong recovery key; the authentication is the contents' and chunks' tags.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import sqlcipher3
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import exc as sa_exc

from shakyo_desk import __version__
from shakyo_desk.domain.errors import AuthError, InvalidInput, PermissionDenied, StoreError
from shakyo_desk.domain.roles import Role, manages_settings
from shakyo_desk.store import audit_witness, backup_dropbox, frozen_file, migrate, rekey
from shakyo_desk.store.engine import BUSY_TIMEOUT_MS, open_engine, probe
# The key file's own derivations and sealing: an opener is made and opened without the store id
# (see above); everything else about keys stays in keyfile.py.
from shakyo_desk.store.keyfile import (
    KeyFile, _passphrase_kek, _recovery_kek, _recovery_private, _seal, _unseal, entry_kind, normalise_recovery_key,
)
from shakyo_desk.store.location import check_location
from shakyo_desk.store.models import Council, DeviceState
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.store import Store, validate_passphrase
from shakyo_desk.store.writer import Actor
from shakyo_desk.domain import clock, safe_file

MAGIC = b"SHKDBKP\x00"
FORMAT = 3
CHUNK_SIZE = 1 << 20  # 1 MiB of plaintext per sealed chunk: memory stays flat
_MAX_CHUNK = 1 << 26  # what a reader allocates for a chunk, whatever a (not yet authenticated) header says
EXTENSION = ".shakyo-backup"
PARTIAL = safe_file.PARTIAL_SUFFIX
_TAG = 16
_MAX_HEADER = 1 << 20
_HKDF_INFO = b"shakyo-desk backup v1"
_CONTENTS_NONCE = b"\x00\x00\x00\x01" + bytes(8)  # chunks use 0x00000000 ‖ their number
_CONTENTS_AAD = b"contents"
_CHECK_LABEL = b"shakyo-desk backup key check v1"
_HINT_LABEL = b"shakyo-desk backup login hint v1:"
_OPENER_LABEL = b"shakyo-desk backup opener v2:"
_MAX_OPENERS = 1_000
# Freezing the database file (``_frozen``): tries without and then with the write lock.
_FREEZE_UNLOCKED = frozen_file.FREEZE_UNLOCKED
_FREEZE_ATTEMPTS = frozen_file.FREEZE_ATTEMPTS
# Bounds on an opener's Argon2id parameters (a hostile file must not make us allocate a
# terabyte): far above what a store uses.
_MAX_KDF = {"memory_kib": 1 << 21, "iterations": 64, "lanes": 64}

Progress = Callable[[int, int, str], None]

NOT_A_BACKUP = "「{name}」は社協デスクのバックアップファイルではありません。ファイルを確かめてください。"
DAMAGED = ("バックアップファイル「{name}」は途中で切れているか、内容が書き換えられています。"
           "このファイルからは復元できません。別のバックアップを使ってください。")
TOO_NEW = ("このバックアップは新しいバージョンの社協デスクで作られているため、このバージョンでは復元できません。"
           "アプリを最新版に更新してください。")
PARTIAL_FILE = ("「{name}」は書きかけのファイル（.partial）で、バックアップとして完成していません。"
                "完成したバックアップファイルを指定してください。")
CANNOT_WRITE = "「{folder}」に書き込めませんでした。書き込みできる場所と空き容量を確かめてください。何も保存していません。"
ADMIN_ONLY = "バックアップの作成は管理者だけができます。"
KEY_ROTATING = ("データの鍵を切り替えている最中のため、バックアップを作れませんでした。"
                "切り替えが終わってから、もう一度バックアップを作成してください。何も保存していません。")
LEFT_OUT = ("報告者から届いてまだ受け付けていない把握シートなどのファイルのうち{n}件は、多すぎるか大きすぎるため"
            "このバックアップに入っていません（このパソコンには残っています）。コーディネーターか管理者がログインして"
            "受け付けてから、もう一度バックアップを作成してください。")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class BackupContents:
    """What a backup holds, readable once a key opens it (format 1: all of it was in clear)."""

    council_id: str
    council_name: str
    store_id: str
    device_id: str
    epoch: int
    schema_revision: str
    created_at: datetime  # naive UTC, as everything stored
    app_version: str
    database_size: int
    database_sha256: str | None  # formats 1 and 2; format 3 relies on the chunk tags alone
    key_file: str  # the key file's JSON text, byte for byte
    audit_head: dict | None  # the audit log's head in the snapshot (format 2)
    chunks_at: int  # where the sealed chunks start in the file
    chunk_size: int
    dropbox: backup_dropbox.Kept | None = None  # None: made before backups carried the drop box

    @property
    def chunk_count(self) -> int:
        return max(1, -(-self.database_size // self.chunk_size))


@dataclass(frozen=True)
class BackupHeader:
    """The clear part: only what opening the file needs."""

    format: int
    chunk_size: int
    salt: bytes
    key_check: str
    openers: tuple[dict, ...]  # wraps of the data key: {"kdf", "nonce", "wrapped"[, "hint"]}
    digest: bytes  # SHA-256 of the header as written: bound into the contents and every chunk
    body_at: int  # where what follows the header's hash starts
    legacy: BackupContents | None = None  # format 1: its clear header said everything


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int  # bytes of the backup file
    database_size: int
    created_at: datetime
    council_name: str
    seconds: float
    drops: int = 0  # drop box files carried (unfiled sheets and quarantined files)
    drops_left_out: int = 0  # drop box files over the bounds, not carried (they stay in the store)


@dataclass(frozen=True)
class BackupStatus:
    last_backup_at: datetime | None  # naive UTC
    reminder_days: int
    due: bool  # none yet, or older than reminder_days


@dataclass(frozen=True)
class RestoreResult:
    root: Path
    council_name: str
    council_id: str
    backup_created_at: datetime
    old_epoch: int
    epoch: int
    kept_aside: Path | None  # where a replaced store of the same council was moved
    login: str | None  # the account whose passphrase was set, if any
    seconds: float
    drops_restored: int = 0  # unfiled sheets put back into dropbox/ (filed at the next council unlock)
    quarantine_restored: int = 0  # quarantined drop files put back, with their reasons


# ---- names and the reminder ------------------------------------------------------------


def default_file_name(council_name: str, day) -> str:
    """社協名_バックアップ_令和8年12月5日.shakyo-backup (characters a file system refuses dropped)."""
    from shakyo_desk.domain.wareki import format_wareki

    safe = "".join(ch for ch in council_name if ch not in '\\/:*?"<>|').strip() or "社協デスク"
    return f"{safe}_バックアップ_{format_wareki(day)}{EXTENSION}"


def backup_status(store: Store, now: datetime | None = None) -> BackupStatus:
    with store.read() as s:
        last = s.execute(sa.select(DeviceState.last_backup_at).where(DeviceState.id == 1)).scalar()
        days = s.execute(sa.select(Council.backup_reminder_days).where(Council.deleted_at.is_(None))).scalars().first()
    days = days or 7
    now = now or clock.utcnow()
    due = last is None or (now - last).total_seconds() > days * 86400
    return BackupStatus(last, days, due)


# ---- writing a backup --------------------------------------------------------------------


def _derive(data_key: bytes, salt: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO).derive(data_key))


def _nonce(index: int) -> bytes:
    return b"\x00\x00\x00\x00" + struct.pack(">Q", index)


def _aad(digest: bytes, index: int, final: bool) -> bytes:
    return digest + struct.pack(">QB", index, 1 if final else 0)


_SnapshotBusy = frozen_file.SnapshotBusy  # the file could not be frozen at one committed moment


def _connect(database: Path, data_key: bytes) -> sqlcipher3.Connection:
    conn = sqlcipher3.connect(str(database), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _read_facts(conn) -> dict:
    """Council, device, schema, the audit log's head and the database's size in bytes, as
    the connection's read transaction sees them."""
    council = conn.execute("SELECT id, name FROM council WHERE deleted_at IS NULL LIMIT 1").fetchone()
    device = conn.execute("SELECT device_id, epoch FROM device_state WHERE id = 1").fetchone()
    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    head = conn.execute("SELECT id, hash, at FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    if head is not None:  # (audit log v2: the hash as bytes, the time as µs; a store from before, text)
        from shakyo_desk.store.models import HexBytes, MicroTime

        head = (head[0], HexBytes().process_result_value(head[1], None),
                MicroTime().process_result_value(head[2], None))
    audit_head = None if head is None else {"device_id": device[0], "epoch": device[1], "id": head[0],
                                            "hash": head[1], "at": audit_witness.at_text(head[2])}
    return {"council_id": council[0], "council_name": council[1], "device_id": device[0], "epoch": device[1],
            "schema_revision": revision, "audit_head": audit_head, "size": frozen_file.database_bytes(conn)}


@contextmanager
def _frozen(store: Store) -> Iterator[dict]:
    """The live database file itself as one committed moment, for as long as the block runs
    (frozen_file.frozen: the same freeze as the copy before a migration). Yields the facts of
    ``_read_facts`` (``size``: the bytes of the file that are the database)."""
    database, data_key = store.layout.database, store.data_key
    with frozen_file.frozen(lambda: _connect(database, data_key), _read_facts,
                         attempts=_FREEZE_ATTEMPTS, unlocked=_FREEZE_UNLOCKED) as facts:
        yield facts


def _header_bytes(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _key_check(data_key: bytes, salt: bytes) -> str:
    return hmac.new(data_key, _CHECK_LABEL + salt, hashlib.sha256).hexdigest()[:32]


def _hint(salt: bytes, login: str) -> str:
    return hmac.new(salt, _HINT_LABEL + login.encode("utf-8"), hashlib.sha256).hexdigest()[:2]


def _opener_aad(salt: bytes) -> bytes:
    return _OPENER_LABEL + salt


def _openers(key_text: str, salt: bytes, data_key: bytes) -> list[dict]:
    """What opens the data key, per entry of the key file, without logins, in random order.

    An account's entry of format 2 (a key pair: ``keyfile.py``) gives its private key as
    encrypted under the passphrase, and the data key sealed anew to its public key under this
    backup's own associated data (the key file's names the store); the recovery key's entry
    gives its salt and the data key sealed anew to its public key. A format 1 entry (the data
    key wrapped under the passphrase or the recovery key) gives that wrap. Entries waiting for
    a new passphrase or recovery key give nothing."""
    doc = json.loads(key_text)
    aad = _opener_aad(salt)
    openers = []
    recovery = doc.get("recovery") or {}
    kind = entry_kind(recovery)
    if kind == "sealed":
        openers.append({"kdf": recovery["kdf"],
                        "sealed": _seal(base64.b64decode(recovery["public"]), data_key, aad)})
    elif kind == "legacy":
        openers.append({"kdf": recovery["kdf"], "nonce": recovery["nonce"], "wrapped": recovery["wrapped"]})
    for login, entry in (doc.get("accounts") or {}).items():
        kind = entry_kind(entry)
        if kind == "sealed":
            openers.append({"hint": _hint(salt, login), "kdf": entry["kdf"], "private": entry["private"],
                            "sealed": _seal(base64.b64decode(entry["public"]), data_key, aad)})
        elif kind == "legacy":
            openers.append({"hint": _hint(salt, login), "kdf": entry["kdf"], "nonce": entry["nonce"],
                            "wrapped": entry["wrapped"]})
    secrets.SystemRandom().shuffle(openers)
    return openers


def create_backup(store: Store, target: Path, progress: Progress | None = None,
                  chunk_size: int = CHUNK_SIZE) -> BackupResult:
    """Write a verified backup file at ``target`` (admin). ``target.partial`` is written,
    fsynced, renamed and read back; only then is the backup recorded (audit ``store.backup``
    and ``device_state.last_backup_at``, which the reminder reads)."""
    if not manages_settings(store.actor.role):
        raise PermissionDenied(ADMIN_ONLY)
    target = Path(target)
    if target.name.endswith(PARTIAL):
        raise InvalidInput("バックアップのファイル名を「.partial」で終わらせることはできません。別の名前にしてください。")
    if target.is_dir():
        raise InvalidInput(f"「{target}」はフォルダです。バックアップのファイル名を指定してください。")
    folder = target.parent
    if not folder.is_dir():
        raise StoreError(f"フォルダ「{folder}」が見つかりません。保存先のフォルダを確かめてください。")
    report = progress or (lambda done, total, text: None)
    started = time.perf_counter()
    layout = store.layout
    data_key = store.data_key
    try:
        # Created now (owner-only): an unwritable folder is refused before the long work.
        partial = safe_file.stage(target, temp_name=target.name + PARTIAL)
    except OSError as error:
        raise StoreError(CANNOT_WRITE.format(folder=folder)) from error
    try:
        report(0, 100, "データの写しを作っています…")
        # The drop box before the snapshot: a sheet filed meanwhile is then in both (filing it
        # again after a restore does nothing), never in neither.
        kept = backup_dropbox.collect(layout.root, _MAX_HEADER)
        try:
            with _frozen(store) as facts, open(layout.database, "rb") as src:
                db_size = facts.pop("size")
                key_bytes = layout.key_file.read_bytes()
                if rekey.pending_file(layout).exists():
                    raise StoreError(KEY_ROTATING)
                key_text = key_bytes.decode("utf-8")
                created_at = clock.utcnow().replace(microsecond=0)
                salt = secrets.token_bytes(32)
                contents = {
                    **facts, "store_id": store.keyfile.store_id,
                    "created_at": created_at.isoformat() + "Z", "app_version": __version__,
                    "database": {"size": db_size},
                    "key_file": {"text": key_text, "sha256": hashlib.sha256(key_text.encode("utf-8")).hexdigest()},
                }
                # The drop box takes what room the contents' bound leaves (the rest stays in the store).
                kept = kept.within(_MAX_HEADER - len(_header_bytes(contents)) - 64)
                contents["dropbox"] = kept.to_doc()
                doc = {"format": FORMAT, "chunk_size": chunk_size, "salt": _b64(salt),
                       "key_check": _key_check(data_key, salt), "openers": _openers(key_text, salt, data_key)}
                header = _header_bytes(doc)
                digest = hashlib.sha256(header).digest()
                aead = _derive(data_key, salt)
                sealed = aead.encrypt(_CONTENTS_NONCE, _header_bytes(contents), digest + _CONTENTS_AAD)
                count = max(1, -(-db_size // chunk_size))
                partial.write(MAGIC + struct.pack(">I", len(header)) + header + digest
                              + struct.pack(">I", len(sealed)) + sealed)
                # The file's pages as they are (already encrypted), sealed chunk by chunk: the
                # chunk tags bind their order and the last one, so no whole-file hash is needed.
                plain_buffer, sealed_buffer = _Buffers(chunk_size), _Buffers(chunk_size + _TAG)
                for index in range(count):
                    want = min(chunk_size, db_size - index * chunk_size)
                    block = plain_buffer.view(want)
                    if src.readinto(block) != want:
                        raise StoreError("データの写しを作れませんでした。データのファイルが途中で切れています。"
                                         "「shakyo-desk check」で検査してください。")
                    final = index == count - 1
                    partial.write(_encrypt(aead, _nonce(index), block, _aad(digest, index, final),
                                           sealed_buffer.view(want + _TAG)))
                    if index % 16 == 0:
                        report(5 + 65 * index // count, 100, "暗号化して書き込んでいます…")
                # A key rotation switching keys.json meanwhile (its new key only reaches the file
                # once the copy ends) would leave pages under one key and a key file of another.
                if layout.key_file.read_bytes() != key_bytes or rekey.pending_file(layout).exists():
                    raise StoreError(KEY_ROTATING)
            partial.commit()
        except OSError as error:
            raise StoreError(CANNOT_WRITE.format(folder=folder)) from error
        except (_SnapshotBusy, sqlcipher3.Error) as error:
            raise StoreError("データの写しを作れませんでした。しばらく待ってから、もう一度お試しください。") from error
        report(80, 100, "書き込んだファイルを読み直して確かめています…")
        try:
            written = read_header(target)
            inside = _open_contents(target, written, data_key)
            if inside is None:
                raise StoreError(DAMAGED.format(name=target.name))
            _verify(target, written, inside, data_key)
        except StoreError:
            target.unlink(missing_ok=True)
            raise StoreError(f"書き込んだバックアップを読み直すと内容が一致しませんでした。保存先（{folder}）の媒体を確かめてください。") from None
        size = target.stat().st_size
        with store.write() as w:
            w.conn.execute(DeviceState.__table__.update().where(DeviceState.id == 1), {"last_backup_at": created_at})
            audit_witness.note_own(w.conn, facts["audit_head"], audit_witness.BACKUP)
            w.audit("store.backup", "council", facts["council_id"],
                    {"file": target.name, "size": size, "database_size": db_size,
                     "created_at": contents["created_at"],
                     "dropbox": {"files": len(kept.files), "left_out": kept.left_out}})
        report(100, 100, "バックアップを作成しました。")
        return BackupResult(target, size, db_size, created_at, facts["council_name"], time.perf_counter() - started,
                            len(kept.files), kept.left_out)
    finally:
        partial.discard()


# ---- reading a backup ------------------------------------------------------------------


def read_header(path: Path) -> BackupHeader:
    """The clear header, checked for form and accidental damage (not yet authenticated)."""
    path = Path(path)
    name = path.name
    if name.endswith(PARTIAL):
        raise StoreError(PARTIAL_FILE.format(name=name))
    try:
        with open(path, "rb") as fh:
            start = fh.read(len(MAGIC) + 4)
            if len(start) < len(MAGIC) or start[: len(MAGIC)] != MAGIC:
                raise StoreError(NOT_A_BACKUP.format(name=name))
            if len(start) < len(MAGIC) + 4:
                raise StoreError(DAMAGED.format(name=name))
            (length,) = struct.unpack(">I", start[len(MAGIC):])
            if length > _MAX_HEADER:
                raise StoreError(DAMAGED.format(name=name))
            header = fh.read(length)
            digest = fh.read(32)
    except FileNotFoundError:
        raise StoreError(f"バックアップファイル「{path}」が見つかりません。ファイルの場所を確かめてください。") from None
    except IsADirectoryError:
        raise StoreError(f"「{path}」はフォルダです。バックアップファイルを指定してください。") from None
    except OSError as error:
        raise StoreError(f"バックアップファイル「{name}」を読めませんでした。ファイルと媒体を確かめてください。") from error
    if len(header) != length or len(digest) != 32 or hashlib.sha256(header).digest() != digest:
        raise StoreError(DAMAGED.format(name=name))
    try:
        doc = json.loads(header.decode("utf-8"))
        fmt = int(doc["format"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise StoreError(DAMAGED.format(name=name)) from None
    if fmt > FORMAT:
        raise StoreError(TOO_NEW)
    body_at = len(MAGIC) + 4 + length + 32
    try:
        if fmt == 1:
            legacy = _legacy_contents(doc, body_at)
            result = BackupHeader(1, legacy.chunk_size, base64.b64decode(doc["salt"], validate=True), "", (),
                                  digest, body_at, legacy)
        else:
            openers = doc["openers"]
            if (not isinstance(openers, list) or len(openers) > _MAX_OPENERS
                    or not all(isinstance(o, dict) and isinstance(o.get("kdf"), dict) for o in openers)):
                raise ValueError("openers")
            result = BackupHeader(fmt, int(doc["chunk_size"]), base64.b64decode(doc["salt"], validate=True),
                                  str(doc["key_check"]), tuple(openers), digest, body_at)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise StoreError(DAMAGED.format(name=name)) from None
    if not 0 < result.chunk_size <= _MAX_CHUNK or len(result.salt) != 32:
        raise StoreError(DAMAGED.format(name=name))
    return result


def _legacy_contents(doc: dict, body_at: int) -> BackupContents:
    """A format-1 clear header (ValueError and the like when malformed)."""
    result = BackupContents(
        council_id=str(doc["council_id"]), council_name=str(doc["council_name"]), store_id=str(doc["store_id"]),
        device_id=str(doc["device_id"]), epoch=int(doc["epoch"]), schema_revision=str(doc["schema_revision"]),
        created_at=datetime.fromisoformat(doc["created_at"].removesuffix("Z")), app_version=str(doc["app_version"]),
        database_size=int(doc["database"]["size"]), database_sha256=str(doc["database"]["sha256"]),
        key_file=str(doc["key_file"]["text"]), audit_head=None, chunks_at=body_at, chunk_size=int(doc["chunk_size"]))
    if result.database_size < 0 or hashlib.sha256(result.key_file.encode("utf-8")).hexdigest() != doc["key_file"]["sha256"]:
        raise ValueError("key file")
    return result


def _open_contents(path: Path, header: BackupHeader, data_key: bytes) -> BackupContents | None:
    """The contents, or None when ``data_key`` does not open them (StoreError when damaged)."""
    if header.legacy is not None:
        return header.legacy
    name = Path(path).name
    try:
        with open(path, "rb") as fh:
            fh.seek(header.body_at)
            start = fh.read(4)
            if len(start) != 4:
                raise StoreError(DAMAGED.format(name=name))
            (length,) = struct.unpack(">I", start)
            if length > _MAX_HEADER + _TAG:
                raise StoreError(DAMAGED.format(name=name))
            sealed = fh.read(length)
    except OSError as error:
        raise StoreError(f"バックアップファイル「{name}」を読めませんでした。ファイルと媒体を確かめてください。") from error
    if len(sealed) != length:
        raise StoreError(DAMAGED.format(name=name))
    try:
        plain = _derive(data_key, header.salt).decrypt(_CONTENTS_NONCE, sealed, header.digest + _CONTENTS_AAD)
    except InvalidTag:
        return None
    try:
        doc = json.loads(plain.decode("utf-8"))
        head = doc.get("audit_head")
        return BackupContents(
            council_id=str(doc["council_id"]), council_name=str(doc["council_name"]), store_id=str(doc["store_id"]),
            device_id=str(doc["device_id"]), epoch=int(doc["epoch"]), schema_revision=str(doc["schema_revision"]),
            created_at=datetime.fromisoformat(doc["created_at"].removesuffix("Z")),
            app_version=str(doc["app_version"]), database_size=int(doc["database"]["size"]),
            database_sha256=str(doc["database"]["sha256"]) if header.format < 3 else None,
            key_file=str(doc["key_file"]["text"]),
            audit_head=head if isinstance(head, dict) else None,
            chunks_at=header.body_at + 4 + length, chunk_size=header.chunk_size,
            dropbox=backup_dropbox.from_doc(doc["dropbox"]) if "dropbox" in doc else None)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise StoreError(DAMAGED.format(name=name)) from None


def read_contents(path: Path, data_key: bytes) -> BackupContents:
    """The contents of a backup of a store whose data key we hold (not its chunks)."""
    header = read_header(path)
    contents = _open_contents(path, header, data_key)
    if contents is None:
        raise InvalidInput(f"バックアップファイル「{Path(path).name}」はこのデータの鍵では開けません。"
                           "別の社協のものか、鍵を変更する前に作ったバックアップです。")
    return contents


def audit_head_of(path: Path, data_key: bytes, device_id: str) -> dict | None:
    """The audit log's head a backup of this installation holds (``audit verify --backup``)."""
    name = Path(path).name
    contents = read_contents(path, data_key)
    if contents.device_id != device_id:
        raise InvalidInput(f"バックアップファイル「{name}」はこの端末で作ったものではないため、"
                           "この端末の操作の記録とは照らし合わせられません。")
    if read_header(path).format < 2:
        raise InvalidInput(f"バックアップファイル「{name}」は古い形式のため、操作の記録の控えが入っていません。")
    return contents.audit_head


class _Buffers:
    """One buffer reused for every chunk: a fresh megabyte per chunk costs the allocator a
    map, a page fault per page and an unmap, about as much as the AES-GCM itself."""

    def __init__(self, size: int):
        self._view = memoryview(bytearray(size))

    def view(self, size: int) -> memoryview:
        return self._view[:size]


_INTO = hasattr(AESGCM, "encrypt_into")  # cryptography 46 and later


def _encrypt(aead: AESGCM, nonce: bytes, data: memoryview, aad: bytes, out: memoryview) -> memoryview | bytes:
    if _INTO:
        aead.encrypt_into(nonce, data, aad, out)
        return out
    return aead.encrypt(nonce, bytes(data), aad)


def _decrypt(aead: AESGCM, nonce: bytes, sealed: memoryview, aad: bytes, out: memoryview) -> memoryview | bytes:
    if _INTO:
        aead.decrypt_into(nonce, sealed, aad, out)
        return out
    return aead.decrypt(nonce, bytes(sealed), aad)


def _chunks(path: Path, contents: BackupContents, data_key: bytes, salt: bytes,
            digest: bytes) -> Iterator[memoryview]:
    """The snapshot's plaintext chunk by chunk; StoreError(DAMAGED) on any cut or change,
    raised at the latest after the last chunk (size, hash, nothing after it). Each chunk is a
    view of one reused buffer, valid until the next is asked for."""
    name = Path(path).name
    aead = _derive(data_key, salt)
    # Formats 1 and 2 also carry the snapshot's SHA-256; format 3 needs none (see the module's
    # docstring) and skips a hash that cost as much as everything else here together.
    sha = hashlib.sha256() if contents.database_sha256 is not None else None
    size = 0
    count = contents.chunk_count
    sealed_buffer, plain_buffer = _Buffers(contents.chunk_size + _TAG), _Buffers(contents.chunk_size)
    try:
        with open(path, "rb") as fh:
            fh.seek(contents.chunks_at)
            for index in range(count):
                final = index == count - 1
                expected = (contents.database_size - index * contents.chunk_size if final
                            else contents.chunk_size) + _TAG
                if not 0 < expected <= contents.chunk_size + _TAG:
                    raise StoreError(DAMAGED.format(name=name))
                sealed = sealed_buffer.view(expected)
                if fh.readinto(sealed) != expected:
                    raise StoreError(DAMAGED.format(name=name))
                try:
                    block = _decrypt(aead, _nonce(index), sealed, _aad(digest, index, final),
                                     plain_buffer.view(expected - _TAG))
                except InvalidTag:
                    raise StoreError(DAMAGED.format(name=name)) from None
                if sha is not None:
                    sha.update(block)
                size += len(block)
                yield block
            if fh.read(1):
                raise StoreError(DAMAGED.format(name=name))
    except OSError as error:
        raise StoreError(f"バックアップファイル「{name}」を読めませんでした。ファイルと媒体を確かめてください。") from error
    if size != contents.database_size or (sha is not None and sha.hexdigest() != contents.database_sha256):
        raise StoreError(DAMAGED.format(name=name))


def _check_length(path: Path, contents: BackupContents) -> None:
    """The file's length is what its sealed contents say: a cut or an extension is refused
    without reading the chunks."""
    expected = contents.chunks_at + contents.database_size + contents.chunk_count * _TAG
    try:
        actual = Path(path).stat().st_size
    except OSError as error:
        raise StoreError(f"バックアップファイル「{Path(path).name}」を読めませんでした。ファイルと媒体を確かめてください。") from error
    if actual != expected:
        raise StoreError(DAMAGED.format(name=Path(path).name))


def _verify(path: Path, header: BackupHeader, contents: BackupContents, data_key: bytes,
            progress: Progress | None = None, span: tuple[int, int] = (0, 100)) -> None:
    for index, _block in enumerate(_chunks(path, contents, data_key, header.salt, header.digest)):
        if progress is not None and index % 16 == 0:
            progress(span[0] + (span[1] - span[0]) * index // contents.chunk_count, 100, "バックアップを確かめています…")


def _unchecked_unwrap(kek: bytes, nonce: str, wrapped: str) -> bytes:
    """A key file wrap's 32-byte plaintext without its GCM tag check (its associated data names
    the store, which the clear header does not): GCM encrypts with CTR from counter 2 for a
    96-bit nonce. What comes out is trusted only once it opens a sealed opener or matches the
    key check, and then opens the contents."""
    nonce_raw, wrapped_raw = base64.b64decode(nonce, validate=True), base64.b64decode(wrapped, validate=True)
    if len(nonce_raw) != 12 or len(wrapped_raw) != 32 + _TAG:
        raise ValueError("opener")
    decryptor = Cipher(algorithms.AES(kek), modes.CTR(nonce_raw + b"\x00\x00\x00\x02")).decryptor()
    return decryptor.update(wrapped_raw[:-_TAG]) + decryptor.finalize()


def _kdf_params(kdf: dict) -> dict:
    params = {k: int(kdf[k]) for k in _MAX_KDF}
    if any(not 1 <= v <= _MAX_KDF[k] for k, v in params.items()):
        raise ValueError("kdf")
    return params


def _try_opener(opener: dict, salt: bytes, recovery_key: str | None, login: str | None,
                passphrase: str | None) -> bytes | None:
    """The data key this opener gives for the key we were handed, or None (not its kind, or
    a sealed opener that does not open). ValueError and the like for a malformed opener."""
    kdf = opener["kdf"]
    name = kdf.get("name")
    entry_salt = base64.b64decode(kdf["salt"], validate=True)
    aad = _opener_aad(salt)
    try:
        if recovery_key is not None:
            if name == "hkdf-sha256":  # (format 1 key file)
                return _unchecked_unwrap(_recovery_kek(recovery_key, entry_salt), opener["nonce"], opener["wrapped"])
            if name == "hkdf-sha256-x25519":
                return _unseal(_recovery_private(recovery_key, entry_salt), opener["sealed"], aad)
            return None
        if name != "argon2id" or opener.get("hint") != _hint(salt, login):
            return None
        kek = _passphrase_kek(passphrase, entry_salt, _kdf_params(kdf))
        if "private" in opener:
            private = _unchecked_unwrap(kek, opener["private"]["nonce"], opener["private"]["wrapped"])
            return _unseal(X25519PrivateKey.from_private_bytes(private), opener["sealed"], aad)
        return _unchecked_unwrap(kek, opener["nonce"], opener["wrapped"])
    except InvalidTag:
        return None


def _unlock(path: Path, header: BackupHeader, *, recovery_key: str | None = None, login: str | None = None,
            passphrase: str | None = None) -> tuple[BackupContents, KeyFile, bytes]:
    """Contents, key file and data key, with the recovery key or an account's passphrase.
    Nothing is written. AuthError for a wrong key, StoreError for a damaged or forged file."""
    name = Path(path).name
    if header.legacy is not None:
        contents = header.legacy
        keyfile = _keyfile_of(contents, name)
        data_key = (keyfile.unwrap_with_recovery(recovery_key) if recovery_key is not None
                    else keyfile.unwrap_for_account(login, passphrase))
        return contents, keyfile, data_key
    if recovery_key is not None:
        normalise_recovery_key(recovery_key)  # its form is told first, as everywhere
    found = None
    for opener in header.openers:
        try:
            candidate = _try_opener(opener, header.salt, recovery_key, login, passphrase)
        except (KeyError, TypeError, ValueError):
            raise StoreError(DAMAGED.format(name=name)) from None
        if candidate is not None and hmac.compare_digest(_key_check(candidate, header.salt), header.key_check):
            found = candidate
            break
    if found is None:
        if recovery_key is not None:
            raise AuthError("復旧キーが違います。印刷した復旧キーをもう一度確かめてください。")
        raise AuthError(f"パスフレーズが違うか、このバックアップにはアカウント「{login}」がありません。"
                        "ログイン名とパスフレーズを確かめてください。")
    contents = _open_contents(path, header, found)
    if contents is None:
        raise StoreError(DAMAGED.format(name=name))
    keyfile = _keyfile_of(contents, name)
    if recovery_key is not None:
        # The key file restored must open with the same key (cheap for the recovery key; an
        # account's would cost a second Argon2id, and its key opened the sealed contents).
        try:
            same = hmac.compare_digest(keyfile.unwrap_with_recovery(recovery_key), found)
        except AuthError:
            same = False
        if not same:
            raise StoreError(DAMAGED.format(name=name))
    return contents, keyfile, found


def open_backup(path: Path, recovery_key: str) -> tuple[BackupContents, bytes]:
    """The contents (council name and the rest) and the data key, with the recovery key.
    Nothing is written."""
    contents, _keyfile, data_key = _unlock(path, read_header(path), recovery_key=recovery_key)
    return contents, data_key


def _keyfile_of(contents: BackupContents, name: str) -> KeyFile:
    try:
        keyfile = KeyFile.from_json(contents.key_file)
    except (ValueError, KeyError, TypeError):
        raise StoreError(DAMAGED.format(name=name)) from None
    if keyfile.store_id != contents.store_id or not keyfile.recovery:
        raise StoreError(DAMAGED.format(name=name))
    return keyfile


# ---- restoring -------------------------------------------------------------------------

_STORE_FILES = ("shakyo.db", "shakyo.db-wal", "shakyo.db-shm", "keys.json", "unlock-state.json")
_INCOMING = "shakyo.db.restoring" + PARTIAL
# What a restore killed midway can leave in a folder without its database and key file (the
# store it replaced is in backups/): a second restore goes ahead there. Never a -wal or -shm
# file, which SQLite would replay into the restored database.
_LEFTOVERS = frozenset({"backups", "staging", "dropbox", "unlock-state.json", _INCOMING})


def _check_target(layout: StoreLayout, contents: BackupContents, replace: bool) -> bool:
    """Whether a store of the same council is to be replaced; refusals otherwise."""
    root = layout.root
    if root.exists() and not root.is_dir():
        raise InvalidInput(f"「{root}」はフォルダではありません。復元先には空のフォルダを指定してください。")
    check_location(root)
    if layout.database.exists() or layout.key_file.exists():
        try:
            there = KeyFile.load(layout.key_file).store_id
        except StoreError:
            there = None
        if there != contents.store_id:
            raise StoreError(
                f"フォルダ「{root}」には別の社協のデータがあるため、「{contents.council_name}」のバックアップは復元できません。"
                "そのデータには手を付けていません。空のフォルダを指定してください。")
        if not replace:
            raise StoreError(
                f"フォルダ「{root}」にはすでに「{contents.council_name}」のデータがあります。"
                "バックアップで置き換えるときは --replace を指定してください（今のデータは backups フォルダに残します）。")
        return True
    if root.exists() and any(child.name not in _LEFTOVERS for child in root.iterdir()):
        raise StoreError(f"フォルダ「{root}」は空ではありません。復元先には空のフォルダか、まだないフォルダを指定してください。")
    return False


def restore_backup(path: Path, root: Path, recovery_key: str, *, replace: bool = False,
                   login: str | None = None, new_passphrase: str | None = None, kdf: dict | None = None,
                   progress: Progress | None = None) -> RestoreResult:
    """Restore ``path`` into ``root`` with the recovery key. Everything is checked first
    (form, schema, target, recovery key, every chunk); then the database, the key file and the
    drop box's files the backup carries are written, a replaced store of the same council is
    moved into ``backups/``, and the restored store starts a new sync epoch. With ``login``, that account's passphrase is
    set to ``new_passphrase`` (the others keep theirs)."""
    started = time.perf_counter()
    report = progress or (lambda done, total, text: None)
    path, layout = Path(path), StoreLayout(Path(root))
    header = read_header(path)
    if login is not None:
        validate_passphrase(new_passphrase or "")
    # The council and everything else is read only once the key opens the file.
    contents, keyfile, data_key = _unlock(path, header, recovery_key=recovery_key)
    if contents.schema_revision not in migrate.known_revisions():
        raise StoreError(TOO_NEW)
    replacing = _check_target(layout, contents, replace)
    return _restore(path, layout, header, contents, keyfile, data_key, replacing, login, new_passphrase, kdf,
                    report, started)


def restore_with_passphrase(path: Path, root: Path, login: str, passphrase: str,
                            progress: Progress | None = None) -> RestoreResult:
    """The same restore, the data key unwrapped with an account's passphrase from the key
    file inside (benchmarks: the reference stores keep no recovery key). Empty targets only."""
    started = time.perf_counter()
    path, layout = Path(path), StoreLayout(Path(root))
    header = read_header(path)
    contents, keyfile, data_key = _unlock(path, header, login=login, passphrase=passphrase)
    if contents.schema_revision not in migrate.known_revisions():
        raise StoreError(TOO_NEW)
    _check_target(layout, contents, False)
    return _restore(path, layout, header, contents, keyfile, data_key, False, None, None, None,
                    progress or (lambda done, total, text: None), started)


def _restore(path: Path, layout: StoreLayout, header: BackupHeader, contents: BackupContents, keyfile: KeyFile,
             data_key: bytes, replacing: bool, login: str | None, new_passphrase: str | None, kdf: dict | None,
             report: Progress, started: float) -> RestoreResult:
    report(0, 100, "バックアップを確かめています…")
    # A cut or extended file is refused before anything is written; a changed or reordered
    # chunk is refused at that chunk, before it is written, and the partial file is removed
    # (one pass: reading and decrypting the whole file twice cost as much as writing it).
    _check_length(path, contents)

    root = layout.root
    created_root = not root.exists()
    there_before = set() if created_root else {child.name for child in root.iterdir()}
    stamp = clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    incoming = root / _INCOMING
    aside = None
    if replacing:
        aside, n = layout.backups / f"before-restore-{stamp}", 2
        while aside.exists():  # a restore killed within the same second kept its own
            aside, n = layout.backups / f"before-restore-{stamp}-{n}", n + 1
    moved: list[tuple[Path, Path]] = []
    placing = [False]  # set once the old store's files are all aside: what is in root is ours
    placed = backup_dropbox.Placed()
    engine = None
    try:
        try:
            safe_file.make_private_dir(root)
            safe_file.restrict_dir(root)
            report(2, 100, "データを確かめながら書き戻しています…")
            with safe_file.stage(layout.database, temp_name=incoming.name) as out:
                for index, block in enumerate(_chunks(path, contents, data_key, header.salt, header.digest)):
                    out.write(block)
                    if index % 16 == 0:
                        report(2 + 83 * index // contents.chunk_count, 100, "データを確かめながら書き戻しています…")
                out.finish()
                if aside is not None:
                    safe_file.make_private_dir(aside, exist_ok=False)
                    for file_name in _STORE_FILES:
                        source = root / file_name
                        if source.exists():
                            os.replace(source, aside / file_name)
                            moved.append((aside / file_name, source))
                placing[0] = True
                # The key file first, then the database's rename: a process killed between the
                # two leaves this council's key file alone, which a restore with --replace puts
                # aside (a database without its key file would be taken for another council's).
                safe_file.write_atomic(layout.key_file, contents.key_file.encode("utf-8"))
                out.commit()
            if contents.dropbox is not None:
                # Unfiled sheets go back into dropbox/: the next council unlock files them.
                backup_dropbox.put_back(root, contents.dropbox, placed)
        except OSError as error:
            raise StoreError(CANNOT_WRITE.format(folder=root)) from error

        report(88, 100, "新しい同期の区切りを始めています…")
        engine = open_engine(layout.database, data_key)
        probe(engine)
        migrate.upgrade(engine, layout)
        actor = _restore_actor(engine, login)
        store = Store(layout, engine, keyfile, data_key, actor)
        from shakyo_desk.store.exchange.identity import start_new_epoch

        with store.write() as w:
            epoch = start_new_epoch(w.conn)
            # The file restored from counts as this installation's last backup.
            w.conn.execute(DeviceState.__table__.update().where(DeviceState.id == 1),
                           {"last_backup_at": contents.created_at})
            w.audit("store.restore", "council", contents.council_id, {
                "file": path.name, "backup_created_at": contents.created_at.isoformat() + "Z",
                "from_device": contents.device_id, "old_epoch": contents.epoch, "epoch": epoch,
                "replaced": aside.name if aside is not None else None,
                "dropbox": {"sheets": placed.sheets, "quarantine": placed.quarantined},
            })
            if login is not None:
                keyfile.wrap_for_account(login, new_passphrase, data_key, kdf)
                keyfile.save(layout.key_file)
        store.close()
        engine = None
    except BaseException as error:
        if engine is not None:
            engine.dispose()
        backup_dropbox.undo(placed)
        _undo_restore(layout, incoming, moved, placing[0], created_root, aside, there_before)
        if isinstance(error, sa_exc.DatabaseError):
            raise StoreError(DAMAGED.format(name=path.name)) from error
        raise
    report(100, 100, "復元しました。")
    return RestoreResult(root, contents.council_name, contents.council_id, contents.created_at, contents.epoch,
                         epoch, aside, login, time.perf_counter() - started, placed.sheets, placed.quarantined)


def _restore_actor(engine: sa.Engine, login: str | None) -> Actor:
    if login is None:
        # Nobody is signed in during a restore: the recovery key is the authority.
        return Actor(None, "", "復旧キーによる復元", Role.ADMIN)
    from shakyo_desk.store.store import _load_actor

    return _load_actor(engine, login)


def _undo_restore(layout: StoreLayout, incoming: Path, moved: list[tuple[Path, Path]], placing: bool,
                  created_root: bool, aside: Path | None, there_before: set[str]) -> None:
    """Put the folder back as it was: nothing restored, a replaced store where it was, and
    what was there before (a killed restore's backups/ with the store it replaced) untouched."""
    incoming.unlink(missing_ok=True)
    if aside is None:
        if created_root:
            shutil.rmtree(layout.root, ignore_errors=True)
        elif layout.root.exists():
            for child in layout.root.iterdir():
                if child.name in there_before:
                    continue
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
        return
    if placing:
        for file_name in _STORE_FILES:
            (layout.root / file_name).unlink(missing_ok=True)
    for kept, original in moved:
        os.replace(kept, original)
    if aside.exists() and not any(aside.iterdir()):
        aside.rmdir()


def counts(store: Store) -> dict[str, int]:
    """Rows per table (tests and the CLI compare a restored store with its original)."""
    with store.read() as s:
        conn = s.connection()
        names = [r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {n: conn.exec_driver_sql(f'SELECT count(*) FROM "{n}"').scalar() for n in names}


__all__ = ["BackupContents", "BackupHeader", "BackupResult", "BackupStatus", "RestoreResult", "backup_status", "counts",
           "create_backup", "default_file_name", "open_backup", "read_contents", "read_header", "restore_backup"]

