"""Origin authentication (docs/sync-protocol.md, "Origin chains"): every change is bound to
the device that made it, even when another device relays it.

Within one (origin, epoch) each change's digest extends a hash chain that the origin computes
as it writes. When it exports, the origin signs the chain value at its newest change (a *head*),
one Ed25519 signature per bundle. Heads travel unchanged through relays: a bundle carries, per
range, the chain value just before the range and the origin's signed head at its end, so the
receiver recomputes the chain over the carried changes and knows that the origin wrote exactly
these changes, whoever carried them. Pure functions; the store keeps one chain value per change
(`change_log.chain`)."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shakyo_desk.sync.bundle import canonical_json

_CHANGE = b"shakyo-desk change v1\x00"
_GENESIS = b"shakyo-desk chain v1\x00"
_HEAD = b"shakyo-desk head v1\x00"


def genesis(origin: str, epoch: int) -> bytes:
    """The chain value before an epoch's first change."""
    return hashlib.sha256(_GENESIS + origin.encode() + b"\x00" + str(epoch).encode()).digest()


# canonical_json's encoding, built once (a relayed full bundle hashes 440,000 changes).
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
_sha256 = hashlib.sha256


def fields_hash(fields: dict) -> bytes:
    """What the digest binds of a change's values. Kept as `sealed` when a purge blanks them,
    so the chain still holds after erasure."""
    return _sha256(_canonical(fields).encode()).digest()


def digest(c: dict) -> bytes:
    """One change as the chain binds it: its dot, record, operation, base, stamp, author and
    time, and the hash of its values (the `sealed` hash when they were blanked by a purge)."""
    sealed = c.get("sealed")
    values = bytes.fromhex(sealed) if sealed is not None else _sha256(_canonical(c["fields"]).encode()).digest()
    head = _canonical([c["origin"], c["epoch"], c["seq"], c["entity"], c["entity_id"], c["op"], c["base"], c["hlc"],
                       c["staff_id"], c["recorded_at"]]).encode()
    return _sha256(_CHANGE + head + values).digest()


def step(previous: bytes, change: dict) -> bytes:
    return _sha256(previous + digest(change)).digest()


def _head_message(origin: str, epoch: int, seq: int, value: bytes) -> bytes:
    return _HEAD + canonical_json([origin, epoch, seq, value.hex()])


def sign_head(key: Ed25519PrivateKey, origin: str, epoch: int, seq: int, value: bytes) -> str:
    return base64.b64encode(key.sign(_head_message(origin, epoch, seq, value))).decode("ascii")


def head_valid(key: Ed25519PublicKey, origin: str, epoch: int, seq: int, value: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), _head_message(origin, epoch, seq, value))
    except (InvalidSignature, ValueError):
        return False
    return True

