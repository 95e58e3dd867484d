"""What every command shares: the parser class, common options, the passphrase,
opening the store and writing output. No Qt here."""

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from shakyo_desk.domain.errors import InvalidInput

ENV_PASSPHRASE = "SHAKYO_PASSPHRASE"
ENV_RECOVERY_KEY = "SHAKYO_RECOVERY_KEY"
ENV_NEW_PASSPHRASE = "SHAKYO_NEW_PASSPHRASE"
ENV_FAST_KDF = "SHAKYO_FAST_KDF"
ENV_DEBUG = "SHAKYO_DEBUG"

PROG = "shakyo-desk"

# ---- argparse in Japanese -----------------------------------------------------------

_ARGPARSE_MESSAGES: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"the following arguments are required: (.+)"),
     lambda m: f"次の指定が足りません：{m.group(1)}"),
    (re.compile(r"unrecognized arguments: (.+)"),
     lambda m: f"分からない指定があります：{m.group(1)}"),
    (re.compile(r"argument (?:command|subcommand): invalid choice: '?([^' ]+)'?.*"),
     lambda m: f"「{m.group(1)}」というコマンドはありません"),
    (re.compile(r"argument (\S+): invalid choice: '?([^' ]+)'? \(choose from (.+)\)"),
     lambda m: f"{m.group(1)} に「{m.group(2)}」は指定できません（指定できるもの：{m.group(3)}）"),
    (re.compile(r"argument (\S+): expected one argument"),
     lambda m: f"{m.group(1)} の後に値を指定してください"),
    (re.compile(r"argument (\S+): expected at least one argument"),
     lambda m: f"{m.group(1)} の後に値を1つ以上指定してください"),
    (re.compile(r"argument (\S+): invalid int value: '?([^']*)'?"),
     lambda m: f"{m.group(1)} には整数を指定してください（指定された値：{m.group(2)}）"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"),
     lambda m: f"{m.group(1)} と {m.group(2)} は一緒に指定できません"),
    (re.compile(r"ambiguous option: (\S+) could match (.+)"),
     lambda m: f"{m.group(1)} はいくつかのオプションに当てはまります（{m.group(2)}）"),
]


_HEADING = re.compile(r"(?m)^(\S[^\n]*?):$")


def japanese_usage_message(message: str) -> str:
    for pattern, build in _ARGPARSE_MESSAGES:
        match = pattern.fullmatch(message.strip())
        if match:
            return build(match)
    return message


class JapaneseHelpFormatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, prefix="使い方：" if prefix is None else prefix)

    def format_help(self) -> str:
        """Section headings (「オプション」, 「終了コード」…) end in a full-width colon, as Japanese text does;
        argparse writes an ASCII one."""
        return _HEADING.sub(r"\1：", super().format_help())


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose refusals are one Japanese line and exit status 2."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", JapaneseHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "引数"
        self._optionals.title = "オプション"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help="この説明を表示して終わります")

    def error(self, message: str):  # noqa: D401 - argparse API
        text = japanese_usage_message(message)
        sys.stderr.write(
            f"コマンドの指定が正しくありません：{text}。「{self.prog} --help」で使い方を確かめてください。\n"
        )
        raise SystemExit(2)


def add_store_options(parser: argparse.ArgumentParser, *, user: bool = True,
                      formats: Iterable[str] = ("text", "json")) -> None:
    """--store, --user and --format. Defaults are SUPPRESSed so the same options may
    also be given before the command name; read them with ``Context``."""
    group = parser.add_argument_group("共通オプション")
    group.add_argument("--store", metavar="DIR", default=argparse.SUPPRESS,
                       help="データフォルダ（省略時は利用者ごとの既定のフォルダ）")
    if user:
        group.add_argument("--user", metavar="LOGIN", default=argparse.SUPPRESS,
                           help="アカウントのログイン名（パスフレーズは環境変数 SHAKYO_PASSPHRASE か端末から）")
    formats = tuple(formats)
    group.add_argument("--format", choices=formats, default=argparse.SUPPRESS,
                       help=f"出力の形式（{' / '.join(formats)}、既定は text：日本語の文章）")


# ---- JSON ----------------------------------------------------------------------------

def _json_default(value: Any):
    if isinstance(value, datetime):
        # The store keeps naive UTC; say so in the text.
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"JSONにできない値です：{type(value).__name__}")


def local_date(value: datetime | date | None) -> date | None:
    """The calendar day (local time) of a stored naive-UTC time, for 和暦 display."""
    if value is None or not isinstance(value, datetime):
        return value
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone().date()


def to_json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=_json_default)


# ---- the context a command runs in ---------------------------------------------------

def fast_kdf() -> dict | None:
    """Cheap key derivation (SHAKYO_FAST_KDF=1) for the test suite only: in any other run a
    command that would derive a key with it refuses, before changing anything."""
    if os.environ.get(ENV_FAST_KDF, "").strip() not in ("", "0"):
        from shakyo_desk.store.keyfile import FAST_KDF, require_kdf

        return require_kdf(FAST_KDF)
    return None


class ProgressLines:
    """Progress of long work (a key rotation, a migration on open) as one line per step on
    stderr, and a percent line each further tenth of a step."""

    def __init__(self, stream):
        self.stream = stream
        self.last = ""
        self.tenth = 0

    def __call__(self, done: int, total: int, text: str) -> None:
        if not text:
            return
        tenth = 10 * done // max(1, total)
        if text != self.last:
            self.last, self.tenth = text, tenth
            self.stream.write(text + "\n")
        elif tenth > self.tenth:
            self.tenth = tenth
            self.stream.write(f"  {min(100, 10 * tenth)}%\n")
        else:
            return
        self.stream.flush()


@dataclass
class Context:
    args: argparse.Namespace
    stdout: Any = field(default_factory=lambda: sys.stdout)
    stderr: Any = field(default_factory=lambda: sys.stderr)

    # -- options -------------------------------------------------------------------
    @property
    def format(self) -> str:
        return getattr(self.args, "format", None) or "text"

    @property
    def json(self) -> bool:
        return self.format == "json"

    def store_dir(self, default: Callable[[], Path] | None = None) -> Path:
        given = getattr(self.args, "store", None)
        if given:
            return Path(given).expanduser()
        if default is None:
            from shakyo_desk.store.paths import default_store_dir

            default = default_store_dir
        return default()

    def login(self) -> str:
        login = getattr(self.args, "user", None)
        if not login:
            raise InvalidInput("アカウントのログイン名を --user LOGIN で指定してください。")
        return login

    @property
    def kdf(self) -> dict | None:
        return fast_kdf()

    # -- secrets ---------------------------------------------------------------------
    def passphrase(self, *, confirm: bool = False, prompt: str = "パスフレーズ：") -> str:
        """From SHAKYO_PASSPHRASE, else asked on the terminal without echo."""
        value = os.environ.get(ENV_PASSPHRASE)
        if value is not None:
            return value
        first = self._ask_secret(prompt)
        if confirm:
            second = self._ask_secret("確認のため、もう一度入力してください：")
            if first != second:
                raise InvalidInput("2回入力したパスフレーズが一致しません。もう一度やり直してください。")
        return first

    def new_passphrase(self, prompt: str = "新しいパスフレーズ（8文字以上）：") -> str:
        """Another account's new passphrase (account add / enable): from SHAKYO_NEW_PASSPHRASE,
        else asked twice on the terminal without echo."""
        value = os.environ.get(ENV_NEW_PASSPHRASE)
        if value is not None:
            return value
        first = self._ask_secret(prompt, env=ENV_NEW_PASSPHRASE)
        second = self._ask_secret("確認のため、もう一度入力してください：", env=ENV_NEW_PASSPHRASE)
        if first != second:
            raise InvalidInput("2回入力したパスフレーズが一致しません。もう一度やり直してください。")
        return first

    def recovery_key(self) -> str:
        value = os.environ.get(ENV_RECOVERY_KEY)
        if value is not None:
            return value
        return self._ask_secret("復旧キー：", what="復旧キー", env=ENV_RECOVERY_KEY)

    def _ask_secret(self, prompt: str, *, what: str = "パスフレーズ", env: str = ENV_PASSPHRASE) -> str:
        stdin = sys.stdin
        if stdin is None or not _isatty(stdin):
            raise InvalidInput(f"{what}を尋ねられません。環境変数 {env} に設定するか、端末から実行してください。")
        import getpass

        try:
            return getpass.getpass(prompt)
        except EOFError:
            raise InvalidInput(f"{what}が入力されませんでした。もう一度実行してください。") from None

    # -- the store ------------------------------------------------------------------------
    @contextmanager
    def open_store(self) -> Iterator[Any]:
        """Unlock the store named by --store as --user; lock it again afterwards."""
        from shakyo_desk.store.store import unlock
        from shakyo_desk.store.services import drops  # noqa: F401  (registers its unlock hook)

        root, login = self.store_dir(), self.login()
        store = unlock(root, login, self.passphrase(), progress=ProgressLines(self.stderr))
        try:
            for notice in store.notices:  # a key strengthened or rotated on the way
                self.note(notice)
            yield store
        finally:
            store.close()

    # -- output ------------------------------------------------------------------------
    def emit(self, document: Any, text: str | Iterable[str] | None = None) -> None:
        """One JSON document with --format json, else the readable text."""
        if self.json:
            self.stdout.write(to_json(document) + "\n")
            return
        if text is None:
            return
        if not isinstance(text, str):
            text = "\n".join(text)
        self.stdout.write(text + ("" if text.endswith("\n") else "\n"))

    def note(self, text: str) -> None:
        """A remark for the person at the terminal (stderr, so stdout stays clean)."""
        self.stderr.write(text + "\n")


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


Handler = Callable[[Context], int | None]  # what a leaf parser's ``handler`` default is
