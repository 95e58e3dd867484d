"""Japanese sentences for a file that could not be written or read (stdlib only).

``OSError`` carries the system's own message ("Is a directory", "No space left on device"),
in English or in the language of the system, which a clerk cannot act on. These functions
say what could not be done, where, and the likely cause in the clerk's words: a USB stick
pulled out, write-protected, full, a folder given where a file was meant. Windows error
numbers (``winerror``) are looked at first: Windows maps several of them to the same
``errno`` (a write-protected stick is just "permission denied" there).
"""

from __future__ import annotations

import errno
from pathlib import Path

FULL = "空きが足りません（USBメモリやディスクがいっぱいです）。不要なファイルを消すか、空きのある別のUSBメモリかフォルダを選んでください。"
TOO_BIG = "このUSBメモリには大きすぎて保存できません。別のUSBメモリかフォルダを選んでください。"
READ_ONLY = "書き込み禁止になっています。USBメモリの書き込み禁止のつまみ（ロック）を外すか、別の場所を選んでください。"
NO_RIGHT = ("書き込み禁止になっているか、その場所に書き込む権限がありません。USBメモリのロックを外すか、"
            "書き込める別のフォルダ（ドキュメントなど）を選んでください。")
IS_FOLDER = "保存先にフォルダが指定されています。ファイルの名前まで指定するか、別の場所を選んでください。"
NO_FOLDER = "保存先のフォルダが見つかりません。USBメモリが抜かれていないか、場所を確かめてください。"
PULLED = "USBメモリが抜けていないか確かめてください。抜けかけていたら差し直して、もう一度やり直してください。"
LONG_NAME = "ファイル名か場所の名前が長すぎます。短い名前にするか、USBメモリのすぐ下など浅い場所を選んでください。"
BAD_NAME = "ファイル名に使えない文字が入っているか、その場所には保存できません。別の名前か場所を選んでください。"
BUSY = "ほかのアプリがそのファイルを開いています。そのアプリを閉じてから、もう一度やり直してください。"
UNKNOWN_WRITE = ("USBメモリが抜けていないか、空きが足りているか、書き込み禁止になっていないかを確かめて、"
                 "もう一度やり直してください。")

READ_MISSING = "ファイルが見つかりません。USBメモリが差さっているか、場所を確かめてください。"
READ_NO_RIGHT = "そのファイルを読む権限がありません。ファイルをいったんドキュメントなどにコピーしてから選んでください。"
READ_IS_FOLDER = "指定した場所はフォルダです。ファイルを選んでください。"
LOCAL_FULL = "この端末のディスクの空きが足りません。不要なファイルを消してから、もう一度やり直してください。"
UNKNOWN_READ = "USBメモリが抜けていないか、場所が正しいかを確かめて、もう一度やり直してください。"

# Windows error numbers (winerror) that say more than the errno Python maps them to.
_WINDOWS_WRITE = {
    19: READ_ONLY,  # ERROR_WRITE_PROTECT
    21: PULLED, 31: PULLED, 1117: PULLED, 1167: PULLED, 483: PULLED,  # not ready, device gone, I/O
    39: FULL, 112: FULL,  # ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL
    32: BUSY, 33: BUSY,  # sharing, lock violation
    5: NO_RIGHT,
    3: NO_FOLDER,
    206: LONG_NAME,
    123: BAD_NAME,
}
_WRITE = {
    errno.ENOSPC: FULL, errno.EDQUOT: FULL,
    errno.EFBIG: TOO_BIG,
    errno.EROFS: READ_ONLY,
    errno.EACCES: NO_RIGHT, errno.EPERM: NO_RIGHT,
    errno.EISDIR: IS_FOLDER,
    errno.ENOENT: NO_FOLDER, errno.ENOTDIR: NO_FOLDER,
    errno.EIO: PULLED, errno.ENXIO: PULLED, errno.ENODEV: PULLED,
    errno.ENAMETOOLONG: LONG_NAME,
    errno.EINVAL: BAD_NAME,
    errno.EBUSY: BUSY, errno.ETXTBSY: BUSY,
}
for _name in ("ENOMEDIUM", "ESHUTDOWN", "ESTALE"):
    if hasattr(errno, _name):
        _WRITE[getattr(errno, _name)] = PULLED

_READ = {
    errno.ENOENT: READ_MISSING, errno.ENOTDIR: READ_MISSING,
    errno.EACCES: READ_NO_RIGHT, errno.EPERM: READ_NO_RIGHT,
    errno.EISDIR: READ_IS_FOLDER,
    errno.ENOSPC: LOCAL_FULL, errno.EDQUOT: LOCAL_FULL,
    errno.EIO: PULLED, errno.ENXIO: PULLED, errno.ENODEV: PULLED,
    errno.EBUSY: BUSY,
}
_WINDOWS_READ = {21: PULLED, 31: PULLED, 1117: PULLED, 1167: PULLED, 483: PULLED, 32: BUSY, 33: BUSY,
                 2: READ_MISSING, 3: READ_MISSING, 5: READ_NO_RIGHT, 39: LOCAL_FULL, 112: LOCAL_FULL}


def write_cause(error: OSError) -> str:
    """The likely cause of a failed write and what to do, in one or two sentences."""
    winerror = getattr(error, "winerror", None)
    if winerror in _WINDOWS_WRITE:
        return _WINDOWS_WRITE[winerror]
    return _WRITE.get(error.errno, UNKNOWN_WRITE)


def read_cause(error: OSError) -> str:
    winerror = getattr(error, "winerror", None)
    if winerror in _WINDOWS_READ:
        return _WINDOWS_READ[winerror]
    return _READ.get(error.errno, UNKNOWN_READ)


_REASONS = {  # a few words, for a sentence that goes on with its own advice
    FULL: "空きが足りません", TOO_BIG: "ファイルが大きすぎます", READ_ONLY: "書き込み禁止になっています",
    NO_RIGHT: "書き込み禁止か、書き込む権限がありません", PULLED: "USBメモリが抜けたか、読み書きできません",
    BUSY: "ほかのアプリがそのファイルを開いています", NO_FOLDER: "フォルダが見つかりません",
}


def write_reason(error: OSError) -> str | None:
    """The cause in a few words (「空きが足りません」), or None when it is not known."""
    return _REASONS.get(write_cause(error))


def write_failure(what: str, place: Path | str, error: OSError) -> str:
    """「{what}を「{place}」に書き込めませんでした。」 and the likely cause. ``place`` is the
    folder the person chose (a stick's drive), which they recognise better than a file name."""
    return f"{what}を「{place}」に書き込めませんでした。{write_cause(error)}"


def read_failure(what: str, place: Path | str, error: OSError) -> str:
    return f"{what}「{place}」を読み込めませんでした。{read_cause(error)}"


__all__ = ["read_cause", "read_failure", "write_cause", "write_failure", "write_reason"]
