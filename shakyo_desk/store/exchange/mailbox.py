"""The shared-folder mailbox (DESIGN §5): each installation writes into its own outbox
folder and reads everyone else's. The database never lives on the share — only bundles.

The share may be replicated by a file-sync engine (Syncthing, a cloud drive client): their
temporary and lock files are not bundle names and are left alone (`bundle.is_bundle_name`),
conflict copies of a bundle read as replays, and a bundle that has not finished arriving waits
for the next run (`_arrived`) instead of being quarantined (docs/sync-protocol.md, "Shared-folder
mailbox")."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyrage
import sqlalchemy as sa
from pyrage import x25519

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange.exporting import Exported, export_bundle
from shakyo_desk.store.exchange.importing import ImportReport, ImportResult, bundle_paths, import_paths
from shakyo_desk.store.models import SyncBundle
from shakyo_desk.store.store import Store
from shakyo_desk.sync import roster as rosters
from shakyo_desk.sync.bundle import _short

OUTBOX_PREFIX = "outbox-"
# A bundle modified less than this long ago (by our clock, either way: the sender's clock may run
# ahead) that does not decrypt to its end may still be arriving: it waits for the next run.
# Older, it goes to the import, which quarantines it as damaged.
SETTLE_SECONDS = 10 * 60
WAITING = "waiting"
WAITING_MESSAGE = ("まだ届ききっていない（共有フォルダへの書き込みが終わっていない）同期ファイルです。"
                   "次に同期するときにもう一度取り込みます。")


@dataclass(frozen=True)
class MailboxRun:
    outbox: Path
    exported: list[Exported]
    imported: ImportReport
    waiting: list[ImportResult] = field(default_factory=list)  # status "waiting": tried again next run


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
    taken = _imported_names(store)
    ready, waiting = _arrived([f for f in bundle_paths(others) if f.name not in taken], me.keys.age_identity)
    imported = import_paths(store, ready)
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
    return MailboxRun(mine, exported, imported, [ImportResult(f.name, WAITING, WAITING_MESSAGE, "arriving")
                                                 for f in waiting])


def _imported_names(store: Store) -> set[str]:
    """Bundles already taken from the share: skipped without decrypting them again."""
    with store.read() as s:
        return set(s.execute(sa.select(SyncBundle.file_name).where(SyncBundle.direction == "in")).scalars())


def _arrived(files: list[Path], identity: x25519.Identity) -> tuple[list[Path], list[Path]]:
    """Split the candidates into bundles to import now and bundles still arriving.

    A file-sync client may write a bundle in place, so for a while its name holds a cut-off
    file. A file modified within SETTLE_SECONDS is read through the age layer first (`_whole`);
    it waits when that fails or when its size or modification time changed while we read it.
    Nothing is recorded for a waiting file, so the next run looks at it again; an older file goes
    to the import whatever it holds. A file gone meanwhile (renamed by the client) is left out."""
    now = clock.now().timestamp()
    ready: list[Path] = []
    waiting: list[Path] = []
    for path in files:
        try:
            before = path.stat()
        except FileNotFoundError:
            continue
        except OSError:
            ready.append(path)  # the import names the reason
            continue
        if abs(now - before.st_mtime) >= SETTLE_SECONDS:
            ready.append(path)
            continue
        whole = _whole(path, identity)
        try:
            after = path.stat()
        except FileNotFoundError:
            continue
        still = (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        (ready if whole and still else waiting).append(path)
    return ready, waiting


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)


def _whole(path: Path, identity: x25519.Identity) -> bool:
    """Whether the file's age stream authenticates to its end (age marks its last chunk, so a
    cut-off or zero-filled tail fails). Only the encryption layer is read and nothing is kept; a
    header that is whole but not addressed to us counts as whole (that is for the import to
    judge), and so does a file we cannot open."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 — an open that fails is not the decryption failing
    except OSError:
        return True
    with fh:
        try:
            pyrage.decrypt_io(fh, _Discard(), [identity])
        except pyrage.DecryptError as error:  # header problems: cut short, or not for us
            return "no matching keys" in str(error).lower()
        except OSError:  # a chunk failed authentication (pyrage raises it as an I/O error)
            return False
    return True
