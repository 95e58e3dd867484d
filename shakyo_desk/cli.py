"""社協デスク from the command line (see shared/CLI.md for the contract).

``main(argv)`` parses, runs one command and returns the exit status. Refusals a
user can cause are one Japanese sentence on stderr with the error's exit code;
nothing else is printed for them. The desktop app is imported only when started."""

import os
import sys
from pathlib import Path

from shakyo_desk import __version__
from shakyo_desk.cli_commands import register_all
from shakyo_desk.cli_commands._base import ENV_DEBUG, ENV_FAST_KDF, PROG, Context, Parser
from shakyo_desk.domain import faults
from shakyo_desk.domain.errors import UserError

EXIT_UNEXPECTED = 70
EXIT_UI_UNAVAILABLE = 69
EXIT_INTERRUPTED = 130

EPILOG = f"""\
終了コード：
  0 成功 / 2 入力の誤り / 3 見つからない / 4 権限がない / 5 認証できない
  6 データフォルダの問題 / 7 check・audit verify で異常あり / 8 取り込めない同期ファイルがあった
  1 自己診断（--selftest）で異常あり / 70 予期しないエラー

環境変数：
  SHAKYO_PASSPHRASE    --user のアカウントのパスフレーズ（なければ端末で尋ねます）
  SHAKYO_RECOVERY_KEY  復旧キーを使うコマンドの復旧キー
  {ENV_FAST_KDF}=1    試験専用：鍵の導出を軽くします（テストの実行中にだけ使えます。ふだんの実行では断ります）
  {ENV_DEBUG}=1       予期しないエラーのときに詳しい情報（トレースバック）を表示します
"""


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="社協デスク — 小規模社協のための地域福祉記録アプリ。コマンドを省略するとデスクトップ画面を起動します。",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}",
                        help="バージョンを表示して終わります")
    parser.add_argument("--demo", action="store_true",
                        help="デモ用の架空の村のデータで画面を起動します")
    parser.add_argument("--selftest", action="store_true",
                        help="一時フォルダで動作を確かめて終わります（データフォルダ・同期ファイル・PDF・画面）。"
                             "すべて正常なら終了コード 0")
    parser.add_argument("--store", metavar="DIR", help="データフォルダ（省略時は利用者ごとの既定のフォルダ）")
    parser.add_argument("--user", metavar="LOGIN", help="アカウントのログイン名")
    parser.add_argument("--format", choices=("text", "json"), help="出力の形式")
    subparsers = parser.add_subparsers(dest="command", metavar="コマンド", title="コマンド一覧", parser_class=Parser)
    register_all(subparsers)
    return parser


def _utf8_streams() -> None:
    """Windows consoles default to a legacy code page; Japanese needs UTF-8."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            reconfigure(encoding="utf-8", errors="replace")
        except (ValueError, OSError, TypeError, AttributeError):
            pass


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _no_display() -> bool:
    """On Linux without X11/Wayland Qt would abort the process; say so instead."""
    if not sys.platform.startswith("linux"):
        return False
    return not any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def _start_ui(args) -> int:
    if args.user or args.format:
        sys.stderr.write("画面の起動には --user や --format は使えません。コマンドを指定してください。\n")
        return 2
    store_dir = Path(args.store).expanduser() if args.store else None
    if _no_display():
        sys.stderr.write(
            "画面（ディスプレイ）がない環境のため、デスクトップ画面を起動できません。"
            "コマンドで操作するには「shakyo-desk --help」で一覧を確かめてください。\n"
        )
        return EXIT_UI_UNAVAILABLE
    try:
        from shakyo_desk.ui.app import run
    except ImportError as error:
        sys.stderr.write(
            "デスクトップ画面を起動できませんでした。画面部品（PySide6）のインストールを確かめてください。"
            f"コマンド（shakyo-desk --help）は使えます。（{type(error).__name__}）\n"
        )
        return EXIT_UI_UNAVAILABLE
    return int(run(store_dir, bool(args.demo)) or 0)


def _selftest(args) -> int:
    if args.command or args.demo or args.store or args.user:
        sys.stderr.write("--selftest は単独で使ってください（一時フォルダで確かめるので、データフォルダは使いません）。\n")
        return 2
    from shakyo_desk import selftest

    if sys.stdout is not None:
        return selftest.run(sys.stdout)
    # The windowed executable has no console: the report is shown in a window instead.
    from shakyo_desk.ui.selftest_ui import run_windowed

    return run_windowed(selftest.run)


def main(argv: list[str] | None = None) -> int:
    _utf8_streams()
    faults.install(_record_fault)  # a fault in one file of a sync run: a report, then the next file
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version and usage errors
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    try:
        if args.selftest:
            return _selftest(args)
        if args.command is None:
            return _start_ui(args)
        if args.demo:
            sys.stderr.write("--demo はコマンドと一緒には使えません。デモのデータを作るには demo コマンドを使ってください。\n")
            return 2
        handler = getattr(args, "handler", None)
        if handler is None:  # a command group without its subcommand
            sys.stderr.write(f"「{args.command}」の後に操作を指定してください。「{PROG} {args.command} --help」で一覧を確かめてください。\n")
            return 2
        result = handler(Context(args))
        return 0 if result is None else int(result)
    except UserError as error:
        sys.stderr.write(_one_line(error.message) + "\n")
        return error.exit_code
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): nothing more to say to it.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("中断しました。\n")
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - the last line of defence
        if os.environ.get(ENV_DEBUG):
            import traceback

            traceback.print_exc()
        sys.stderr.write(
            f"予期しないエラーが発生したため、処理を中止しました（{type(error).__name__}）。{_crash_report(error, args)}"
            f"{ENV_DEBUG}=1 を付けて実行した結果をサポート担当に伝えてください。\n"
        )
        return EXIT_UNEXPECTED


def _record_fault(error: BaseException, where: str) -> Path:
    from shakyo_desk import crash_report

    return crash_report.write_report(error, where=f"command line ({where})")


def _crash_report(error: BaseException, args) -> str:
    """A local report without personal data (crash_report.py); where it is, for the message."""
    from shakyo_desk import crash_report

    where = "desktop" if args.command is None and not args.selftest else f"command line ({args.command})"
    try:
        return f"詳しい記録：{crash_report.write_report(error, where=where)}　"
    except Exception:  # noqa: BLE001 - the report is a help, never a second failure
        return ""


if __name__ == "__main__":
    raise SystemExit(main())
