"""Bundle files: the signed, encrypted unit of sync (DESIGN §5, docs/sync-protocol.md).

Sign-then-encrypt. The inner container (manifest + compressed changes + Ed25519 signature)
is encrypted with age to every active device and the council's recovery recipient, so the
standard `age` tool and the recovery identity can open a bundle if the app is ever gone.
age authenticates the ciphertext (truncation or any flipped bit fails), but anyone holding a
recipient key could re-encrypt altered content, so the signature is what says who wrote it.

Pure: no database, no Qt. The export/import pipeline decides what goes in and what a
verified bundle means; this module only makes and opens the bytes.
"""

from __future__ import annotations

import base64
import codecs
import errno
import hashlib
import io
import json
import os
import re
import struct
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import pyrage
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyrage import x25519

from shakyo_desk.domain import safe_file
from shakyo_desk.domain.errors import StoreError, UserError

FORMAT_VERSION = 1
MAGIC = b"SHAKYOBN"
BUNDLE_SUFFIX = ".bundle"
PARTIAL_SUFFIX = safe_file.PARTIAL_SUFFIX
PAYLOAD_ENCODING = "json+zlib"
# Domain separation: a signature over a bundle can never be replayed as a signature over
# anything else the same key signs (roster entries, enrolment files).
SIGNATURE_CONTEXT = b"shakyo-desk bundle signature v1\x00"
SIGNATURE_SIZE = 64
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # a manifest is a few KiB; refuse absurd lengths early

_HEAD = struct.Struct(">8sHI")  # magic, container format version, manifest length
_PAYLOAD_LEN = struct.Struct(">Q")


# ---------------------------------------------------------------- refusals


class BundleRefused(UserError):
    """A bundle that may not be imported; `reason` is a stable code for the quarantine list."""

    exit_code = 8

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class BundleWriteError(StoreError):
    """Writing a bundle to a stick or share failed; nothing usable was left behind."""


def _refuse_decrypt() -> BundleRefused:
    return BundleRefused(
        "decrypt", "この同期ファイルは、この端末宛てではないか、途中で切れているか壊れているため開けません。"
    )


def _refuse_format() -> BundleRefused:
    return BundleRefused(
        "format", "この同期ファイルは中身の形式が正しくない（壊れているか社協デスクの同期ファイルではない）ため取り込めません。"
    )


def _refuse_version(version: object) -> BundleRefused:
    return BundleRefused(
        "unsupported",
        f"この同期ファイルは新しいバージョンの社協デスクで作られた形式（{version}）のため取り込めません。この端末の社協デスクを更新してから取り込んでください。",
    )


def _refuse_council(theirs: object) -> BundleRefused:
    return BundleRefused("council", f"この同期ファイルは別の社協（{theirs}）のものなので取り込めません。")


def _refuse_sender(device: object) -> BundleRefused:
    return BundleRefused(
        "sender", f"この同期ファイルの送り主の端末（{device}）は端末名簿にないか利用停止されているため取り込めません。管理者に相談してください。"
    )


def _refuse_signature() -> BundleRefused:
    return BundleRefused(
        "signature", "この同期ファイルは署名が合わない（送り主が作った後に書き換えられた可能性がある）ため取り込めません。"
    )


def _refuse_payload() -> BundleRefused:
    return BundleRefused(
        "payload", "この同期ファイルは中身が署名された内容と一致しない（書き換えられたか壊れている）ため取り込めません。"
    )


# ---------------------------------------------------------------- keys


def public_key_b64(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key_from(value: Ed25519PublicKey | str | bytes) -> Ed25519PublicKey:
    """Accept a key object, its raw 32 bytes, or the base64 form the roster stores."""
    if isinstance(value, Ed25519PublicKey):
        return value
    raw = base64.b64decode(value, validate=True) if isinstance(value, str) else bytes(value)
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class DeviceKeys:
    """One installation's secrets: an Ed25519 key to sign bundles, an age identity to open them."""

    signing_key: Ed25519PrivateKey
    age_identity: x25519.Identity

    @classmethod
    def generate(cls) -> "DeviceKeys":
        return cls(Ed25519PrivateKey.generate(), x25519.Identity.generate())

    @classmethod
    def from_secrets(cls, signing_private: bytes, age_identity: str) -> "DeviceKeys":
        return cls(Ed25519PrivateKey.from_private_bytes(signing_private), x25519.Identity.from_str(age_identity))

    def signing_private_bytes(self) -> bytes:
        """Raw 32-byte private key; the store keeps it encrypted, never in the clear."""
        return self.signing_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing_key.public_key()

    @property
    def public_key_b64(self) -> str:
        return public_key_b64(self.public_key)

    @property
    def recipient(self) -> str:
        """`age1…`: what other devices encrypt to; published in the roster."""
        return str(self.age_identity.to_public())

    @property
    def identity_str(self) -> str:
        """`AGE-SECRET-KEY-1…`: secret, as the age tool reads it from an identity file."""
        return str(self.age_identity)


def generate_recovery_identity() -> x25519.Identity:
    """The council's offline recovery identity; only its recipient stays on devices."""
    return x25519.Identity.generate()


# ---------------------------------------------------------------- manifest


def canonical_json(value: Any) -> bytes:
    """One byte form for one value: sorted keys, no spaces, UTF-8 (Japanese kept as is)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def make_manifest(
    *,
    council_id: str,
    schema_version: str | int,
    device_id: str,
    epoch: int,
    seq: int,
    prev_bundle_hash: str | None,
    ranges: list[dict],
    knowledge: dict[str, int],
    roster_version: int,
    bundle_id: str | None = None,
) -> dict:
    """The caller's part of a manifest; pack_bundle adds version, recipients, payload and counts.

    ranges: [{"origin": device_id, "epoch": e, "first": seq, "last": seq}, …] — the change
    log slices this bundle carries. knowledge: the sender's version vector, keyed by
    "<device_id>:<epoch>" → highest contiguous seq held.
    """
    return {
        "council_id": council_id,
        "schema_version": schema_version,
        "bundle_id": bundle_id or str(uuid.uuid4()),
        "sender": {"device_id": device_id, "epoch": epoch, "seq": seq},
        "prev_bundle_hash": prev_bundle_hash,
        "ranges": ranges,
        "knowledge": knowledge,
        "roster_version": roster_version,
    }


def _is_int(v: object, minimum: int = 0) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= minimum


def _manifest_problem(m: Mapping) -> str | None:
    """What is wrong with a complete manifest's shape, or None. Used on both sides."""
    s = m.get("sender")
    checks = [
        (m.get("format_version") == FORMAT_VERSION, "format_version"),
        (isinstance(m.get("council_id"), str) and m["council_id"] != "", "council_id"),
        (isinstance(m.get("schema_version"), (str, int)), "schema_version"),
        (isinstance(m.get("bundle_id"), str) and m["bundle_id"] != "", "bundle_id"),
        (isinstance(s, dict) and isinstance(s.get("device_id"), str) and s["device_id"] != "", "sender.device_id"),
        (isinstance(s, dict) and _is_int(s.get("epoch")) and _is_int(s.get("seq"), 1), "sender.epoch/seq"),
        (m.get("prev_bundle_hash") is None or isinstance(m.get("prev_bundle_hash"), str), "prev_bundle_hash"),
        (isinstance(m.get("ranges"), list), "ranges"),
        (isinstance(m.get("knowledge"), dict), "knowledge"),
        (_is_int(m.get("roster_version")), "roster_version"),
        (isinstance(m.get("recipients"), list) and len(m["recipients"]) > 0, "recipients"),
        (isinstance(m.get("payload"), dict), "payload"),
        (isinstance(m.get("counts"), dict) and _is_int(m["counts"].get("changes")), "counts"),
    ]
    for ok, name in checks:
        if not ok:
            return name
    for r in m["ranges"]:
        if not (
            isinstance(r, dict)
            and isinstance(r.get("origin"), str)
            and _is_int(r.get("epoch"))
            and _is_int(r.get("first"), 1)
            and _is_int(r.get("last"), 1)
            and r["first"] <= r["last"]
        ):
            return "ranges"
    if not all(isinstance(k, str) and _is_int(v) for k, v in m["knowledge"].items()):
        return "knowledge"
    p = m["payload"]
    if not (
        p.get("encoding") == PAYLOAD_ENCODING
        and isinstance(p.get("sha256"), str)
        and len(p["sha256"]) == 64
        and _is_int(p.get("size"))
    ):
        return "payload"
    return None


# ---------------------------------------------------------------- container


def _signed_message(manifest_bytes: bytes, payload_sha256: bytes) -> bytes:
    return SIGNATURE_CONTEXT + struct.pack(">I", len(manifest_bytes)) + manifest_bytes + payload_sha256


def build_inner(manifest_bytes: bytes, payload: bytes, signature: bytes, version: int = FORMAT_VERSION) -> bytes:
    """Lay out the inner container (docs/sync-protocol.md, "Bundle file format")."""
    if len(signature) != SIGNATURE_SIZE:
        raise ValueError("an Ed25519 signature is 64 bytes")
    return b"".join(
        [
            _HEAD.pack(MAGIC, version, len(manifest_bytes)),
            manifest_bytes,
            _PAYLOAD_LEN.pack(len(payload)),
            payload,
            signature,
        ]
    )


@dataclass(frozen=True)
class Inner:
    version: int
    manifest_bytes: bytes
    payload: bytes | memoryview  # a view when `inner` is one: the payload is most of a bundle
    signature: bytes


def unpack_inner(inner: bytes | memoryview) -> Inner:
    """Split decrypted bytes into their parts; every length must add up exactly."""
    if len(inner) < _HEAD.size or inner[:8] != MAGIC:
        raise _refuse_format()
    _, version, m_len = _HEAD.unpack_from(inner)
    if version > FORMAT_VERSION:
        raise _refuse_version(version)
    if version != FORMAT_VERSION or m_len > MAX_MANIFEST_BYTES:
        raise _refuse_format()
    at = _HEAD.size + m_len
    if len(inner) < at + _PAYLOAD_LEN.size:
        raise _refuse_format()
    (p_len,) = _PAYLOAD_LEN.unpack_from(inner, at)
    at += _PAYLOAD_LEN.size
    if len(inner) != at + p_len + SIGNATURE_SIZE:
        raise _refuse_format()
    return Inner(version, bytes(inner[_HEAD.size : _HEAD.size + m_len]), inner[at : at + p_len],
                 bytes(inner[at + p_len :]))


# ---------------------------------------------------------------- pack


def pack_bundle(
    manifest: Mapping,
    changes: list[dict],
    signing_key: Ed25519PrivateKey | DeviceKeys,
    recipients: list[str],
) -> bytes:
    """Sign and encrypt one bundle. `manifest` is make_manifest()'s dict (extra keys are kept
    and signed); `recipients` are the `age1…` strings of every active device plus recovery."""
    return pack_bundle_hashed(manifest, changes, signing_key, recipients)[0]


class Payload:
    """The payload built change by change: each change's JSON goes straight into the zlib
    stream, so a council-wide bundle never exists as one big list or string in memory.
    `add_json` takes a change already encoded as a JSON object (UTF-8 bytes)."""

    # Measured on large-town's 429k changes: level 1 compresses in half the time of level 6
    # for a 25 % larger file (33 MB instead of 27 MB, 4 % of the database).
    LEVEL = 1

    def __init__(self, prefix: bytes = b"") -> None:
        self._z = zlib.compressobj(self.LEVEL)
        self._parts: list[bytes] = []
        self.size = 0
        self.count = 0
        self.by_entity: Counter = Counter()
        if prefix:  # (enrolment files put their metadata line first)
            self._feed(prefix)

    def _feed(self, data: bytes) -> None:
        self.size += len(data)
        out = self._z.compress(data)
        if out:
            self._parts.append(out)

    def add_json(self, change_json: bytes, entity: str) -> None:
        self._feed((b"[" if self.count == 0 else b",") + change_json)
        self.count += 1
        self.by_entity[entity] += 1

    def add(self, change: dict) -> None:
        self.add_json(canonical_json(change), str(change.get("entity")))

    def finish(self) -> bytes:
        self._feed(b"[]" if self.count == 0 else b"]")
        self._parts.append(self._z.flush())
        data = b"".join(self._parts)
        self._parts = []
        return data


def pack_bundle_hashed(
    manifest: Mapping,
    changes: list[dict] | Payload,
    signing_key: Ed25519PrivateKey | DeviceKeys,
    recipients: list[str],
) -> tuple[bytes, str]:
    """pack_bundle, also returning the bundle hash receivers will compute. `changes` may be
    a list of change objects or a Payload already filled."""
    key = signing_key.signing_key if isinstance(signing_key, DeviceKeys) else signing_key
    recipients = list(dict.fromkeys(recipients))  # keep order, drop repeats
    if not recipients:
        raise ValueError("a bundle needs at least one recipient")
    parsed = [x25519.Recipient.from_str(r) for r in recipients]  # raises on a malformed roster entry

    if not isinstance(changes, Payload):
        filled = Payload()
        for change in changes:
            filled.add(change)
        changes = filled
    payload = changes.finish()
    payload_hash = hashlib.sha256(payload).digest()
    full = dict(manifest)
    full.update(
        format_version=FORMAT_VERSION,
        recipients=recipients,
        payload={"encoding": PAYLOAD_ENCODING, "sha256": payload_hash.hex(), "size": changes.size},
        counts={"changes": changes.count, "by_entity": dict(changes.by_entity)},
    )
    problem = _manifest_problem(full)
    if problem:
        raise ValueError(f"manifest field {problem} is missing or malformed")
    manifest_bytes = canonical_json(full)
    signature = key.sign(_signed_message(manifest_bytes, payload_hash))
    return pyrage.encrypt(build_inner(manifest_bytes, payload, signature), parsed), bundle_hash(manifest_bytes)


# ---------------------------------------------------------------- open


@dataclass(frozen=True)
class Verified:
    """A bundle whose sender, signature and payload hash hold. Its changes are read by
    `iter_changes`, one at a time from the compressed payload, so a council-wide bundle never
    sits in memory as one list; a payload that turns out malformed raises BundleRefused while
    iterating (the importer applies inside one transaction, so that changes nothing)."""

    manifest: dict
    payload: bytes | memoryview  # compressed, exactly as signed
    # SHA-256 of the signed manifest bytes (which bind the payload hash): the name the
    # next bundle from this sender uses in prev_bundle_hash, and the import dedupe key.
    bundle_hash: str

    @property
    def sender(self) -> tuple[str, int, int]:
        s = self.manifest["sender"]
        return s["device_id"], s["epoch"], s["seq"]

    @property
    def count(self) -> int:
        return self.manifest["counts"]["changes"]

    def iter_changes(self) -> Iterator[dict]:
        count = 0
        for change in json_objects(inflate(self.payload, self.manifest["payload"]["size"])):
            count += 1
            if count > self.count:
                raise _refuse_format()
            yield change
        if count != self.count:
            raise _refuse_format()


@dataclass(frozen=True)
class Opened(Verified):
    """A verified bundle with its changes parsed into a list (small bundles, tests)."""

    changes: list[dict] = field(default_factory=list)


def bundle_hash(manifest_bytes: bytes) -> str:
    return hashlib.sha256(manifest_bytes).hexdigest()


_IN_STEP = 1 << 18  # compressed bytes fed at a time
_OUT_STEP = 1 << 21  # at most this much inflated text at a time
MAX_CHANGE_CHARS = 16 << 20  # no single change is this long; stop reading a malformed payload


def inflate(payload: bytes, size: int | None = None) -> Iterator[bytes]:
    """The payload's text in pieces. The signed declared size bounds the inflation, so even a
    buggy sender cannot make us inflate without limit (enrolment files, sealed with a secret
    code, declare none)."""
    d = zlib.decompressobj()
    total = 0
    view = memoryview(payload)
    try:
        for start in range(0, len(payload), _IN_STEP):
            data = view[start : start + _IN_STEP]
            while data:
                if d.eof:  # bytes after the end of the stream (zlib would keep offering them back)
                    raise _refuse_format()
                out = d.decompress(data, _OUT_STEP)
                total += len(out)
                if size is not None and total > size:
                    raise _refuse_format()
                if out:
                    yield out
                data = d.unconsumed_tail
        if not d.eof or d.unused_data or (size is not None and total != size):
            raise _refuse_format()
    except zlib.error:
        raise _refuse_format() from None


_SPACE = " \t\n\r"


def json_objects(pieces: Iterator[bytes]) -> Iterator[dict]:
    """The objects of a JSON array of objects, parsed as the text arrives."""
    text = codecs.getincrementaldecoder("utf-8")()
    decode = json.JSONDecoder().scan_once  # (raw_decode without its frame: 430,000 calls a council)
    buf, pos, more = "", 0, True
    state = "open"  # open → first (object or ]) → next (, or ]) → item (object) … → closed

    def fill() -> None:
        nonlocal buf, pos, more
        piece = next(pieces, None)
        more = piece is not None
        try:
            buf = buf[pos:] + text.decode(piece or b"", final=not more)
        except UnicodeDecodeError:
            raise _refuse_format() from None
        pos = 0

    while True:
        while pos < len(buf) and buf[pos] in _SPACE:
            pos += 1
        if pos == len(buf):
            if not more:
                break
            fill()
            continue
        ch = buf[pos]
        if state == "closed":
            raise _refuse_format()
        if state == "open":
            if ch != "[":
                raise _refuse_format()
            state, pos = "first", pos + 1
        elif state == "next":
            if ch not in ",]":
                raise _refuse_format()
            state, pos = ("item" if ch == "," else "closed"), pos + 1
        elif state == "first" and ch == "]":
            state, pos = "closed", pos + 1
        else:  # an object: "first" or "item"
            if ch != "{":
                raise _refuse_format()
            try:
                value, end = decode(buf, pos)
            except (ValueError, StopIteration):
                # Most often the object continues in the next piece.
                if not more or len(buf) - pos > MAX_CHANGE_CHARS:
                    raise _refuse_format() from None
                fill()
                continue
            yield value
            state, pos = "next", end
            while buf.startswith(",{", pos):  # the usual next object, without a round of the states
                try:
                    value, end = decode(buf, pos + 1)
                except (ValueError, StopIteration):
                    state, pos = "item", pos + 1  # the states take it from here,
                    if more:
                        fill()  # most often with the rest of this object
                    break
                yield value
                pos = end
    if state != "closed":
        raise _refuse_format()


def verify_bundle(
    data: bytes | Path,
    identity: x25519.Identity | str | DeviceKeys,
    trusted_keys: Mapping[str, Ed25519PublicKey | str | bytes] | Callable[[dict], Mapping],
    council_id: str,
) -> Verified:
    """Decrypt and verify a bundle (its bytes, or the path of a file holding them), or raise
    BundleRefused; its changes are then read with `Verified.iter_changes`.

    trusted_keys: device_id → public key of every device the current roster accepts (revoked
    devices left out by the caller), or a function of the (still unverified) manifest that returns
    them — the import pipeline uses it to adopt a newer signed roster the bundle carries before
    judging its sender. Every check only refuses, so the order merely picks the
    most useful sentence; nothing is accepted until the signature and the payload hash hold.
    """
    if isinstance(identity, DeviceKeys):
        identity = identity.age_identity
    elif isinstance(identity, str):
        identity = x25519.Identity.from_str(identity)
    try:
        inner_bytes = _decrypt(data, identity)
    except Exception:  # DecryptError, and header parse errors raised as other types
        raise _refuse_decrypt() from None

    inner = unpack_inner(inner_bytes)
    del inner_bytes
    try:
        manifest = json.loads(inner.manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _refuse_format() from None
    if not isinstance(manifest, dict):
        raise _refuse_format()
    if manifest.get("format_version") != inner.version:
        raise _refuse_format()

    # Unauthenticated claims, used only to refuse with the right words.
    if manifest.get("council_id") != council_id:
        raise _refuse_council(manifest.get("council_id"))
    if callable(trusted_keys):
        trusted_keys = trusted_keys(manifest)
    sender = manifest.get("sender")
    device_id = sender.get("device_id") if isinstance(sender, dict) else None
    if not isinstance(device_id, str) or device_id not in trusted_keys:
        raise _refuse_sender(device_id)

    payload_hash = hashlib.sha256(inner.payload).digest()
    claimed = manifest.get("payload", {}).get("sha256") if isinstance(manifest.get("payload"), dict) else None
    try:
        claimed_raw = bytes.fromhex(claimed) if isinstance(claimed, str) else b""
    except ValueError:
        claimed_raw = b""
    # The signature covers the manifest and the payload hash it names: verify against the
    # claimed hash first, so a re-encrypted bundle with a changed manifest reads as tampered.
    try:
        public_key_from(trusted_keys[device_id]).verify(
            inner.signature, _signed_message(inner.manifest_bytes, claimed_raw)
        )
    except InvalidSignature:
        raise _refuse_signature() from None
    if _manifest_problem(manifest):
        raise _refuse_format()
    if payload_hash != claimed_raw:
        raise _refuse_payload()
    return Verified(manifest, inner.payload, bundle_hash(inner.manifest_bytes))


def _decrypt(data: bytes | Path, identity: x25519.Identity) -> bytes | memoryview:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return pyrage.decrypt(bytes(data), [identity])
    # From a file: only the decrypted bytes are ever in memory (`decrypt` of bytes held the
    # file and two copies of its content at once, 100 MB for a large town's full bundle).
    out = io.BytesIO()
    with open(data, "rb") as fh:
        pyrage.decrypt_io(fh, out, [identity])
    return out.getbuffer()


def open_bundle(
    data: bytes,
    identity: x25519.Identity | str | DeviceKeys,
    trusted_keys: Mapping[str, Ed25519PublicKey | str | bytes] | Callable[[dict], Mapping],
    council_id: str,
) -> Opened:
    """verify_bundle with every change parsed into a list; nothing partial is ever returned."""
    verified = verify_bundle(data, identity, trusted_keys, council_id)
    changes = list(verified.iter_changes())
    return Opened(verified.manifest, verified.payload, verified.bundle_hash, changes)


# ---------------------------------------------------------------- files


def _short(text: str, length: int) -> str:
    """ASCII-only slug so the name survives FAT sticks and SMB shares; a hash when nothing is left."""
    slug = re.sub(r"[^a-z0-9]+", "", text.lower())[:length]
    return slug or hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def bundle_file_name(council_id: str, device_name: str, device_id: str, epoch: int, seq: int) -> str:
    """e.g. shakyo-3f9a2c1b-tanakala-5d41402a-e1-000014.bundle — sorts by bundle number per device.

    The device part is a readable slug of its name (may be empty or shared: "tanaka-laptop-01"
    and "-02") plus a hash of its id, so two devices never write the same name into one folder
    (the id's own prefix would not do: uuid7 ids of devices enrolled in the same minute share it)."""
    if not (_is_int(epoch) and _is_int(seq, 1)):
        raise ValueError("epoch must be ≥ 0 and seq ≥ 1")
    slug = re.sub(r"[^a-z0-9]+", "", device_name.lower())[:8]
    device = (slug + "-" if slug else "") + hashlib.sha256(device_id.encode("utf-8")).hexdigest()[:8]
    return f"shakyo-{_short(council_id, 8)}-{device}-e{epoch}-{seq:06d}{BUNDLE_SUFFIX}"


def is_bundle_name(name: str) -> bool:
    """A name an importer looks at in a folder: it ends in `.bundle` and is not hidden. Our own
    `.partial`, and the temporary and lock files of file-sync clients (`.syncthing.x.tmp`,
    `~syncthing~x.tmp`, `~$x`, `._x` on a stick written by a Mac, `.x.~1a2b` of Nextcloud,
    `x.bundle.part`, `x.bundle.!sync`…) are never finished bundles. Conflict copies that keep the
    suffix (`x.sync-conflict-….bundle`, `x (conflicted copy …).bundle`) are bundles like any other:
    the signed manifest, not the name, says which bundle a file is (a copy reads as a replay)."""
    return name.endswith(BUNDLE_SUFFIX) and not name.startswith((".", "~"))


def bundle_files_in(folder: Path) -> list[Path]:
    """Bundle files an importer should look at in a folder (`is_bundle_name`), sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if is_bundle_name(p.name) and p.is_file())


def _write_error(exc: OSError) -> BundleWriteError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return BundleWriteError("書き込み先に空きがないため同期ファイルを書けませんでした。空きのある USBメモリかフォルダを選んでください。")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return BundleWriteError("書き込み先が書き込み禁止のため同期ファイルを書けませんでした。USBメモリのロックやフォルダの権限を確かめてください。")
    return BundleWriteError(
        f"同期ファイルを書き込めませんでした（{exc.strerror or exc}）。USBメモリが抜けていないか確かめて、もう一度書き出してください。"
    )


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:  # the stick may be gone; a leftover .partial is ignored by importers
        pass


def write_bundle_file(
    folder: Path,
    name: str,
    data: bytes,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = 1 << 20,
) -> Path:
    """Write `name.partial` (owner-only, `domain/safe_file.py`), fsync, rename to `name`, then
    read it back and compare hashes.

    Only when this returns may the user be told the stick can be removed. On any failure a
    BundleWriteError is raised and no file named `name` is left with wrong content.
    """
    folder = Path(folder)
    final = folder / name
    expected = hashlib.sha256(data).digest()
    view = memoryview(data)
    try:
        with safe_file.stage(final, temp_name=name + PARTIAL_SUFFIX) as partial:
            for start in range(0, len(view), chunk_size):
                partial.write(view[start : start + chunk_size])
                if progress:
                    progress(min(start + chunk_size, len(view)), len(view))
            partial.commit()
    except OSError as exc:
        raise _write_error(exc) from exc

    try:
        with open(final, "rb") as fh:
            # Ask the OS to drop its cached copy so the read comes from the device itself
            # (best effort; without it a dying stick could still "verify" from memory).
            if hasattr(os, "posix_fadvise"):
                try:
                    os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
                except OSError:
                    pass
            digest = hashlib.sha256()
            while block := fh.read(chunk_size):
                digest.update(block)
        ok = digest.digest() == expected
    except OSError as exc:
        _remove_quietly(final)
        raise _write_error(exc) from exc
    if not ok:
        _remove_quietly(final)
        raise BundleWriteError("書き込んだ同期ファイルを読み直すと内容が一致しませんでした。別の USBメモリかフォルダに書き出し直してください。")
    return final
