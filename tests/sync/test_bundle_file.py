"""Writing bundles to a stick: `.partial`, fsync, rename, read back; failures leave nothing usable."""

import errno
import hashlib
import os
import re
import stat

import pytest

from shakyo_desk.domain import safe_file
from shakyo_desk.sync.bundle import (
    BundleWriteError,
    bundle_file_name,
    bundle_files_in,
    open_bundle,
    pack_bundle,
    write_bundle_file,
)
from tests.sync.helpers import COUNCIL, Council, changes, manifest


def test_file_name_is_ascii_short_and_sorts_by_bundle_number():
    device = "01a24aee-93fb-730e-90a2-8d24410fa6f0"
    name = bundle_file_name(COUNCIL, "Tanaka-Laptop-01", device, 1, 14)
    assert re.fullmatch(r"shakyo-c0a1b2c3-tanakala-[0-9a-f]{8}-e1-000014\.bundle", name)
    japanese = bundle_file_name(COUNCIL, "田中のノートPC", device, 2, 7)
    assert japanese.isascii() and japanese.endswith("-e2-000007.bundle")
    assert bundle_file_name(COUNCIL, "田中のノートPC", device, 2, 7) == japanese  # stable
    names = [bundle_file_name(COUNCIL, "dev", device, 1, s) for s in (9, 10, 100)]
    assert sorted(names) == names
    with pytest.raises(ValueError):
        bundle_file_name(COUNCIL, "dev", device, 1, 0)


def test_devices_never_share_a_file_name():
    # Enrolled in the same minute (uuid7 ids with the same prefix), named alike or in Japanese.
    ids = ["01a24aee-93fb-730e-90a2-8d24410fa6f0", "01a24aee-94c1-7d2e-8a11-0c3f5e2b9d71"]
    for first, second in [("tanaka-laptop-01", "tanaka-laptop-02"), ("田中のノートPC", "佐藤のノートPC"),
                          ("office", "office")]:
        assert bundle_file_name(COUNCIL, first, ids[0], 1, 1) != bundle_file_name(COUNCIL, second, ids[1], 1, 1)


def test_write_then_open_from_the_file(tmp_path):
    council = Council()
    data = pack_bundle(manifest(), changes(), council.office, council.recipients)
    seen = []
    path = write_bundle_file(tmp_path, bundle_file_name(COUNCIL, "office", "dev-office", 1, 14), data,
                             progress=lambda done, total: seen.append((done, total)), chunk_size=256)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no .partial left
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert seen[-1] == (len(data), len(data)) and len(seen) > 1
    assert open_bundle(path.read_bytes(), council.laptop, council.trusted, COUNCIL).changes == changes()


def test_importers_ignore_partial_files(tmp_path):
    (tmp_path / "shakyo-a-b-e1-000001.bundle").write_bytes(b"x")
    (tmp_path / "shakyo-a-b-e1-000002.bundle.partial").write_bytes(b"x")
    (tmp_path / "notes.txt").write_bytes(b"x")
    assert [p.name for p in bundle_files_in(tmp_path)] == ["shakyo-a-b-e1-000001.bundle"]


def test_failure_at_rename_leaves_no_bundle_and_raises(tmp_path, monkeypatch):
    def pulled(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(safe_file.os, "replace", pulled)
    with pytest.raises(BundleWriteError) as exc:
        write_bundle_file(tmp_path, "b.bundle", b"data" * 1000)
    assert "USB" in exc.value.message
    assert list(tmp_path.iterdir()) == []  # neither the bundle nor its .partial


class FailingFile:
    """Wraps a real file; the n-th write raises like a stick that filled up or was pulled."""

    def __init__(self, fh, fail_at, err):
        self.fh, self.fail_at, self.err, self.writes = fh, fail_at, err, 0

    def write(self, b):
        self.writes += 1
        if self.writes == self.fail_at:
            self.fh.write(bytes(b)[: len(b) // 2])
            raise OSError(self.err, os.strerror(self.err))
        return self.fh.write(b)

    def __getattr__(self, name):
        return getattr(self.fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.fh.close()


@pytest.mark.parametrize(
    "err, words", [(errno.ENOSPC, "空き"), (errno.EROFS, "書き込み禁止"), (errno.EIO, "抜けていないか")]
)
def test_failure_mid_write_names_the_reason_and_leaves_nothing_usable(tmp_path, monkeypatch, err, words):
    real_fdopen = os.fdopen

    def failing_fdopen(fd, mode="r", *a, **kw):  # the safe writer's handle on the .partial
        fh = real_fdopen(fd, mode, *a, **kw)
        return FailingFile(fh, 3, err) if "w" in mode else fh

    monkeypatch.setattr(safe_file.os, "fdopen", failing_fdopen)
    with pytest.raises(BundleWriteError) as exc:
        write_bundle_file(tmp_path, "b.bundle", os.urandom(10_000), chunk_size=1000)
    assert words in exc.value.message
    assert list(tmp_path.iterdir()) == []  # neither the bundle nor its .partial


def test_read_back_mismatch_removes_the_file(tmp_path, monkeypatch):
    real_replace = os.replace

    def corrupting_replace(src, dst):
        real_replace(src, dst)
        with open(dst, "r+b") as fh:  # a stick that silently stores a wrong byte
            fh.seek(5)
            fh.write(b"\x00")

    monkeypatch.setattr(safe_file.os, "replace", corrupting_replace)
    with pytest.raises(BundleWriteError, match="一致しません"):
        write_bundle_file(tmp_path, "b.bundle", b"\xff" * 100)
    assert list(tmp_path.iterdir()) == []


def test_overwrites_a_stale_partial_from_an_earlier_pulled_stick(tmp_path):
    (tmp_path / "b.bundle.partial").write_bytes(b"half")
    path = write_bundle_file(tmp_path, "b.bundle", b"whole")
    assert path.read_bytes() == b"whole" and [p.name for p in tmp_path.iterdir()] == ["b.bundle"]


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_a_bundle_is_readable_by_its_owner_only_from_its_first_byte(tmp_path):
    council = Council()
    data = pack_bundle(manifest(), changes(), council.office, council.recipients)
    partial_modes = []
    path = write_bundle_file(tmp_path, "b.bundle", data, chunk_size=64,
                             progress=lambda *_: partial_modes.append(stat.S_IMODE(os.stat(tmp_path / "b.bundle.partial").st_mode)))
    assert partial_modes and set(partial_modes) == {0o600}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert open_bundle(path.read_bytes(), council.laptop, council.trusted, COUNCIL).changes == changes()
