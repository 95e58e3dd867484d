"""Hash-chained audit log: each entry's hash covers the previous entry's hash."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64


def entry_hash(prev_hash: str, at: datetime, staff_id: str | None, login: str, device_id: str,
               action: str, entity: str, entity_id: str, detail: dict) -> str:
    body = json.dumps(
        [prev_hash, at.isoformat(), staff_id, login, device_id, action, entity, entity_id, detail],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken_at: int | None  # id of the first entry that does not verify

    @property
    def sound(self) -> bool:
        return self.broken_at is None


def verify_chain(rows: Iterable) -> ChainReport:
    """Rows in id order with the AuditLog columns. Gaps in ids count as tampering."""
    prev, expected_id, count = GENESIS, 1, 0
    for row in rows:
        count += 1
        if row.id != expected_id or row.prev_hash != prev:
            return ChainReport(count, row.id)
        digest = entry_hash(row.prev_hash, row.at, row.staff_id, row.login, row.device_id,
                            row.action, row.entity, row.entity_id, row.detail)
        if digest != row.hash:
            return ChainReport(count, row.id)
        prev, expected_id = row.hash, expected_id + 1
    return ChainReport(count, None)
