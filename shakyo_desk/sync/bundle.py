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

import array
import base64
import codecs
import hashlib
import io
import itertools
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
from shakyo_desk.domain.file_errors import write_failure

FORMAT_VERSION = 2  # written; format 1 (roster inside the manifest) is still read
READABLE_VERSIONS = (1, 2)
MAGIC = b"SHAKYOBN"
BUNDLE_SUFFIX = ".bundle"
PARTIAL_SUFFIX = safe_file.PARTIAL_SUFFIX
PAYLOAD_ENCODING = "json+zlib"
# Domain separation: a signature over a bundle can never be replayed as a signature over
# anything else the same key signs (roster entries, enrolment files), nor a format-1
# signature as a format-2 one.
SIGNATURE_CONTEXT = b"shakyo-desk bundle signature v2\x00"
SIGNATURE_CONTEXT_V1 = b"shakyo-desk bundle signature v1\x00"
SIGNATURE_SIZE = 64

# ---- limits (docs/sync-protocol.md, "Limits"). Everything a bundle declares or carries is
# bounded before or while it is parsed, so no file can exhaust memory, CPU or the stack.
MAX_MANIFEST_BYTES = 1 << 20  # a manifest is a few KiB (a format-1 one with its roster, tens)
MAX_ROSTER_BYTES = 1 << 20  # roster body: ~400 bytes a device, ~100 an account
MAX_ROSTER_DEVICES = 1_000  # keys tried against a signature
MAX_JSON_DEPTH = 32  # manifests nest 3 deep, rosters 4, change values 2–3
MAX_RANGES = 10_000  # one per origin and epoch carried
MAX_KNOWLEDGE = 10_000  # entries of a version vector (manifest knowledge, a change's base)
MAX_RECIPIENTS = 1_000
MAX_WITNESSES = 1_000  # audit heads a manifest passes back: one per reader and epoch
MAX_ID_CHARS = 200  # ids, knowledge keys, schema versions: uuids are 36
MAX_NUMBER = 1_000_000_000  # change seqs, bundle numbers, roster versions
MAX_EPOCH = 2**31 - 1  # joined installations start at a random epoch below 2**30 (devices.py)
MAX_CHANGES = 20_000_000  # a large town's full bundle holds ~430,000
MAX_FIELD_CHARS = 64 << 10  # one field value (the longest text a form takes is 8,000 characters)
MAX_CHANGE_CHARS = 256 << 10  # one change's JSON text: several long texts and their keys
MAX_PAYLOAD_BYTES = 4 << 30  # inflated JSON; a large town's full bundle is ~365 MB
MAX_INFLATE_RATIO = 100  # real payloads inflate ~10×; zlib at most ~1,030×
INFLATE_ALLOWANCE = 4 << 20  # small payloads may inflate any ratio up to this size
# Reporters' sheets travelling towards the office (manifest `drops`, store/exchange/drops.py). A
# list longer than MAX_DROPS refuses the bundle; a drop over MAX_DROP_BYTES or otherwise wrong is
# left out by the receiver alone (a relay cannot open what it passes on). The sender keeps the
# drops' total within MAX_DROPS_BYTES so the manifest stays far below MAX_MANIFEST_BYTES.
MAX_DROPS = 64  # drop files one bundle carries; more wait for the next bundle
MAX_DROP_BYTES = 128 << 10  # one drop file (the longest sheet the form takes seals to ~80 KB)
MAX_DROPS_BYTES = 512 << 10  # every drop of one bundle (base64 in the manifest: 683 KiB)
MAX_DROPS_FILED = 2_000  # ids of filed drops in the office's bundle for a district-limited laptop

_HEAD = struct.Struct(">8sH")  # magic, container format version
_LEN32 = struct.Struct(">I")  # roster section length (format 2), manifest length
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


def _refuse_signature() -> BundleRefused:
    return BundleRefused(
        "signature",
        "この同期ファイルは、端末名簿にあるどの端末の署名とも合わない（名簿にない端末が作ったか、作られた後に書き換えられた）ため取り込めません。"
        "送り主の端末でもう一度書き出してもらい、それでも同じなら管理者に相談してください。",
    )


def _refuse_sender_mismatch() -> BundleRefused:
    return BundleRefused(
        "signature",
        "この同期ファイルは、署名した端末とは別の端末が作ったと名乗っているため取り込めません。管理者に相談してください。",
    )


# What each limit protects, in the words the person sees. Every one is refused the same way:
# reason "limit", the file quarantined, the other files of the run imported.
_LIMIT_SENTENCES = {
    "manifest": "目録（中身の一覧）が大きすぎる",
    "roster": "同梱された端末名簿が大きすぎる",
    "depth": "データの入れ子が深すぎる",
    "count": "目録に並ぶ範囲・受け取り状況・宛先・把握シートの数が多すぎる",
    "number": "番号（同期ファイルの番号や変更の番号）が大きすぎる",
    "text": "目録の名前や番号の文字列が長すぎる",
    "field": "1つの項目の値が長すぎる",
    "change": "1件の変更が大きすぎる",
    "payload": "展開すると大きくなりすぎる（圧縮を悪用したファイルのおそれがある）",
}


def _refuse_limit(what: str) -> BundleRefused:
    return BundleRefused(
        "limit",
        f"この同期ファイルは{_LIMIT_SENTENCES[what]}ため取り込めません。"
        "社協デスクが作ったものではないか壊れているおそれがあります。管理者に相談してください。",
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


# A JSON string, or an unterminated one up to the end: always matches, so the scan is linear
# (a pattern that could fail would be retried from every later quote, quadratic on hostile input).
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"?', re.S)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_DEPTH_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text, found by a linear scan (strings
    removed, brackets counted) without parsing: json.loads recurses once per level, so a deep
    document exhausts the stack (RecursionError, or worse in a thread with a small stack)."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", data))
    return max(itertools.accumulate(array.array("b", brackets.translate(_DEPTH_STEP))), default=0)


def parse_bounded(data: bytes, max_bytes: int, too_big: str) -> Any:
    """json.loads of untrusted bytes, after checking their size and nesting depth (limits
    `max_bytes` and MAX_JSON_DEPTH, refused as the limit `too_big` and "depth")."""
    if len(data) > max_bytes:
        raise _refuse_limit(too_big)
    if json_depth(data) > MAX_JSON_DEPTH:
        raise _refuse_limit("depth")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:  # (not reachable after the depth scan; kept as a last line)
        raise _refuse_limit("depth") from None
    except (UnicodeDecodeError, ValueError):
        raise _refuse_format() from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


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


_RANGE_KEYS = {"origin", "epoch", "first", "last", "chain"}
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SIGNATURE_B64 = re.compile(r"[A-Za-z0-9+/]{86}==")


def _range_chain_ok(value: object) -> bool:
    """A range's origin chain (sync/chain.py): {"from": hex, "head": hex, "sig": base64}."""
    return (isinstance(value, dict) and value.keys() == {"from", "head", "sig"}
            and all(isinstance(v, str) for v in value.values())
            and bool(_HEX64.fullmatch(value["from"])) and bool(_HEX64.fullmatch(value["head"]))
            and bool(_SIGNATURE_B64.fullmatch(value["sig"])))


_AUDIT_HEAD_KEYS = {"device_id", "epoch", "id", "hash", "at"}
_WITNESS_KEYS = {"device_id", "epoch", "id", "hash"}


def _audit_head_ok(value: object, keys: set[str]) -> bool:
    """An audit log's head (store/audit_witness.py): {device_id, epoch, id, hash[, at]}."""
    return (isinstance(value, dict) and value.keys() == keys
            and isinstance(value["device_id"], str) and value["device_id"] != ""
            and _is_int(value["epoch"]) and _is_int(value["id"], 1)
            and isinstance(value["hash"], str) and bool(_HEX64.fullmatch(value["hash"]))
            and ("at" not in keys or isinstance(value["at"], str)))


def _manifest_problem(m: Mapping) -> str | None:
    """What is wrong with a complete manifest's shape, or None. Used on both sides."""
    s = m.get("sender")
    checks = [
        (m.get("format_version") in READABLE_VERSIONS, "format_version"),
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
            and r.keys() <= _RANGE_KEYS
            and ("chain" not in r or _range_chain_ok(r["chain"]))
        ):
            return "ranges"
    if not all(isinstance(k, str) and _is_int(v) for k, v in m["knowledge"].items()):
        return "knowledge"
    if "audit_head" in m and not (_audit_head_ok(m["audit_head"], _AUDIT_HEAD_KEYS)
                                  and m["audit_head"]["device_id"] == s["device_id"]):
        return "audit_head"
    if "witnesses" in m and not (isinstance(m["witnesses"], list)
                                 and all(_audit_head_ok(w, _WITNESS_KEYS) for w in m["witnesses"])):
        return "witnesses"
    if "drops" in m and not isinstance(m["drops"], list):  # (each entry is judged on its own)
        return "drops"
    if "drops_filed" in m and not (isinstance(m["drops_filed"], list)
                                   and all(isinstance(i, str) for i in m["drops_filed"])):
        return "drops_filed"
    p = m["payload"]
    if not (
        p.get("encoding") == PAYLOAD_ENCODING
        and isinstance(p.get("sha256"), str)
        and len(p["sha256"]) == 64
        and _is_int(p.get("size"))
    ):
        return "payload"
    return None


def _manifest_limit(m: Mapping) -> str | None:
    """Which limit a manifest of the right shape breaks, or None (docs/sync-protocol.md,
    "Limits"). Checked on both sides: a sender never writes what receivers refuse."""
    s, p, c = m["sender"], m["payload"], m["counts"]
    heads = ([m["audit_head"]] if "audit_head" in m else []) + list(m.get("witnesses", []))
    ids = [m["council_id"], m["bundle_id"], s["device_id"], str(m["schema_version"]), *m["knowledge"],
           *(r["origin"] for r in m["ranges"]), *(h["device_id"] for h in heads), *m.get("drops_filed", ())]
    if (any(len(i) > MAX_ID_CHARS for i in ids) or m["prev_bundle_hash"] is not None and len(m["prev_bundle_hash"]) > 64
            or "audit_head" in m and len(m["audit_head"]["at"]) > 40):
        return "text"
    by_entity = c.get("by_entity")
    if (len(m["ranges"]) > MAX_RANGES or len(m["knowledge"]) > MAX_KNOWLEDGE or len(m["recipients"]) > MAX_RECIPIENTS
            or (isinstance(by_entity, dict) and len(by_entity) > MAX_KNOWLEDGE)
            or len(m.get("witnesses", [])) > MAX_WITNESSES or len(m.get("drops", [])) > MAX_DROPS
            or len(m.get("drops_filed", [])) > MAX_DROPS_FILED):
        return "count"
    numbers = [s["seq"], m["roster_version"], *m["knowledge"].values(),
               *(r[k] for r in m["ranges"] for k in ("first", "last")), *(h["id"] for h in heads)]
    epochs = [s["epoch"], *(r["epoch"] for r in m["ranges"]), *(h["epoch"] for h in heads)]
    if any(n > MAX_NUMBER for n in numbers) or any(e > MAX_EPOCH for e in epochs) or c["changes"] > MAX_CHANGES:
        return "number"
    if p["size"] > MAX_PAYLOAD_BYTES:
        return "payload"
    return None


def inflate_limit(compressed_size: int) -> int:
    """The most a payload of this many compressed bytes may inflate to."""
    return min(MAX_PAYLOAD_BYTES, max(INFLATE_ALLOWANCE, MAX_INFLATE_RATIO * compressed_size))


# ---------------------------------------------------------------- container


@dataclass(frozen=True)
class CarriedRoster:
    """The signed roster a bundle carries: the canonical JSON body and the council admin's
    raw 64-byte Ed25519 signature over `"shakyo-desk roster signature v1" 0x00 | body`.
    Nothing in it is parsed until that signature holds (sync/roster.py)."""

    body: bytes
    signature: bytes

    @classmethod
    def from_json(cls, value: object) -> "CarriedRoster | None":
        """The `{"body", "signature"}` base64 form (a format-1 manifest's `roster`), or None."""
        try:
            body = base64.b64decode(value["body"], validate=True)  # type: ignore[index]
            signature = base64.b64decode(value["signature"], validate=True)  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            return None
        if len(body) > MAX_ROSTER_BYTES or len(signature) != SIGNATURE_SIZE:
            return None
        return cls(body, signature)

    @property
    def section(self) -> bytes:
        return self.body + self.signature


def _signed_message(manifest_bytes: bytes, payload_sha256: bytes, roster: bytes | None = None) -> bytes:
    """What the sender signs. Format 2 (`roster` given, possibly empty) binds the roster
    section too; format 1 (`roster` None) covers the manifest and the payload hash only."""
    if roster is None:
        return SIGNATURE_CONTEXT_V1 + _LEN32.pack(len(manifest_bytes)) + manifest_bytes + payload_sha256
    return b"".join((SIGNATURE_CONTEXT, _LEN32.pack(len(roster)), roster, _LEN32.pack(len(manifest_bytes)),
                     manifest_bytes, payload_sha256))


def build_inner(manifest_bytes: bytes, payload: bytes, signature: bytes, version: int = FORMAT_VERSION,
                roster: bytes = b"") -> bytes:
    """Lay out the inner container (docs/sync-protocol.md, "Bundle file format"); `roster` is
    format 2's roster section (body + admin signature, or empty)."""
    if len(signature) != SIGNATURE_SIZE:
        raise ValueError("an Ed25519 signature is 64 bytes")
    parts = [_HEAD.pack(MAGIC, version)]
    if version >= 2:
        parts += [_LEN32.pack(len(roster)), roster]
    elif roster:
        raise ValueError("format 1 has no roster section")
    parts += [_LEN32.pack(len(manifest_bytes)), manifest_bytes, _PAYLOAD_LEN.pack(len(payload)), payload, signature]
    return b"".join(parts)


@dataclass(frozen=True)
class Inner:
    version: int
    manifest_bytes: bytes
    payload: bytes | memoryview  # a view when `inner` is one: the payload is most of a bundle
    signature: bytes
    roster: bytes = b""  # format 2's roster section, as signed (empty: none, and always in format 1)

    def signed_message(self, payload_sha256: bytes) -> bytes:
        return _signed_message(self.manifest_bytes, payload_sha256, self.roster if self.version >= 2 else None)

    @property
    def carried_roster(self) -> CarriedRoster | None:
        if not self.roster:
            return None
        return CarriedRoster(self.roster[:-SIGNATURE_SIZE], self.roster[-SIGNATURE_SIZE:])


def unpack_inner(inner: bytes | memoryview) -> Inner:
    """Split decrypted bytes into their parts; every length must add up exactly, and the
    roster section and the manifest are refused above their limits before anything is read."""
    if len(inner) < _HEAD.size or inner[:8] != MAGIC:
        raise _refuse_format()
    _, version = _HEAD.unpack_from(inner)
    if version > FORMAT_VERSION:
        raise _refuse_version(version)
    if version not in READABLE_VERSIONS:
        raise _refuse_format()
    at = _HEAD.size
    roster = b""
    if version >= 2:
        if len(inner) < at + _LEN32.size:
            raise _refuse_format()
        (r_len,) = _LEN32.unpack_from(inner, at)
        at += _LEN32.size
        if r_len > MAX_ROSTER_BYTES + SIGNATURE_SIZE:
            raise _refuse_limit("roster")
        if 0 < r_len <= SIGNATURE_SIZE or len(inner) < at + r_len:
            raise _refuse_format()
        roster = bytes(inner[at : at + r_len])
        at += r_len
    if len(inner) < at + _LEN32.size:
        raise _refuse_format()
    (m_len,) = _LEN32.unpack_from(inner, at)
    at += _LEN32.size
    if m_len > MAX_MANIFEST_BYTES:
        raise _refuse_limit("manifest")
    m_at = at
    at += m_len
    if len(inner) < at + _PAYLOAD_LEN.size:
        raise _refuse_format()
    (p_len,) = _PAYLOAD_LEN.unpack_from(inner, at)
    at += _PAYLOAD_LEN.size
    if len(inner) != at + p_len + SIGNATURE_SIZE:
        raise _refuse_format()
    return Inner(version, bytes(inner[m_at : m_at + m_len]), inner[at : at + p_len], bytes(inner[at + p_len :]),
                 roster)


# ---------------------------------------------------------------- pack


def pack_bundle(
    manifest: Mapping,
    changes: list[dict],
    signing_key: Ed25519PrivateKey | DeviceKeys,
    recipients: list[str],
    roster: CarriedRoster | None = None,
) -> bytes:
    """Sign and encrypt one bundle. `manifest` is make_manifest()'s dict (extra keys are kept
    and signed); `recipients` are the `age1…` strings of every active device plus recovery;
    `roster` the sender's newest signed roster (its own section of the container)."""
    return pack_bundle_hashed(manifest, changes, signing_key, recipients, roster=roster)[0]


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

    def add_lines(self, lines: list[str], entities: list[str]) -> None:
        """Changes already encoded as JSON objects (text): the same payload as `add_json` of
        each, fed a few dozen at a time. (Not all at once: buffers over 128 kB go through the C
        allocator's large-block path and, freed between the compressed parts kept, left a full
        export's memory 30 MB higher.)"""
        for start in range(0, len(lines), 32):
            part = ",".join(lines[start:start + 32])
            self._feed((("[" if self.count == 0 and start == 0 else ",") + part).encode("utf-8"))
        self.count += len(lines)
        self.by_entity.update(entities)

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
    roster: CarriedRoster | None = None,
) -> tuple[bytes, str]:
    """pack_bundle, also returning the bundle hash receivers will compute. `changes` may be
    a list of change objects or a Payload already filled. A manifest key `roster` in the
    `{"body", "signature"}` form (where format 1 carried it) is moved into the roster section."""
    key = signing_key.signing_key if isinstance(signing_key, DeviceKeys) else signing_key
    manifest = dict(manifest)
    if "roster" in manifest:
        carried = CarriedRoster.from_json(manifest.pop("roster"))
        if carried is None:
            raise ValueError("manifest key roster is not a signed roster")
        roster = roster or carried
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
    problem = _manifest_problem(full) or _manifest_limit(full)
    if problem:
        raise ValueError(f"manifest field {problem} is missing, malformed or over its limit")
    manifest_bytes = canonical_json(full)
    section = roster.section if roster is not None else b""
    if len(manifest_bytes) > MAX_MANIFEST_BYTES or len(section) > MAX_ROSTER_BYTES + SIGNATURE_SIZE:
        raise ValueError("manifest or roster over its limit")
    signature = key.sign(_signed_message(manifest_bytes, payload_hash, section))
    inner = build_inner(manifest_bytes, payload, signature, roster=section)
    del payload  # (a full bundle's 43 MB: not held while the encryption makes its copies)
    return pyrage.encrypt(inner, parsed), bundle_hash(manifest_bytes)


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
        """The changes, each within the limits of one change (its JSON text, each field value,
        its base vector); the payload inflates no further than its signed declared size."""
        count = 0
        for change in json_objects(inflate(self.payload, self.manifest["payload"]["size"]),
                                   max_chars=MAX_CHANGE_CHARS):
            count += 1
            if count > self.count:
                raise _refuse_format()
            problem = change_limit(change)
            if problem:
                raise _refuse_limit(problem)
            yield change
        if count != self.count:
            raise _refuse_format()


@dataclass(frozen=True)
class Opened(Verified):
    """A verified bundle with its changes parsed into a list (small bundles, tests)."""

    changes: list[dict] = field(default_factory=list)


def bundle_hash(manifest_bytes: bytes) -> str:
    return hashlib.sha256(manifest_bytes).hexdigest()


def change_limit(change: dict) -> str | None:
    """Which limit one received change breaks ("field", "depth", "count"), or None. Its whole
    JSON text is bounded while it is read (MAX_CHANGE_CHARS); its shape is wire_problem's."""
    fields, base = change.get("fields"), change.get("base")
    if isinstance(base, dict) and len(base) > MAX_KNOWLEDGE:
        return "count"
    if not isinstance(fields, dict):
        return None
    for value in fields.values():
        if isinstance(value, str):
            if len(value) > MAX_FIELD_CHARS:
                return "field"
        elif isinstance(value, list) and all(type(v) is str for v in value):
            # Flags, roles, concerns: a flat list of short words in most changes. Its JSON text is
            # at most twice its characters (every one escaped) plus quotes and separators.
            if 2 * sum(map(len, value)) + 4 * len(value) + 2 > MAX_FIELD_CHARS \
                    and len(json.dumps(value, ensure_ascii=False)) > MAX_FIELD_CHARS:
                return "field"
        elif isinstance(value, (list, dict)):  # rare (nested values): measure it as text
            if _value_depth(value) > MAX_JSON_DEPTH:
                return "depth"
            if len(json.dumps(value, ensure_ascii=False)) > MAX_FIELD_CHARS:
                return "field"
    return None


def _value_depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            return depth
        level = [v for item in level for v in (item.values() if isinstance(item, dict) else item)
                 if isinstance(v, (list, dict))]
    return depth


_IN_STEP = 1 << 18  # compressed bytes fed at a time
INFLATE_STEP = 1 << 21  # at most this much inflated text at a time
_OUT_STEP = INFLATE_STEP
MAX_BUFFERED_CHARS = 16 << 20  # (enrolment files) no single change is this long: stop reading


def inflate(payload: bytes, size: int | None = None) -> Iterator[bytes]:
    """The payload's text in pieces. The signed declared size bounds the inflation: it stops
    as soon as more than `size` bytes came out (at most INFLATE_STEP more), so even a buggy
    sender cannot make us inflate without limit (enrolment files, sealed with a secret code,
    declare none). verify_bundle has checked the size against the compressed length."""
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
                    raise _refuse_limit("payload")
                if out:
                    yield out
                data = d.unconsumed_tail
        if not d.eof or d.unused_data or (size is not None and total != size):
            raise _refuse_format()
    except zlib.error:
        raise _refuse_format() from None


_SPACE = " \t\n\r"
_SPACES = re.compile(r"[ \t\n\r]*")


def json_objects(pieces: Iterator[bytes], max_chars: int | None = None) -> Iterator[dict]:
    """The objects of a JSON array of objects, parsed as the text arrives. With `max_chars`,
    an object whose text is longer is refused as soon as that many characters are buffered
    (limit "change"); one nested too deep for the parser is refused (limit "depth")."""
    limit = MAX_BUFFERED_CHARS if max_chars is None else max_chars

    def too_long() -> BundleRefused:
        return _refuse_limit("change") if max_chars is not None else _refuse_format()
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
        pos = _SPACES.match(buf, pos).end()  # (whitespace in C: a payload may be mostly that)
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
                if len(buf) - pos > limit:
                    raise too_long() from None
                if not more:
                    raise _refuse_format() from None
                fill()
                continue
            except RecursionError:
                raise _refuse_limit("depth") from None
            if end - pos > limit:
                raise too_long()
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
                except RecursionError:
                    raise _refuse_limit("depth") from None
                if end - pos - 1 > limit:
                    raise too_long()
                yield value
                pos = end
    if state != "closed":
        raise _refuse_format()


TrustedKeys = Mapping[str, Ed25519PublicKey | str | bytes]


def verify_bundle(
    data: bytes | Path,
    identity: x25519.Identity | str | DeviceKeys,
    trusted_keys: TrustedKeys | Callable[[CarriedRoster | None], TrustedKeys],
    council_id: str,
) -> Verified:
    """Decrypt and verify a bundle (its bytes, or the path of a file holding them), or raise
    BundleRefused; its changes are then read with `Verified.iter_changes`.

    trusted_keys: device_id → public key of every device whose bundles may be accepted, or a
    function of the roster the bundle carries (None when it carries none) that returns them —
    the import pipeline adopts that roster if the council admin key signed it (checked over its
    raw bytes), so a newly enrolled laptop's first bundle is accepted everywhere.

    Verify before parse: the signature is checked over the raw bytes — every trusted key is
    tried, so the sender is found without reading the manifest — and only a signed manifest is
    parsed, with its size and nesting bounded. A format-1 bundle carried its roster inside the
    manifest: when no key we hold signed it, its manifest is read with the bounded parser to
    find that roster, and the keys are tried again. Every check only refuses; nothing is
    returned until the signature, the manifest's limits and the payload hash hold.
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
    payload_hash = hashlib.sha256(inner.payload).digest()
    message = inner.signed_message(payload_hash)
    keys = trusted_keys(inner.carried_roster) if callable(trusted_keys) else trusted_keys
    signers = _signers(keys, inner.signature, message)
    manifest = None
    if not signers and inner.version == 1 and callable(trusted_keys):
        manifest = _parse_manifest(inner)
        carried = CarriedRoster.from_json(manifest.get("roster"))
        if carried is not None:
            signers = _signers(trusted_keys(carried), inner.signature, message)
    if not signers:
        raise _refuse_signature()

    if manifest is None:
        manifest = _parse_manifest(inner)
    if _manifest_problem(manifest):
        raise _refuse_format()
    if manifest["sender"]["device_id"] not in signers:
        raise _refuse_sender_mismatch()  # a member of the roster naming another device as sender
    if manifest["council_id"] != council_id:
        raise _refuse_council(manifest["council_id"][:MAX_ID_CHARS])
    limit = _manifest_limit(manifest)
    if limit:
        raise _refuse_limit(limit)
    if manifest["payload"]["sha256"] != payload_hash.hex():
        raise _refuse_payload()
    if manifest["payload"]["size"] > inflate_limit(len(inner.payload)):
        raise _refuse_limit("payload")  # refused before inflating anything
    return Verified(manifest, inner.payload, bundle_hash(inner.manifest_bytes))


def _parse_manifest(inner: Inner) -> dict:
    manifest = parse_bounded(inner.manifest_bytes, MAX_MANIFEST_BYTES, "manifest")
    if not isinstance(manifest, dict) or manifest.get("format_version") != inner.version:
        raise _refuse_format()
    return manifest


def _signers(keys: TrustedKeys, signature: bytes, message: bytes) -> set[str]:
    """The devices whose key made `signature` over `message` (one, unless a roster lists a
    key twice). A roster is signed by the admin, but its size is still bounded."""
    if len(keys) > MAX_ROSTER_DEVICES:
        raise _refuse_limit("roster")
    found = set()
    for device_id, key in keys.items():
        try:
            public_key_from(key).verify(signature, message)
        except (InvalidSignature, ValueError, TypeError):
            continue
        found.add(device_id)
    return found


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
    trusted_keys: TrustedKeys | Callable[[CarriedRoster | None], TrustedKeys],
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


def bundle_file_name(council_id: str, device_name: str, device_id: str, epoch: int, seq: int,
                     *, for_device: tuple[str, str] | None = None) -> str:
    """e.g. shakyo-3f9a2c1b-tanakala-5d41402a-e1-000014.bundle — sorts by bundle number per device.

    The device part is a readable slug of its name (may be empty or shared: "tanaka-laptop-01"
    and "-02") plus a hash of its id, so two devices never write the same name into one folder
    (the id's own prefix would not do: uuid7 ids of devices enrolled in the same minute share it).
    A bundle of the office's chain for a district-limited laptop (`for_device` = its name and id)
    names that laptop the same way after `-for-`: that chain numbers from 1 on its own."""
    if not (_is_int(epoch) and _is_int(seq, 1)):
        raise ValueError("epoch must be ≥ 0 and seq ≥ 1")
    chain = f"-for-{_device_part(*for_device)}" if for_device else ""
    return (f"shakyo-{_short(council_id, 8)}-{_device_part(device_name, device_id)}-e{epoch}{chain}-{seq:06d}"
            f"{BUNDLE_SUFFIX}")


def _device_part(name: str, device_id: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "", name.lower())[:8]
    return (slug + "-" if slug else "") + hashlib.sha256(device_id.encode("utf-8")).hexdigest()[:8]


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


def _write_error(exc: OSError, folder: Path) -> BundleWriteError:
    """The place and the likely cause in Japanese (a pulled stick, write protection, a full
    stick…), never the system's own message."""
    return BundleWriteError(write_failure("同期ファイル", folder, exc))


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
        raise _write_error(exc, folder) from exc

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
        raise _write_error(exc, folder) from exc
    if not ok:
        _remove_quietly(final)
        raise BundleWriteError("書き込んだ同期ファイルを読み直すと内容が一致しませんでした。別の USBメモリかフォルダに書き出し直してください。")
    return final
