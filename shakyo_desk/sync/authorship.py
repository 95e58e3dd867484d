"""Author signatures (issue 16, docs/sync-protocol.md "Author signatures").

An account's change to accounts or settings (`staff`, `council`) carries `author_sig`: the
author's Ed25519 signature over the change's chain digest (`sync/chain.py` `digest_of`, which
binds its dot, record, operation, stamp, author, time, base and values). Every device knows each
account's public signing key from the roster (admin-signed), so a change forged in an admin's
name by someone who can write the office's database — any account that opens it — fails
wherever it arrives. Pure functions."""

from __future__ import annotations

import base64
from collections.abc import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shakyo_desk.sync.roster import UNSIGNED_BEFORE

_AUTHOR = b"shakyo-desk author v1\x00"
ADMIN = "admin"


def sign(key: Ed25519PrivateKey, digest: bytes) -> str:
    return base64.b64encode(key.sign(_AUTHOR + digest)).decode("ascii")


def public_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes_raw()).decode("ascii")


def valid(public: str, digest: bytes, signature: object) -> bool:
    if not isinstance(signature, str) or not isinstance(public, str):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public, validate=True)).verify(
            base64.b64decode(signature, validate=True), _AUTHOR + digest)
    except (InvalidSignature, ValueError):
        return False
    return True


def admin_keys(rosters: Iterable[dict]) -> dict[str, set[str]]:
    """Per account: every signing key a roster version listed for it while it was an admin."""
    keys: dict[str, set[str]] = {}
    for data in rosters:
        for entry in data.get("staff") or ():
            if isinstance(entry, dict) and entry.get("role") == ADMIN and isinstance(entry.get("signing_key"), str):
                keys.setdefault(str(entry.get("id")), set()).add(entry["signing_key"])
    return keys


def required(roster: dict, origin: str, epoch: int, seq: int) -> bool:
    """Whether an account or settings change at this dot must carry a signature: always once
    the office signs (`unsigned_before` in the roster), but for the changes written before."""
    before = roster.get(UNSIGNED_BEFORE)
    if not isinstance(before, dict):
        return False
    limit = before.get(f"{origin}:{epoch}", 0)
    return not (isinstance(limit, int) and seq < limit)
