"""The one safe file writer (domain/safe_file.py): real files in a temporary folder."""

import errno
import os
import re
import stat
from pathlib import Path

import pytest

from shakyo_desk.domain import safe_file

PACKAGE = Path(__file__).parents[2] / "shakyo_desk"
posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """umask 0: what a plain open() would create is then world-readable (0666)."""
    old = os.umask(0)
    yield
    os.umask(old)


# ---- writing -------------------------------------------------------------------------------------

def test_write_atomic_replaces_the_file_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "keys.json"
    target.write_bytes(b"old")
    assert safe_file.write_atomic(target, b"new") == target
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]


@posix_only
def test_files_are_owner_only_even_under_an_open_umask(tmp_path, open_umask):
    target = tmp_path / "report.csv"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    with safe_file.stage(target) as staged:
        assert mode(staged.temp) == 0o600  # from its creation on, before a byte is written
        staged.write(b"new")
        staged.commit()
    assert mode(target) == 0o600  # an old world-readable file is replaced by an owner-only one
    assert target.read_bytes() == b"new"


def test_the_temporary_file_is_created_exclusively(tmp_path, monkeypatch):
    seen = []
    real_open = os.open

    def spy(path, flags, *args, **kwargs):
        seen.append((Path(path).name, flags, args))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(safe_file.os, "open", spy)
    safe_file.write_atomic(tmp_path / "a.bin", b"x")
    [(name, flags, args)] = [s for s in seen if s[0].endswith(".partial")]
    assert flags & os.O_CREAT and flags & os.O_EXCL and flags & os.O_WRONLY
    assert args == (0o600,)
    assert name.startswith(".a.bin.")


def test_an_existing_temporary_name_is_never_opened_over(tmp_path, monkeypatch):
    # A unique name that is already taken (another writer's) is skipped, not truncated.
    names = iter(["taken", "free"])
    monkeypatch.setattr(safe_file.secrets, "token_hex", lambda n: next(names))
    taken = tmp_path / ".a.bin.taken.partial"
    taken.write_bytes(b"someone else's")
    safe_file.write_atomic(tmp_path / "a.bin", b"mine")
    assert taken.read_bytes() == b"someone else's"
    assert (tmp_path / "a.bin").read_bytes() == b"mine"


def test_a_fixed_partial_name_replaces_a_stale_one(tmp_path):
    (tmp_path / "b.bundle.partial").write_bytes(b"half of an old one")
    safe_file.write_atomic(tmp_path / "b.bundle", b"whole", temp_name="b.bundle.partial")
    assert [p.name for p in tmp_path.iterdir()] == ["b.bundle"]
    with pytest.raises(ValueError):
        safe_file.stage(tmp_path / "b.bundle", temp_name="b.bundle.tmp")
    with pytest.raises(ValueError):
        safe_file.stage(tmp_path / "b.bundle", temp_name="../b.bundle.partial")


# ---- failures leave the old file and no partial ---------------------------------------------------

@pytest.mark.parametrize("broken", ["write", "fsync", "replace"])
def test_a_failure_keeps_the_old_file_and_removes_the_partial(tmp_path, monkeypatch, broken):
    target = tmp_path / "keys.json"
    target.write_bytes(b"old content")

    def fail(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    if broken == "write":
        real_fdopen = os.fdopen

        class HalfFile:
            def __init__(self, fh):
                self.fh = fh

            def write(self, data):
                self.fh.write(bytes(data)[:3])  # part of it reached the disk, then the disk filled
                fail()

            def __getattr__(self, name):
                return getattr(self.fh, name)

        monkeypatch.setattr(safe_file.os, "fdopen", lambda fd, m: HalfFile(real_fdopen(fd, m)))
    else:
        monkeypatch.setattr(safe_file.os, broken, fail)
    with pytest.raises(OSError) as error:
        safe_file.write_atomic(target, b"new content that does not fit")
    monkeypatch.undo()
    assert error.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]


def test_an_exception_inside_the_block_discards_everything(tmp_path):
    target = tmp_path / "handout.pdf"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), safe_file.stage(target) as staged:
        staged.write(b"half")
        staged.finish()
        raise RuntimeError("registering the copies failed")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["handout.pdf"]


def test_leaving_the_block_without_commit_writes_nothing(tmp_path):
    with safe_file.stage(tmp_path / "x.csv") as staged:
        staged.write(b"never committed")
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_folder_is_an_oserror_and_leaves_nothing(tmp_path):
    with pytest.raises(OSError):
        safe_file.write_atomic(tmp_path / "missing" / "x.csv", b"x")
    assert list(tmp_path.iterdir()) == []


# ---- folders ---------------------------------------------------------------------------------------

@posix_only
def test_folders_it_creates_are_owner_only(tmp_path, open_umask):
    deep = tmp_path / "a" / "b" / "store"
    assert safe_file.make_private_dir(deep) == deep
    assert [mode(p) for p in (tmp_path / "a", tmp_path / "a" / "b", deep)] == [0o700] * 3


@posix_only
def test_an_existing_folder_is_left_as_it_is_unless_restricted(tmp_path):
    folder = tmp_path / "chosen"
    folder.mkdir()
    os.chmod(folder, 0o755)
    safe_file.make_private_dir(folder)
    assert mode(folder) == 0o755
    with pytest.raises(FileExistsError):
        safe_file.make_private_dir(folder, exist_ok=False)
    safe_file.restrict_dir(folder)
    assert mode(folder) == 0o700


def test_on_windows_modes_and_folder_fsync_are_skipped(tmp_path, monkeypatch):
    # Windows: no POSIX modes and a folder cannot be opened for fsync; nothing may fail.
    monkeypatch.setattr(safe_file, "_POSIX", False)
    forbidden = []
    for name in ("chmod", "fchmod"):
        monkeypatch.setattr(safe_file.os, name, lambda *a, _n=name: forbidden.append(_n), raising=False)
    real_open = os.open

    def files_only(path, flags, *args):
        assert not Path(path).is_dir(), "a folder was opened for fsync"
        return real_open(path, flags, *args)

    monkeypatch.setattr(safe_file.os, "open", files_only)
    folder = safe_file.make_private_dir(tmp_path / "store")
    safe_file.restrict_dir(folder)
    safe_file.write_atomic(folder / "keys.json", b"{}")
    safe_file.fsync_dir(folder)
    safe_file.create_private(folder / "shakyo.db")
    safe_file.restrict_tree(folder)
    with safe_file.open_private(folder / "crash.txt") as handle:
        handle.write("x")
    assert forbidden == [] and (folder / "keys.json").read_bytes() == b"{}"


def test_fsync_dir_is_best_effort(tmp_path, monkeypatch):
    safe_file.fsync_dir(tmp_path)  # a real folder
    safe_file.fsync_dir(tmp_path / "gone")  # a stick pulled after the rename

    def refuse(_fd):
        raise OSError(errno.EINVAL, "Invalid argument")  # some share and FAT drivers

    monkeypatch.setattr(safe_file.os, "fsync", refuse)
    safe_file.fsync_dir(tmp_path)


def test_a_refused_chmod_is_not_an_error(tmp_path, monkeypatch):
    def refuse(*_a):
        raise PermissionError(errno.EPERM, "Operation not permitted")  # FAT sticks, some shares

    monkeypatch.setattr(safe_file.os, "chmod", refuse)
    monkeypatch.setattr(safe_file.os, "fchmod", refuse, raising=False)
    folder = safe_file.make_private_dir(tmp_path / "stick")
    safe_file.write_atomic(folder / "b.bundle", b"data")
    assert (folder / "b.bundle").read_bytes() == b"data"


# ---- files written in place, copies, folders left loose ----------------------------------------

@posix_only
def test_create_private_makes_an_empty_owner_only_file_and_keeps_an_existing_one(tmp_path, open_umask):
    fresh = safe_file.create_private(tmp_path / "shakyo.db")
    assert fresh.read_bytes() == b"" and mode(fresh) == 0o600
    old = tmp_path / "old.db"
    old.write_bytes(b"pages")
    os.chmod(old, 0o644)
    safe_file.create_private(old)
    assert old.read_bytes() == b"pages" and mode(old) == 0o600


@posix_only
def test_sqlite_companions_take_the_database_files_mode(tmp_path, open_umask):
    import sqlcipher3

    database = safe_file.create_private(tmp_path / "a.db")
    conn = sqlcipher3.connect(str(database))
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()
        assert {p.name: mode(p) for p in tmp_path.iterdir()} == {"a.db": 0o600, "a.db-wal": 0o600, "a.db-shm": 0o600}
    finally:
        conn.close()


@posix_only
def test_open_private_is_owner_only_and_empties_an_old_file(tmp_path, open_umask):
    path = tmp_path / "crash-fatal.txt"
    path.write_text("old")
    os.chmod(path, 0o644)
    with safe_file.open_private(path) as handle:
        assert mode(path) == 0o600
        handle.write("スタック")
    assert path.read_text("utf-8") == "スタック"


@posix_only
def test_copy_private_is_owner_only_whatever_the_source(tmp_path, open_umask):
    source = tmp_path / "incoming.bundle"
    source.write_bytes(b"x" * 3_000_000)
    os.chmod(source, 0o644)
    target = safe_file.copy_private(source, tmp_path / "staged.bundle")
    assert target.read_bytes() == source.read_bytes() and mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incoming.bundle", "staged.bundle"]


def test_copy_private_from_a_pulled_stick_leaves_nothing(tmp_path):
    with pytest.raises(OSError):
        safe_file.copy_private(tmp_path / "gone.bundle", tmp_path / "staged.bundle")
    assert list(tmp_path.iterdir()) == []


@posix_only
def test_restrict_tree_narrows_looser_modes_and_follows_no_link(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("someone else's")
    os.chmod(outside, 0o644)
    folder = tmp_path / "backups"
    (folder / "old").mkdir(parents=True)
    (folder / "old" / "copy.db").write_bytes(b"x")
    (folder / "link").symlink_to(outside)
    for path, loose in ((folder, 0o755), (folder / "old", 0o775), (folder / "old" / "copy.db", 0o664)):
        os.chmod(path, loose)
    safe_file.restrict_tree(folder)
    assert [mode(p) for p in (folder, folder / "old", folder / "old" / "copy.db")] == [0o700, 0o700, 0o600]
    assert mode(outside) == 0o644


# ---- one writer ----------------------------------------------------------------------------------

def test_there_is_only_one_safe_writer():
    """fsync and exclusive creation live in domain/safe_file.py only: a second copy of
    "temp file, fsync, rename, fsync the folder" must not grow back anywhere."""
    pattern = re.compile(r"os\.fsync\(|def \w*fsync\w*\(|O_EXCL|tempfile\.mkstemp\(|shakyo_desk\.store\.atomic")
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "domain/safe_file.py":
            continue
        # store/location.py probes whether a folder is writable with a throwaway mkstemp file.
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if pattern.search(line) and not (rel == "store/location.py" and "mkstemp" in line):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert offenders == []
    assert not (PACKAGE / "store" / "atomic.py").exists()
