"""The raw X25519 keys inside age's text forms (``age1…`` recipients, ``AGE-SECRET-KEY-1…``
identities): Bech32 (BIP 173) with a 32-byte payload. Pure; pyrage does not expose the bytes.

Used by the drop box (store/dropbox.py): a reporter's sheet written on a laptop is sealed to the
office installation's age recipient (published in the signed roster), and the office opens it
with its age identity. The drop box derives its own keys from the exchange (HKDF with its own
label), so the same X25519 key serves both without one protocol's output meaning anything in
the other."""

from __future__ import annotations

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= _GENERATOR[i] if (top >> i) & 1 else 0
    return check


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _decode(text: str, hrp: str) -> bytes:
    """The payload of a Bech32 string with human-readable part ``hrp``; ValueError otherwise."""
    if not isinstance(text, str) or len(text) > 200 or (text.lower() != text and text.upper() != text):
        raise ValueError("not bech32")
    text = text.lower()
    sep = text.rfind("1")
    if text[:sep] != hrp or len(text) - sep - 1 < 6:
        raise ValueError("not bech32")
    try:
        data = [_CHARSET.index(c) for c in text[sep + 1:]]
    except ValueError:
        raise ValueError("not bech32") from None
    if _polymod(_hrp_expand(hrp) + data) != 1:
        raise ValueError("bech32 checksum")
    acc, bits, out = 0, 0, bytearray()
    for value in data[:-6]:
        acc = (acc << 5) | value
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if bits >= 5 or (acc << (8 - bits)) & 0xFF:
        raise ValueError("bech32 padding")
    if len(out) != 32:
        raise ValueError("not a 32-byte key")
    return bytes(out)


def recipient_bytes(recipient: str) -> bytes:
    """The X25519 public key of an ``age1…`` recipient."""
    return _decode(recipient, "age")


def identity_bytes(identity: str) -> bytes:
    """The X25519 private key of an ``AGE-SECRET-KEY-1…`` identity."""
    return _decode(identity, "age-secret-key-")
