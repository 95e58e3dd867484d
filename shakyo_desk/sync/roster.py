"""The council roster: which installations belong to the council, signed by the admin key.

Pure: building, signing and verifying roster versions. The store keeps every version it has
seen; bundles carry the sender's newest one so a roster change (a new laptop, a revoked
one) spreads with the data. Only a roster signed by the council admin key a device trusts (the
one it learned at enrolment, or one that key handed over to) is ever adopted, and only when its
version is newer.

Handovers: when an admin is demoted, the office draws a new council admin key (council_key.py)
and the old key signs one *handover* to it; the roster keeps every handover in
`admin_handovers`, so a device that missed any number of versions follows the chain from the key
it trusts to the roster's `admin_key`, each link signed by the key before it. A roster signed by
a key that was handed over is refused once a device trusts its successor.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shakyo_desk.sync.bundle import (
    MAX_ROSTER_BYTES, BundleRefused, canonical_json, parse_bounded, public_key_b64, public_key_from,
)

ROSTER_CONTEXT = b"shakyo-desk roster signature v1\x00"
HANDOVER_CONTEXT = b"shakyo-desk admin key handover v1\x00"
ROSTER_FORMAT = 1
HANDOVERS = "admin_handovers"
MAX_HANDOVERS = 256  # one per demoted admin: a council has a few in its life


class RosterInvalid(ValueError):
    """A roster whose signature, council or shape does not hold."""


@dataclass(frozen=True)
class SignedRoster:
    body: bytes  # canonical JSON
    signature: str  # base64 Ed25519 over ROSTER_CONTEXT + body

    @property
    def data(self) -> dict:
        return json.loads(self.body.decode("utf-8"))

    @property
    def version(self) -> int:
        return int(self.data["version"])

    def to_json(self) -> dict:
        return {"body": base64.b64encode(self.body).decode("ascii"), "signature": self.signature}

    @classmethod
    def from_json(cls, value: Any) -> "SignedRoster":
        try:
            return cls(base64.b64decode(value["body"], validate=True), str(value["signature"]))
        except (KeyError, TypeError, ValueError) as error:
            raise RosterInvalid("roster shape") from error


def new_roster(council_id: str, admin_key: Ed25519PrivateKey, recovery_recipient: str) -> dict:
    return {
        "format": ROSTER_FORMAT,
        "council_id": council_id,
        "version": 0,
        "admin_key": public_key_b64(admin_key.public_key()),
        "recovery_recipient": recovery_recipient,
        "devices": [],
        "staff": [],
    }


def office_device_id(data: dict) -> str | None:
    """The office installation: the one the roster was founded with (`found_council` puts it
    first, and devices are only ever appended), which holds the council admin key."""
    devices = data.get("devices") or []
    return devices[0]["device_id"] if devices else None


# Authorship (issue 16): the roster's `staff` entries carry each account's `signing_key` (the
# public half of the key in the office's keys.json), and `unsigned_before` ({"origin:epoch":
# seq}) says which account and settings changes were written before signatures existed. Absent:
# the office has not started signing yet (no signature required).
UNSIGNED_BEFORE = "unsigned_before"


def staff_entry(staff_id: str, login: str, role: str, disabled: bool, signing_key: str | None) -> dict:
    return {"id": staff_id, "login": login, "role": role, "disabled": disabled, "signing_key": signing_key}


def device_entry(device_id: str, name: str, public_key: str, recipient: str, scope: list[str],
                 valid_from: str, joined_knowledge: dict[str, int] | None = None) -> dict:
    return {
        "device_id": device_id, "name": name, "public_key": public_key, "recipient": recipient,
        "scope": sorted(scope), "valid_from": valid_from, "revoked_at": None, "last_accepted": None,
        "joined_knowledge": joined_knowledge or {},
    }


def sign(data: dict, admin_key: Ed25519PrivateKey) -> SignedRoster:
    body = canonical_json(data)
    signature = admin_key.sign(ROSTER_CONTEXT + body)
    return SignedRoster(body, base64.b64encode(signature).decode("ascii"))


def handover(old: Ed25519PrivateKey, new_public_b64: str, council_id: str) -> dict:
    """The old council admin key's word that ``new_public_b64`` succeeds it in this council."""
    message = HANDOVER_CONTEXT + council_id.encode("utf-8") + b"\x00" + new_public_b64.encode("ascii")
    return {"from": public_key_b64(old.public_key()), "to": new_public_b64,
            "signature": base64.b64encode(old.sign(message)).decode("ascii")}


def _signed_by(key_b64: str, signature_b64: str, message: bytes) -> bool:
    try:
        public_key_from(key_b64).verify(base64.b64decode(signature_b64, validate=True), message)
        return True
    except (InvalidSignature, TypeError, ValueError):
        return False


def _successor(trusted_b64: str, body: bytes, council_id: str) -> str:
    """The key the handovers in ``body`` lead to from ``trusted_b64`` (itself when none does).
    Read only when the trusted key's own signature fails: a bounded parse (the size and depth
    limits of a manifest), and a link counts only when the key before it signed it."""
    try:
        links = parse_bounded(body, MAX_ROSTER_BYTES, "roster").get(HANDOVERS)
    except (BundleRefused, AttributeError):
        return trusted_b64
    if not isinstance(links, list) or len(links) > MAX_HANDOVERS:
        return trusted_b64
    key, seen = trusted_b64, {trusted_b64}
    for _ in links:
        link = next((h for h in links if isinstance(h, dict) and h.get("from") == key
                     and isinstance(h.get("to"), str) and isinstance(h.get("signature"), str)), None)
        if link is None or link["to"] in seen:
            break
        message = HANDOVER_CONTEXT + council_id.encode("utf-8") + b"\x00" + link["to"].encode("ascii", "replace")
        if not _signed_by(key, link["signature"], message):
            break
        key = link["to"]
        seen.add(key)
    return key


def verify(signed: SignedRoster, admin_key_b64: str, council_id: str) -> dict:
    """The roster's content, if the council admin key we trust signed it for this council, or
    the key our trusted key handed over to (directly or along a chain of handovers)."""
    key = admin_key_b64
    message = ROSTER_CONTEXT + signed.body
    if not _signed_by(key, signed.signature, message):
        key = _successor(admin_key_b64, signed.body, council_id)
        if key == admin_key_b64 or not _signed_by(key, signed.signature, message):
            raise RosterInvalid("signature")
    try:
        data = json.loads(signed.body.decode("utf-8"))
    except ValueError as error:
        raise RosterInvalid("signature") from error
    if not isinstance(data, dict) or data.get("council_id") != council_id or data.get("admin_key") != key:
        raise RosterInvalid("council")
    if not isinstance(data.get("version"), int) or not isinstance(data.get("devices"), list):
        raise RosterInvalid("shape")
    return data


def device(data: dict, device_id: str) -> dict | None:
    return next((d for d in data["devices"] if d["device_id"] == device_id), None)


def active_devices(data: dict) -> list[dict]:
    return [d for d in data["devices"] if d["revoked_at"] is None]


def accepts_bundle(entry: dict, bundle_hash: str) -> bool:
    """After revocation only the very files the office had imported from the device stay valid
    (they may still be on their way to others): the roster lists their hashes. Numbers are the
    sender's own claim — a stolen laptop can write any epoch and number into a new bundle, not
    a listed hash. A device revoked before the list existed is refused altogether."""
    if entry["revoked_at"] is None:
        return True
    return bundle_hash[:ACCEPTED_HASH_CHARS] in (entry.get("accepted_bundles") or ())


ACCEPTED_HASH_CHARS = 32  # 128 bits of each bundle hash: the roster stays small


def trusted_keys(data: dict) -> dict[str, str]:
    """Every device that ever belonged: a revoked one is judged per bundle by accepts_bundle."""
    return {d["device_id"]: d["public_key"] for d in data["devices"]}
