"""Merge rules (DESIGN §5): the state of one entity computed from the set of its changes.

Pure and order-free: the result depends only on *which* changes are held, never on the
order they arrived in, so every device that holds the same changes shows the same record.
Field level, version vectors decide, the HLC stamp only picks the provisional value shown
while a person has not yet chosen.

A change's ``base`` is the version vector of the entity as its editor saw it
(``"<device>:<epoch>" → highest seq of that origin among the entity's changes``); a change
``c`` is *covered* by a base when the editor had seen it. Among the changes that set a field,
the live ones are those no other writer of that field had seen: one live value is the
value; several different live values are a conflict that keeps all of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

DELETED = "deleted_at"


@dataclass(frozen=True)
class Change:
    origin: str
    epoch: int
    seq: int
    op: str  # insert | update | purge
    fields: dict
    base: dict
    hlc: str
    staff_id: str | None = None
    recorded_at: str | None = None

    @property
    def key(self) -> str:
        return f"{self.origin}:{self.epoch}"

    @property
    def dot(self) -> tuple[str, int, int]:
        return self.origin, self.epoch, self.seq


def covers(base: dict, change: Change) -> bool:
    return base.get(change.key, 0) >= change.seq


def _concurrent(a: Change, b: Change) -> bool:
    return not covers(a.base, b) and not covers(b.base, a)


@dataclass(frozen=True)
class Candidate:
    """One competing value of a field in conflict, with who wrote it and when."""

    value: Any
    change: Change


@dataclass(frozen=True)
class FieldConflict:
    field: str
    kind: str  # value | text | delete
    candidates: tuple[Candidate, ...]  # newest stamp first


@dataclass
class Merged:
    values: dict[str, Any] = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)
    has_insert: bool = False
    purged: bool = False
    hlc: str = ""  # stamp of the newest change: the row's own `hlc` column


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, ensure_ascii=False) == json.dumps(b, sort_keys=True, ensure_ascii=False)


def merge(changes: list[Change], text_fields: frozenset[str] = frozenset()) -> Merged:
    result = Merged()
    if not changes:
        return result
    if len(changes) == 1 and changes[0].op != "purge":
        # Most records have one change, their insert: nothing to compare (a full bundle is
        # hundreds of thousands of these).
        only = changes[0]
        result.hlc, result.has_insert, result.values = only.hlc, only.op == "insert", dict(only.fields)
        return result
    result.hlc = max(c.hlc for c in changes)
    result.has_insert = any(c.op == "insert" for c in changes)
    if any(c.op == "purge" for c in changes):
        # Legal erasure dominates everything before and after it: an id-only tombstone.
        result.purged = True
        return result

    writers: dict[str, list[Change]] = {}
    for change in changes:
        for name in change.fields:
            writers.setdefault(name, []).append(change)

    for name, dots in writers.items():
        live = [c for c in dots if not any(d is not c and covers(d.base, c) for d in dots)]
        candidates = [Candidate(c.fields[name], c) for c in live]
        if name == DELETED:
            candidates += _edits_concurrent_with_delete(changes, live)
        candidates.sort(key=lambda cand: cand.change.hlc, reverse=True)
        distinct = []
        for cand in candidates:
            if not any(_same(cand.value, other.value) for other in distinct):
                distinct.append(cand)
        if len(distinct) == 1:
            result.values[name] = distinct[0].value
            continue
        if name == DELETED:
            # Delete vs a concurrent edit: the record survives until a person decides.
            kind, shown = "delete", None
        else:
            kind, shown = ("text" if name in text_fields else "value"), candidates[0].value
        result.values[name] = shown
        result.conflicts.append(FieldConflict(name, kind, tuple(candidates)))
    return result


def _edits_concurrent_with_delete(changes: list[Change], live: list[Change]) -> list[Candidate]:
    """An edit made without knowing of a live delete counts as a vote to keep the record."""
    deletes = [c for c in live if c.fields[DELETED] is not None]
    keeps = []
    for edit in changes:
        if edit.op == "update" and DELETED not in edit.fields and any(_concurrent(edit, d) for d in deletes):
            keeps.append(Candidate(None, edit))
    return keeps
