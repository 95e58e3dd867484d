"""The shared-folder mailbox (DESIGN §5): each installation writes into its own outbox
folder and reads everyone else's. The database never lives on the share — only bundles."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange.exporting import Exported, export_bundle
from shakyo_desk.store.exchange.importing import ImportReport, bundle_paths, import_paths
from shakyo_desk.store.models import SyncBundle
from shakyo_desk.store.store import Store
from shakyo_desk.sync import roster as rosters
from shakyo_desk.sync.bundle import _short

OUTBOX_PREFIX = "outbox-"


@dataclass(frozen=True)
class MailboxRun:
    outbox: Path
    exported: list[Exported]
    imported: ImportReport


def outbox_name(device_id: str, name: str) -> str:
    """A readable slug of the name and a hash of the id: devices enrolled in the same minute
    (uuid7 ids with one prefix) or named alike never share an outbox."""
    return f"{OUTBOX_PREFIX}{_short(name, 12)}-{hashlib.sha256(device_id.encode('utf-8')).hexdigest()[:8]}"


def exchange(store: Store, shared: Path) -> MailboxRun:
    """Read every other outbox first (so what we write already knows it), then write ours:
    one bundle for the whole council, and one per district-limited laptop."""
    shared = Path(shared)
    if not shared.is_dir():
        raise InvalidInput(f"共有フォルダ「{shared}」が見つかりません。ネットワークにつながっているか確かめてください。")
    with store.read() as s:
        conn = s.connection()
        me = ident.load(conn)
        roster = ident.roster_data(conn)
    mine = shared / outbox_name(me.device_id, me.name)
    others = [p for p in sorted(shared.glob(f"{OUTBOX_PREFIX}*")) if p.is_dir() and p != mine]
    imported = import_paths(store, [f for f in bundle_paths(others) if f.name not in _imported_names(store)])
    try:
        mine.mkdir(exist_ok=True)
    except OSError as error:
        raise InvalidInput(f"共有フォルダに書き込めませんでした（{error.strerror or error}）。フォルダの権限を確かめてください。") from error
    peers = [d for d in rosters.active_devices(roster) if d["device_id"] != me.device_id]
    exported = []
    if any(not d["scope"] for d in peers):
        exported.append(export_bundle(store, mine))
    if me.is_office:  # a district-limited laptop gets its own, filtered bundle, from the office
        exported += [export_bundle(store, mine, for_device=d["device_id"]) for d in peers if d["scope"]]
    return MailboxRun(mine, exported, imported)


def _imported_names(store: Store) -> set[str]:
    """Bundles already taken from the share: skipped without decrypting them again."""
    with store.read() as s:
        return set(s.execute(sa.select(SyncBundle.file_name).where(SyncBundle.direction == "in")).scalars())
