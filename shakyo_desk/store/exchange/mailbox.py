"""The shared-folder mailbox (DESIGN §5): each installation writes into its own outbox
folder and reads everyone else's. The database never lives on the share — only bundles.

The share may be replicated by a file-sync engine (Syncthing, a cloud drive client): their
temporary and lock files are not bundle names and are left alone (`bundle.is_bundle_name`),
conflict copies of a bundle read as replays, and a bundle that has not finished arriving waits
for the next run (`_arrived`) instead of being quarantined (docs/sync-protocol.md, "Shared-folder
mailbox").

The office's bundles for a district-limited laptop (encrypted to that laptop alone) go into a
sub-folder of its outbox that only that laptop reads (`recipient_folder`); any other bundle in the
share that is not addressed to us (`_not_ours`: made before we joined, by an older version…) is
skipped quietly and remembered by name, size and modification time (`sync_not_ours`).

A file taken from the share (imported, a replay, our own) is remembered the same way
(`sync_mailbox_file`, `_taken`) and skipped only while its name, size and modification time all
stay the same: two copies of one installation write the same file names into one outbox, and a
file that replaced one already taken is opened again (a replay of identical content is just
'already')."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyrage
import sqlalchemy as sa
from pyrage import x25519

from shakyo_desk.domain import clock, safe_file
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import may_sync
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange.exporting import Exported, export_bundle
from shakyo_desk.store.exchange.importing import ALREADY, APPLIED, OWN, ImportReport, ImportResult, import_paths
from shakyo_desk.store.models import SyncMailboxFile, SyncNotOurs
from shakyo_desk.store.services._common import require
from shakyo_desk.store.store import Store
from shakyo_desk.sync import roster as rosters
from shakyo_desk.sync.bundle import _short, bundle_files_in

OUTBOX_PREFIX = "outbox-"
RECIPIENT_PREFIX = "for-"  # inside the office's outbox: one sub-folder per district-limited laptop
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
    not_ours: int = 0  # bundles in the share addressed to other installations: skipped quietly


def outbox_name(device_id: str, name: str) -> str:
    """A readable slug of the name and a hash of the id: devices enrolled in the same minute
    (uuid7 ids with one prefix) or named alike never share an outbox."""
    return f"{OUTBOX_PREFIX}{_short(name, 12)}-{_id_hash(device_id)}"


def recipient_folder(device_id: str, name: str) -> str:
    """The sub-folder of the office's outbox that holds its bundles for one district-limited
    laptop: only that laptop looks into it (nobody else could open them)."""
    return f"{RECIPIENT_PREFIX}{_short(name, 12)}-{_id_hash(device_id)}"


def _id_hash(device_id: str) -> str:
    return hashlib.sha256(device_id.encode("utf-8")).hexdigest()[:8]


def exchange(store: Store, shared: Path) -> MailboxRun:
    """Read every other outbox first (so what we write already knows it), then write ours:
    one bundle for the whole council, and one per district-limited laptop (into its sub-folder)."""
    require(may_sync(store.actor.role))
    shared = Path(shared)
    if not shared.is_dir():
        raise InvalidInput(f"共有フォルダ「{shared}」が見つかりません。ネットワークにつながっているか確かめてください。")
    with store.read() as s:
        conn = s.connection()
        me = ident.load(conn)
        roster = ident.roster_data(conn)
    mine = shared / outbox_name(me.device_id, me.name)
    others = [p for p in sorted(shared.glob(f"{OUTBOX_PREFIX}*")) if p.is_dir() and p != mine]
    # Each outbox's own files are for every full-scope device; of its sub-folders only ours.
    seen = [f for box in others for folder in (box, box / recipient_folder(me.device_id, me.name))
            if folder.is_dir() for f in bundle_files_in(folder)]
    fresh, marks, adopted = _taken(store, seen)
    candidates, not_ours = _skip_not_ours(store, seen, fresh, me.keys.age_identity)
    ready, waiting = _arrived(candidates, me.keys.age_identity)
    imported = import_paths(store, ready)
    _remember_taken(store, seen, imported, marks, adopted)
    try:
        _own_folder(mine)
    except OSError as error:
        raise InvalidInput(f"共有フォルダに書き込めませんでした（{error.strerror or error}）。フォルダの権限を確かめてください。") from error
    peers = [d for d in rosters.active_devices(roster) if d["device_id"] != me.device_id]
    exported = []
    if any(not d["scope"] for d in peers):
        exported.append(export_bundle(store, mine))
    if me.is_office:  # a district-limited laptop gets its own, filtered bundle, from the office
        for d in peers:
            if d["scope"]:
                folder = mine / recipient_folder(d["device_id"], d["name"])
                try:
                    _own_folder(folder)
                except OSError as error:
                    raise InvalidInput(f"共有フォルダに書き込めませんでした（{error.strerror or error}）。"
                                       "フォルダの権限を確かめてください。") from error
                exported.append(export_bundle(store, folder, for_device=d["device_id"]))
    return MailboxRun(mine, exported, imported, [ImportResult(f.name, WAITING, WAITING_MESSAGE, "arriving")
                                                 for f in waiting], len(not_ours))


def _own_folder(folder: Path) -> None:
    """Our outbox (or a sub-folder of it) in the share: made owner-only like every folder we
    make; the bundles in it are owner-only and encrypted to their recipients anyway."""
    safe_file.make_private_dir(folder, parents=False)
    safe_file.restrict_dir(folder)


Mark = tuple[int, int]  # a file's size and modification time (ns), as the file system reports them
TAKEN = (APPLIED, ALREADY, OWN)  # results whose file need not be opened again while it stays the same


def _marks(store: Store, model) -> dict[str, tuple[int | None, int | None]]:
    """The marks remembered in `sync_mailbox_file` or `sync_not_ours`, by file name."""
    with store.read() as s:
        return {r.file_name: (r.size, r.mtime_ns) for r in s.execute(sa.select(model.__table__))}


def _save_marks(store: Store, model, seen: list[Path], remembered, learned: dict[str, Mark]) -> None:
    """Replace the marks of `learned` and forget the names no longer in the share."""
    present = {p.name for p in seen}
    gone = [name for name in remembered if name not in present]
    if not (learned or gone):
        return
    table = model.__table__
    with store.write() as w:
        names = [*gone, *learned]
        for start in range(0, len(names), 500):
            w.conn.execute(table.delete().where(table.c.file_name.in_(names[start:start + 500])))
        if learned:
            at = clock.utcnow()
            w.conn.execute(table.insert(), [{"file_name": name, "size": size, "mtime_ns": mtime, "at": at}
                                            for name, (size, mtime) in learned.items()])


def _taken(store: Store, seen: list[Path]) -> tuple[list[Path], dict[str, Mark], dict[str, Mark]]:
    """The files of the share still to be looked at: every file except those taken before whose
    name, size and modification time are all what they were then (`sync_mailbox_file`). Returns
    them, the mark of every file seen (taken now, before anything is read, so a file changed
    during the run is opened again next time), and the marks of files carried over from before
    schema 0010 (a name without a mark): those are skipped once, as before, and their mark kept.
    Only marks are compared, never with our clock."""
    remembered = _marks(store, SyncMailboxFile)
    fresh: list[Path] = []
    marks: dict[str, Mark] = {}
    adopted: dict[str, Mark] = {}
    for path in seen:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        except OSError:
            fresh.append(path)  # the import names the reason
            continue
        mark = marks[path.name] = (stat.st_size, stat.st_mtime_ns)
        known = remembered.get(path.name)
        if known == (None, None):
            adopted[path.name] = mark
        elif known != mark:
            fresh.append(path)
    return fresh, marks, adopted


def _remember_taken(store: Store, seen: list[Path], imported: ImportReport, marks: dict[str, Mark],
                    adopted: dict[str, Mark]) -> None:
    """Remember the files this run took (with the mark seen before they were read) and the
    carried-over names it adopted; forget the names no longer in the share. A run killed before
    this only opens those files again next time (a replay: 'already')."""
    learned = dict(adopted)
    learned.update({r.file: marks[r.file] for r in imported.results if r.status in TAKEN and r.file in marks})
    _save_marks(store, SyncMailboxFile, seen, _marks(store, SyncMailboxFile), learned)


def _skip_not_ours(store: Store, seen: list[Path], files: list[Path],
                   identity: x25519.Identity) -> tuple[list[Path], list[Path]]:
    """Split the candidates into files to go on with and bundles addressed to other
    installations, which are not an error here: they are skipped without a word (`sync import
    FILE` of such a file still refuses it). A file whose age header names none of our keys is
    remembered with its size and modification time and not opened again while they stay the same;
    entries for files no longer in the share are forgotten."""
    remembered = _marks(store, SyncNotOurs)
    keep: list[Path] = []
    skipped: list[Path] = []
    learned: dict[str, tuple[int, int]] = {}
    for path in files:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        except OSError:
            keep.append(path)  # the import names the reason
            continue
        mark = (stat.st_size, stat.st_mtime_ns)
        if remembered.get(path.name) == mark:
            skipped.append(path)
        elif _addressed_to_us(path, identity) is False:
            learned[path.name] = mark
            skipped.append(path)
        else:
            keep.append(path)
    _save_marks(store, SyncNotOurs, seen, remembered, learned)
    return keep, skipped


AGE_MAGIC = b"age-encryption.org/v1\n"
HEADER_LIMIT = 256 * 1024  # an age header: ~100 bytes a recipient, and a bundle has at most 1,000
NONCE = 16  # the payload nonce that follows the header


def _addressed_to_us(path: Path, identity: x25519.Identity) -> bool | None:
    """Whether the file's age header has a stanza for our key: only the header (and the nonce
    after it) is read. False only when the whole header was read and no stanza opens with our
    key; None when it cannot be told (not an age file, cut off, unreadable) — the rest of the
    run judges such a file as before."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEADER_LIMIT)
    except OSError:
        return None
    if not head.startswith(AGE_MAGIC):
        return None
    mac = head.find(b"\n--- ")
    end = head.find(b"\n", mac + 1) if mac >= 0 else -1
    if end < 0 or len(head) < end + 1 + NONCE:
        return None
    try:
        pyrage.decrypt(head[:end + 1 + NONCE], [identity])
    except pyrage.DecryptError as error:
        return "no matching keys" not in str(error).lower()
    return True


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
