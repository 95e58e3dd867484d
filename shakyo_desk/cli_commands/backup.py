"""`backup` (an encrypted backup file, admin) and `restore` (with the recovery key)."""

import argparse
from pathlib import Path

from shakyo_desk.cli_commands._base import Context, add_store_options, local_date
from shakyo_desk.domain import clock


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "backup", help="暗号化したバックアップファイルの作成（管理者）",
        description="データベースと鍵ファイルの一貫した写しを、暗号化した1つのバックアップファイルに書き出します。"
                    "書き込んだ後に読み直して確かめます。アプリを使っている最中でも作れます。",
    )
    p.add_argument("--to", metavar="FILE", required=True,
                   help="書き出すファイル（フォルダを指定すると「社協名_バックアップ_和暦の日付.shakyo-backup」を作ります）")
    add_store_options(p)
    p.set_defaults(handler=run_backup)

    p = subparsers.add_parser(
        "restore", help="バックアップファイルからの復元（復旧キーを使う）",
        description="バックアップファイルを、空のフォルダ（または同じ社協のデータを --replace で置き換えて）に復元します。"
                    "復旧キーは環境変数 SHAKYO_RECOVERY_KEY か端末から入力します。復元したデータは新しい同期の区切り（エポック）で始まります。",
    )
    p.add_argument("--from", dest="source", metavar="FILE", required=True, help="バックアップファイル")
    p.add_argument("--replace", action="store_true",
                   help="同じ社協のデータがあるフォルダで、そのデータを置き換える（今のデータは backups フォルダに残します）")
    group = p.add_argument_group("共通オプション")
    group.add_argument("--store", metavar="DIR", default=argparse.SUPPRESS,
                       help="復元先のデータフォルダ（省略時は利用者ごとの既定のフォルダ）")
    group.add_argument("--user", metavar="LOGIN", default=argparse.SUPPRESS,
                       help="このアカウントに新しいパスフレーズを設定する（環境変数 SHAKYO_PASSPHRASE か端末から）")
    group.add_argument("--format", choices=("text", "json"), default=argparse.SUPPRESS,
                       help="出力の形式（text / json、既定は text：日本語の文章）")
    p.set_defaults(handler=run_restore)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _wareki(value) -> str:
    from shakyo_desk.domain.wareki import format_wareki

    return format_wareki(local_date(value))


def run_backup(ctx: Context) -> int:
    from shakyo_desk.store import backup

    target = Path(ctx.args.to).expanduser()
    with ctx.open_store() as store:
        if target.is_dir():
            from shakyo_desk.store.services.council import get_settings

            target = target / backup.default_file_name(get_settings(store).name, clock.today())
        result = backup.create_backup(store, target.absolute())
    lines = [
        "バックアップを作成し、読み直して確かめました。",
        f"  ファイル：{result.path}",
        f"  大きさ：{_megabytes(result.size)}",
        f"  作成日：{_wareki(result.created_at)}",
    ]
    if result.drops:
        lines.append(f"  報告者から届いてまだ受け付けていない把握シートなどのファイル：{result.drops}件")
    if result.drops_left_out:
        lines.append(backup.LEFT_OUT.format(n=result.drops_left_out))
    lines.append("復元には印刷した復旧キーが必要です。ファイルは別の媒体（USBメモリなど）にも保管してください。")
    ctx.emit(
        {"path": str(result.path), "size": result.size, "database_size": result.database_size,
         "created_at": result.created_at, "council": result.council_name, "seconds": round(result.seconds, 3),
         "dropbox_files": result.drops, "dropbox_left_out": result.drops_left_out},
        lines,
    )
    return 0


def run_restore(ctx: Context) -> int:
    from shakyo_desk.store import backup
    from shakyo_desk.store.store import validate_login, validate_passphrase

    source = Path(ctx.args.source).expanduser()
    root = ctx.store_dir().absolute()
    backup.read_header(source)  # a file that is no backup is refused before any question
    login = getattr(ctx.args, "user", None)
    passphrase = None
    if login:
        login = validate_login(login)
    recovery_key = ctx.recovery_key()
    if login:
        passphrase = validate_passphrase(ctx.passphrase(confirm=True, prompt=f"「{login}」の新しいパスフレーズ（8文字以上）："))
    result = backup.restore_backup(source, root, recovery_key, replace=ctx.args.replace, login=login,
                                   new_passphrase=passphrase, kdf=ctx.kdf)
    lines = [
        "バックアップを復元しました。",
        f"  データフォルダ：{result.root}",
        f"  社協：{result.council_name}",
        f"  バックアップの作成日：{_wareki(result.backup_created_at)}",
        f"  同期の区切り（エポック）：{result.old_epoch} → {result.epoch}（バックアップ後に元の端末で記録した内容と混ざりません）",
    ]
    if result.kept_aside is not None:
        lines.append(f"  置き換える前のデータは「{result.kept_aside}」に残しています。")
    if login:
        lines.append(f"  アカウント「{login}」に新しいパスフレーズを設定しました。")
    if result.drops_restored:
        lines.append(f"  報告者から届いてまだ受け付けていなかった把握シート{result.drops_restored}件を戻しました。"
                     "コーディネーターか管理者がログインすると受け付けます。")
    if result.quarantine_restored:
        lines.append(f"  受け付けられずに dropbox/quarantine に移してあったファイル{result.quarantine_restored}件も戻しました。")
    lines.append("念のため「shakyo-desk check」でデータを検査してください。")
    ctx.emit(
        {"store": str(result.root), "council": result.council_name, "council_id": result.council_id,
         "backup_created_at": result.backup_created_at, "old_epoch": result.old_epoch, "epoch": result.epoch,
         "kept_aside": str(result.kept_aside) if result.kept_aside else None, "user": login,
         "dropbox_sheets": result.drops_restored, "dropbox_quarantine": result.quarantine_restored,
         "seconds": round(result.seconds, 3)},
        lines,
    )
    return 0
