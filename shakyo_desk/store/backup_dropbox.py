"""The drop box inside a backup (store/backup.py, store/dropbox.py): reporters' sheets not yet
filed (``dropbox/<id>.sheet``) and the quarantined drops with their reasons
(``dropbox/quarantine/<name>`` and ``<name>.txt``), so that a sheet dropped but not yet filed
survives the PC. The next coordinator's or admin's unlock after a restore files them.

They travel in the backup's sealed contents, never in its clear header::

    "dropbox": {"files": [{"place": "sheet" | "quarantine", "name": …, "data": base64,
                           "reason": …}, …],
                "left_out": n}

The files are copied as they are (a drop is already sealed to its recipients). Status files
and ``council.json`` are not carried: any session holding the data key regenerates them.

Bounds (memory stays flat, and the contents stay under the 1 MiB every format-2 reader
accepts, so a version from before this still restores such a backup, without the drops):
at most ``MAX_FILES`` files of at most ``MAX_FILE`` bytes each, and only as many as the room
the contents leave (sheets first, in the drop box's order, then quarantined files). What does
not fit stays in the store folder and is counted in ``left_out``; a backup says so. A drop is
about 1–4 KB (2–6 KB encoded), so a few hundred unfiled sheets fit (600 of 1.2 KB).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from shakyo_desk.domain import safe_file
from shakyo_desk.store import dropbox

SHEET = "sheet"
QUARANTINE = "quarantine"
PLACES = (SHEET, QUARANTINE)
MAX_FILES = 1_000
MAX_FILE = 64 * 1024  # a reporter's sheet is a few KB; anything larger is not carried
MAX_REASON = 2_000  # characters of a quarantine reason
_REASON_SUFFIX = ".txt"
_FORBIDDEN = set('<>:"/\\|?*')


@dataclass(frozen=True)
class KeptFile:
    place: str  # SHEET or QUARANTINE
    name: str  # the file's name in dropbox/ or dropbox/quarantine/
    data: bytes
    reason: str = ""  # a quarantined file's reason (its .txt file)

    def encoded_size(self) -> int:
        """Bytes this entry takes in the contents' JSON (with its separating comma)."""
        return len(_entry_bytes(self)) + 1


@dataclass(frozen=True)
class Kept:
    """What a backup carries of the drop box."""

    files: tuple[KeptFile, ...] = ()
    left_out: int = 0  # drop box files that were not carried (over the bounds)

    @property
    def sheets(self) -> int:
        return sum(f.place == SHEET for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.place == QUARANTINE for f in self.files)

    def within(self, room: int) -> Kept:
        """As many files as ``room`` bytes of contents hold, in order; the rest counted left out."""
        taken, used = [], 0
        for kept in self.files:
            size = kept.encoded_size()
            if used + size > room:
                break
            taken.append(kept)
            used += size
        return Kept(tuple(taken), self.left_out + len(self.files) - len(taken))

    def to_doc(self) -> dict:
        return {"files": [_entry(f) for f in self.files], "left_out": self.left_out}


@dataclass
class Placed:
    """What a restore wrote into the drop box (taken away again if the restore fails)."""

    files: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)  # created by the restore
    sheets: int = 0
    quarantined: int = 0


def _entry(kept: KeptFile) -> dict:
    entry = {"place": kept.place, "name": kept.name, "data": base64.b64encode(kept.data).decode("ascii")}
    if kept.reason:
        entry["reason"] = kept.reason
    return entry


def _entry_bytes(kept: KeptFile) -> bytes:
    return json.dumps(_entry(kept), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def plain_name(name, place: str) -> bool:
    """A bare file name that the drop box could hold at ``place`` (never a path, never ours)."""
    if not isinstance(name, str) or not 1 <= len(name) <= 200 or name.startswith("."):
        return False
    if any(ch in _FORBIDDEN or ord(ch) < 32 for ch in name) or name.endswith(safe_file.PARTIAL_SUFFIX):
        return False
    if place == SHEET:
        return name.endswith(dropbox.SHEET_SUFFIX)
    return place == QUARANTINE and not name.endswith(_REASON_SUFFIX)


def _read_small(path: Path) -> bytes | None:
    """The file's bytes, or None when it is larger than MAX_FILE or cannot be read."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_FILE else None


# ---- a backup takes them -------------------------------------------------------------------


def collect(root: Path, budget: int) -> Kept:
    """The drop box's unfiled sheets, then its quarantined files with their reasons, within
    ``budget`` bytes of encoded entries and the bounds above (nothing is opened or changed)."""
    candidates: list[tuple[str, Path, str]] = [(SHEET, p, "") for p in dropbox.sheet_files(root)]
    candidates += [(QUARANTINE, dropbox.quarantine_folder(root) / q.name, q.reason[:MAX_REASON])
                   for q in dropbox.quarantined(root)]
    files: list[KeptFile] = []
    left_out, used = 0, 0
    for place, path, reason in candidates:
        if not plain_name(path.name, place):
            continue  # a temporary file being written, or not ours
        data = _read_small(path) if len(files) < MAX_FILES else None
        if data is None:
            left_out += path.exists()  # gone meanwhile (filed): nothing is missing
            continue
        kept = KeptFile(place, path.name, data, reason)
        size = kept.encoded_size()
        if used + size > budget:
            left_out += 1
            continue
        files.append(kept)
        used += size
    return Kept(tuple(files), left_out)


# ---- a restore reads and puts them back -------------------------------------------------------


def from_doc(doc) -> Kept:
    """The drop box a backup's contents carry; ValueError when malformed."""
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), list) or len(doc["files"]) > MAX_FILES:
        raise ValueError("dropbox")
    left_out = doc.get("left_out", 0)
    if not isinstance(left_out, int) or left_out < 0:
        raise ValueError("dropbox")
    files, seen = [], set()
    for entry in doc["files"]:
        if not isinstance(entry, dict):
            raise ValueError("dropbox")
        place, name, reason = entry.get("place"), entry.get("name"), entry.get("reason", "")
        if place not in PLACES or not plain_name(name, place) or (place, name) in seen:
            raise ValueError("dropbox")
        if not isinstance(reason, str) or len(reason) > MAX_REASON or (reason and place != QUARANTINE):
            raise ValueError("dropbox")
        data = base64.b64decode(str(entry.get("data")).encode("ascii"), validate=True)
        if len(data) > MAX_FILE:
            raise ValueError("dropbox")
        seen.add((place, name))
        files.append(KeptFile(place, name, data, reason))
    return Kept(tuple(files), left_out)


def _folder(path: Path, placed: Placed) -> Path:
    """Create ``path`` (and missing parents) owner-only, noting what was created."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    safe_file.make_private_dir(path)
    safe_file.restrict_dir(path)
    placed.folders.extend(reversed(missing))
    return path


def put_back(root: Path, kept: Kept, placed: Placed) -> Placed:
    """Write the carried files into ``root``'s drop box as dropbox.py writes them (folders 0700,
    files 0600, atomic). A name the drop box already holds is left as it is there (the same drop,
    or a newer state of it). ``placed`` is filled as files are written, so a failure halfway can be
    undone. OSError when a file cannot be written."""
    for item in kept.files:
        base = dropbox.folder(root) if item.place == SHEET else dropbox.quarantine_folder(root)
        target = base / item.name
        if target.exists():
            continue
        _folder(base, placed)
        if item.place == QUARANTINE:
            note = target.with_name(target.name + _REASON_SUFFIX)
            if not note.exists():
                safe_file.write_atomic(note, (item.reason + "\n").encode("utf-8"))
                placed.files.append(note)
        safe_file.write_atomic(target, item.data)
        placed.files.append(target)
        if item.place == SHEET:
            placed.sheets += 1
        else:
            placed.quarantined += 1
    return placed


def undo(placed: Placed) -> None:
    """Remove what ``put_back`` wrote, and the folders it created when they are empty again."""
    for path in reversed(placed.files):
        path.unlink(missing_ok=True)
    for folder in reversed(placed.folders):
        try:
            os.rmdir(folder)
        except OSError:
            pass
