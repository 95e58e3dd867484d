"""Japanese sentences for files that could not be written or read (domain/file_errors.py):
never the system's own message, always the place and a cause a clerk can act on."""

import errno
import os
import re

import pytest

from shakyo_desk.domain.file_errors import read_failure, write_failure, write_reason

PLACE = "E:\\"


def english(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z]{2,}", text.replace(PLACE, "")) if w not in {"USB"}]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOENT,
                                  errno.ENOTDIR, errno.EIO, errno.ENAMETOOLONG, errno.EINVAL, errno.EBUSY,
                                  errno.EEXIST, errno.ELOOP])
def test_every_error_reads_in_japanese_with_its_place(code):
    error = OSError(code, os.strerror(code))
    for text in (write_failure("同期ファイル", PLACE, error), read_failure("同期ファイル", PLACE, error)):
        assert PLACE in text and os.strerror(code) not in text and english(text) == []


def test_the_likely_cause_is_named():
    said = {code: write_failure("登録ファイル", PLACE, OSError(code, "x"))
            for code in (errno.ENOSPC, errno.EROFS, errno.EIO, errno.EISDIR)}
    assert "空き" in said[errno.ENOSPC] and "書き込み禁止" in said[errno.EROFS]
    assert "USBメモリが抜けていないか" in said[errno.EIO] and "フォルダ" in said[errno.EISDIR]


def test_windows_error_numbers_say_more_than_their_errno():
    protected = OSError(errno.EACCES, "The media is write protected")
    protected.winerror = 19  # ERROR_WRITE_PROTECT, mapped to EACCES by Python
    gone = OSError(errno.ENOENT, "The device is not ready")
    gone.winerror = 21
    assert "つまみ" in write_failure("同期ファイル", PLACE, protected)
    assert "抜けていないか" in write_failure("同期ファイル", PLACE, gone)
    assert write_reason(protected) == "書き込み禁止になっています" and write_reason(OSError(errno.ELOOP, "x")) is None
