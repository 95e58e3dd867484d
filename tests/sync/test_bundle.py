"""Bundles open for every recipient and are refused, whole, for every kind of bad input."""

import hashlib
import json
import zlib
from functools import lru_cache

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyrage import x25519

from shakyo_desk.domain.errors import UserError
from shakyo_desk.sync.bundle import (
    FORMAT_VERSION,
    BundleRefused,
    DeviceKeys,
    build_inner,
    canonical_json,
    open_bundle,
    pack_bundle,
    unpack_inner,
)
from tests.sync.helpers import COUNCIL, OTHER_COUNCIL, Council, changes, manifest

AGE_CHUNK = 64 * 1024 + 16  # age STREAM: 64 KiB of plaintext + 16-byte tag per chunk


@lru_cache(maxsize=1)
def big_bundle() -> tuple[Council, bytes, list[dict]]:
    """Built once: Hypothesis examples reuse it (cheap to open, costly to build)."""
    council = Council()
    items = changes(n=60, noise=6000)
    data = pack_bundle(manifest(n=60), items, council.office, council.recipients)
    assert len(data) > 2 * AGE_CHUNK
    return council, data, items


def refused(data, council, reason, identity=None, trusted=None, council_id=COUNCIL):
    with pytest.raises(BundleRefused) as exc:
        open_bundle(data, identity or council.laptop, council.trusted if trusted is None else trusted, council_id)
    assert exc.value.reason == reason, exc.value.message
    assert isinstance(exc.value, UserError) and exc.value.message.endswith("。")
    return exc.value


def test_round_trip_for_each_device_and_the_recovery_identity():
    council = Council()
    items = changes()
    data = pack_bundle(manifest(), items, council.office, council.recipients)
    seen = set()
    for identity in (council.office, council.laptop.identity_str, council.recovery):
        opened = open_bundle(data, identity, council.trusted, COUNCIL)
        assert opened.changes == items
        assert opened.sender == ("dev-office", 1, 14)
        m = opened.manifest
        assert m["council_id"] == COUNCIL and m["format_version"] == FORMAT_VERSION == 2
        assert m["recipients"] == council.recipients
        assert m["counts"] == {"changes": 3, "by_entity": {"household": 2, "contact": 1}}
        assert m["ranges"] == [{"origin": "dev-office", "epoch": 1, "first": 101, "last": 103}]
        seen.add(opened.bundle_hash)
    assert len(seen) == 1  # every recipient names the bundle the same way (hash chain)


def test_empty_bundle_still_carries_knowledge():
    council = Council()
    m = manifest(n=0)
    m["ranges"] = []
    opened = open_bundle(pack_bundle(m, [], council.office, council.recipients), council.laptop, council.trusted, COUNCIL)
    assert opened.changes == [] and opened.manifest["knowledge"]["dev-laptop:1"] == 40


def test_device_keys_survive_serialisation():
    keys = DeviceKeys.generate()
    again = DeviceKeys.from_secrets(keys.signing_private_bytes(), keys.identity_str)
    assert again.public_key_b64 == keys.public_key_b64 and again.recipient == keys.recipient
    assert keys.recipient.startswith("age1") and keys.identity_str.startswith("AGE-SECRET-KEY-1")


def test_pack_rejects_programming_mistakes():
    council = Council()
    with pytest.raises(ValueError):
        pack_bundle(manifest(), changes(), council.office, [])
    with pytest.raises(Exception):
        pack_bundle(manifest(), changes(), council.office, ["age1notarecipient"])
    bad = manifest()
    del bad["sender"]
    with pytest.raises(ValueError, match="sender"):
        pack_bundle(bad, changes(), council.office, council.recipients)


# ------------------------------------------------------------ damaged files


def test_truncated_at_every_age_chunk_boundary_is_refused():
    council, data, _ = big_bundle()
    body = data.index(b"\n---") + 1
    body = data.index(b"\n", body) + 1 + 16  # header, then the 16-byte payload nonce
    cuts = [body + k * AGE_CHUNK for k in range(0, (len(data) - body) // AGE_CHUNK + 1)]
    cuts += [0, 1, body - 1, len(data) - 1]
    for cut in cuts:
        if cut < len(data):
            refused(data[:cut], council, "decrypt")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_truncated_anywhere_is_refused(draw):
    council, data, _ = big_bundle()
    cut = draw.draw(st.integers(0, len(data) - 1))
    refused(data[:cut], council, "decrypt")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_single_flipped_bit_is_refused(draw):
    council, data, _ = big_bundle()
    # Bias half the draws into the header, where the structure is densest.
    header_end = data.index(b"\n---") + 60
    pos = draw.draw(st.one_of(st.integers(0, header_end), st.integers(0, len(data) - 1)))
    bit = draw.draw(st.integers(0, 7))
    damaged = bytearray(data)
    damaged[pos] ^= 1 << bit
    refused(bytes(damaged), council, "decrypt")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_zeroed_tail_is_refused(draw):
    council, data, _ = big_bundle()
    k = draw.draw(st.integers(1, len(data)))
    refused(data[:-k] + bytes(k), council, "decrypt")


def test_not_addressed_to_this_device_is_refused():
    council = Council()
    data = pack_bundle(manifest(), changes(), council.office, [council.office.recipient])
    refused(data, council, "decrypt", identity=council.laptop)


# ------------------------------------------------------------ wrong sender / council


def test_unknown_device_is_refused():
    council = Council()
    stranger = DeviceKeys.generate()
    data = pack_bundle(manifest(device_id="dev-stranger"), changes(), stranger, council.recipients)
    # Found by trying the roster's keys over the raw bytes: nothing of the manifest is read.
    err = refused(data, council, "signature")
    assert "名簿" in err.message


def test_revoked_device_left_out_of_trusted_keys_is_refused():
    council = Council()
    data = pack_bundle(manifest(device_id="dev-laptop"), changes(), council.laptop, council.recipients)
    refused(data, council, "signature", identity=council.office, trusted={"dev-office": council.office.public_key})


def test_key_not_matching_the_claimed_sender_is_refused():
    council = Council()
    # The laptop (a real member) pretends to be the office.
    data = pack_bundle(manifest(device_id="dev-office"), changes(), council.laptop, council.recipients)
    refused(data, council, "signature")


def test_another_councils_bundle_is_refused():
    council = Council()
    data = pack_bundle(manifest(council_id=OTHER_COUNCIL), changes(), council.office, council.recipients)
    err = refused(data, council, "council")
    assert OTHER_COUNCIL in err.message
    # Opened by the council it was made for, it is fine.
    assert open_bundle(data, council.laptop, council.trusted, OTHER_COUNCIL).changes == changes()


# ------------------------------------------------------------ a recipient re-encrypts altered content


def reencrypt(council: Council, data: bytes, edit) -> bytes:
    """What an attacker holding a recipient key (but no signing key) can do."""
    inner = unpack_inner(pyrage.decrypt(data, [council.laptop.age_identity]))
    new_inner = edit(inner)
    return pyrage.encrypt(new_inner, [x25519.Recipient.from_str(r) for r in council.recipients])


def test_changed_payload_is_refused():
    council = Council()
    data = pack_bundle(manifest(), changes(), council.office, council.recipients)
    forged = changes()
    forged[0]["fields"]["note"] = "書き換えた"
    payload = zlib.compress(canonical_json(forged))
    # The signature covers the hash of the payload actually carried: no key verifies.
    refused(
        reencrypt(council, data, lambda i: build_inner(i.manifest_bytes, payload, i.signature, roster=i.roster)),
        council, "signature",
    )


def test_changed_payload_with_matching_manifest_hash_is_refused():
    council = Council()
    data = pack_bundle(manifest(), changes(), council.office, council.recipients)
    forged = changes()
    forged.append(dict(forged[0], seq=999))
    payload = zlib.compress(canonical_json(forged))

    def edit(inner):
        m = json.loads(inner.manifest_bytes)
        m["payload"]["sha256"] = hashlib.sha256(payload).hexdigest()
        m["counts"]["changes"] = 4
        return build_inner(canonical_json(m), payload, inner.signature, roster=inner.roster)

    refused(reencrypt(council, data, edit), council, "signature")


def test_changed_recipients_or_council_in_manifest_are_refused():
    council = Council()
    data = pack_bundle(manifest(), changes(), council.office, council.recipients)

    def edit(inner):
        m = json.loads(inner.manifest_bytes)
        m["recipients"] = m["recipients"][:1]
        return build_inner(canonical_json(m), inner.payload, inner.signature, roster=inner.roster)

    refused(reencrypt(council, data, edit), council, "signature")


def test_re_signed_by_the_attackers_own_key_is_refused():
    council = Council()
    data = pack_bundle(manifest(), changes(), council.office, council.recipients)
    attacker = Ed25519PrivateKey.generate()

    def edit(inner):
        sig = attacker.sign(inner.signed_message(hashlib.sha256(inner.payload).digest()))
        return build_inner(inner.manifest_bytes, inner.payload, sig, roster=inner.roster)

    refused(reencrypt(council, data, edit), council, "signature")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_flipped_bit_inside_a_validly_reencrypted_bundle_is_refused(draw):
    council = big_bundle()[0]
    data = pack_bundle(manifest(), changes(), council.office, council.recipients)
    inner = pyrage.decrypt(data, [council.laptop.age_identity])
    pos = draw.draw(st.integers(0, len(inner) - 1))
    bit = draw.draw(st.integers(0, 7))
    damaged = bytearray(inner)
    damaged[pos] ^= 1 << bit
    forged = pyrage.encrypt(bytes(damaged), [x25519.Recipient.from_str(r) for r in council.recipients])
    with pytest.raises(BundleRefused):
        open_bundle(forged, council.laptop, council.trusted, COUNCIL)


# ------------------------------------------------------------ format versions


def test_newer_container_format_is_refused_with_update_advice():
    council = Council()
    data = pack_bundle(manifest(), changes(), council.office, council.recipients)
    newer = reencrypt(council, data, lambda i: build_inner(i.manifest_bytes, i.payload, i.signature,
                                                           version=FORMAT_VERSION + 1))
    err = refused(newer, council, "unsupported")
    assert "更新" in err.message


def test_something_else_encrypted_to_us_is_refused():
    council = Council()
    junk = pyrage.encrypt("ただのテキスト".encode(), [x25519.Recipient.from_str(council.laptop.recipient)])
    refused(junk, council, "format")
