"""A small council for bundle tests: two devices, a recovery identity, a payload big enough
to span several age chunks (64 KiB each) so truncation at chunk boundaries is exercised."""

import random
from dataclasses import dataclass, field

from pyrage import x25519

from shakyo_desk.sync.bundle import DeviceKeys, generate_recovery_identity, make_manifest

COUNCIL = "c0a1b2c3-0000-4000-8000-00000000000a"
OTHER_COUNCIL = "c0a1b2c3-0000-4000-8000-00000000000b"


@dataclass
class Council:
    office: DeviceKeys = field(default_factory=DeviceKeys.generate)
    laptop: DeviceKeys = field(default_factory=DeviceKeys.generate)
    recovery: x25519.Identity = field(default_factory=generate_recovery_identity)

    @property
    def recipients(self) -> list[str]:
        return [self.office.recipient, self.laptop.recipient, str(self.recovery.to_public())]

    @property
    def trusted(self) -> dict:
        return {"dev-office": self.office.public_key, "dev-laptop": self.laptop.public_key_b64}


def manifest(council_id: str = COUNCIL, device_id: str = "dev-office", seq: int = 14, n: int = 3) -> dict:
    return make_manifest(
        council_id=council_id,
        schema_version="0007",
        device_id=device_id,
        epoch=1,
        seq=seq,
        prev_bundle_hash="ab" * 32,
        ranges=[{"origin": device_id, "epoch": 1, "first": 101, "last": 100 + n}],
        knowledge={f"{device_id}:1": 100 + n, "dev-laptop:1": 40},
        roster_version=3,
    )


def changes(n: int = 3, noise: int = 0, seed: int = 1) -> list[dict]:
    """n notes; `noise` random characters each so compression cannot shrink the payload away."""
    rng = random.Random(seed)
    return [
        {
            "origin": "dev-office",
            "epoch": 1,
            "seq": 101 + i,
            "entity": "contact" if i % 2 else "household",
            "entity_id": f"h-{i:05d}",
            "op": "insert",
            "fields": {"note": "見守り訪問。元気そう。" + "".join(rng.choice("0123456789abcdef") for _ in range(noise))},
            "hlc": f"2025-11-23T10:00:00.000Z-{i:04d}-dev-office",
            "staff_id": "s-001",
        }
        for i in range(n)
    ]
