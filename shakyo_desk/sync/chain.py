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
from json.encoder import c_make_encoder, encode_basestring, encode_basestring_ascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shakyo_desk.sync.bundle import canonical_json

_CHANGE = b"shakyo-desk change v1\x00"
_GENESIS = b"shakyo-desk chain v1\x00"
_HEAD = b"shakyo-desk head v1\x00"


def genesis(origin: str, epoch: int) -> bytes:
    """The chain value before an epoch's first change."""
    return hashlib.sha256(_GENESIS + origin.encode() + b"\x00" + str(epoch).encode()).digest()


# One change is bound as the store holds it: its values and base as the JSON text every store
# writes for them (compact, UTF-8, keys in the order the origin wrote them: `storage_json`), so
# a relay hashes the text it already has instead of encoding every change again.
def direct_encoder(encoder: json.JSONEncoder):
    """`encoder.encode`, with its C encoder made once rather than at every call (a third of the
    time on a change's fields; the chain encodes two texts a change). The same text: checked."""
    if c_make_encoder is None or encoder.indent is not None:
        return encoder.encode
    make = c_make_encoder(None, encoder.default, encode_basestring_ascii if encoder.ensure_ascii else encode_basestring,
                          None, encoder.key_separator, encoder.item_separator, encoder.sort_keys, encoder.skipkeys,
                          encoder.allow_nan)

    def encode(value):
        return "".join(make(value, 0))

    sample = {"氏名": "架空 \"花子\"\n", "n": [1, 2.5, None, True], "x": {"y": []}}
    return encode if encode(sample) == encoder.encode(sample) else encoder.encode


storage_json = direct_encoder(json.JSONEncoder(ensure_ascii=False, separators=(",", ":")))
_canonical = direct_encoder(json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False))
_sha256 = hashlib.sha256


def values_hash(fields_text: str) -> bytes:
    """What the digest binds of a change's values: SHA-256 of their stored text. Kept as
    `sealed` when a purge blanks them, so the chain still holds after erasure."""
    return _sha256(fields_text.encode()).digest()


def digest_of(origin: str, epoch: int, seq: int, entity: str, entity_id: str, op: str, base_text: str, stamp: str,
              staff_id: str | None, recorded_at: str, values: bytes) -> bytes:
    """One change as the chain binds it: its dot, record, operation, stamp, author and time
    (`recorded_at` as datetime.isoformat() writes it), its base's stored text and the hash of its
    values. (JSON text holds no NUL byte: the parts are told apart.)"""
    head = _canonical([origin, epoch, seq, entity, entity_id, op, stamp, staff_id, recorded_at]).encode()
    return _sha256(_CHANGE + head + b"\x00" + base_text.encode() + b"\x00" + values).digest()


def step(previous: bytes, digest: bytes) -> bytes:
    return _sha256(previous + digest).digest()


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

