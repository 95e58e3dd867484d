"""`sync export|import`: bundle files on a USB stick or in a shared folder."""

from pathlib import Path

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.sync.bundle import BundleRefused


def register(subparsers) -> None:
    group = subparsers.add_parser("sync", help="同期ファイルの書き出しと取り込み",
                                  description="USBメモリや共有フォルダを使って、端末どうしでデータを同期します。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser("export", help="同期ファイルを書き出し、そのパスを表示します",
                       description="相手の端末がまだ持っていない変更を、暗号化・署名した同期ファイルに書き出します。")
    p.add_argument("--to", metavar="FOLDER", required=True, help="書き出し先のフォルダ（USBメモリなど）")
    p.add_argument("--for", dest="for_device", metavar="DEVICE", default=None,
                   help="相手の端末名（省略すると、地区を限らない全端末あて）")
    p.add_argument("--full", action="store_true", help="差分ではなく、持っている変更をすべて書き出します")
    add_store_options(p)
    p.set_defaults(handler=run_export)

    p = sub.add_parser("import", help="同期ファイル（またはフォルダ内のすべて）を取り込みます",
                       description="同期ファイルを取り込み、結果を表示します。取り込めなかったファイルがあれば終了コードは0以外です。")
    p.add_argument("paths", metavar="PATH", nargs="+", help="同期ファイルかフォルダ")
    add_store_options(p)
    p.set_defaults(handler=run_import)
    register_mailbox(sub)


def run_export(ctx: Context) -> int:
    from shakyo_desk.store.exchange.exporting import export_bundle

    with ctx.open_store() as store:
        result = export_bundle(store, Path(ctx.args.to).expanduser(), for_device=ctx.args.for_device,
                               full=ctx.args.full)
    ctx.emit({"path": str(result.path), "seq": result.seq, "changes": result.changes, "bytes": result.size,
              "recipients": result.recipients}, [
        str(result.path),
    ])
    if not ctx.json:
        ctx.note(f"変更{result.changes}件を書き出し、読み直して確かめました。USBメモリを取り外して構いません。")
    return 0


def run_import(ctx: Context) -> int:
    from shakyo_desk.store.exchange.importing import import_paths

    with ctx.open_store() as store:
        report = import_paths(store, [Path(p).expanduser() for p in ctx.args.paths])
        _rotate_if_due(ctx, store)
    lines = []
    for r in report.results:
        if r.status == "applied":
            line = f"○ {r.file}：{r.sender}の第{r.seq}号、変更{r.applied}件を取り込みました"
            if r.conflicts:
                line += f"（要確認{r.conflicts}件）"
            lines.append(line + "。")
        elif r.status in ("already", "own"):
            lines.append(f"－ {r.file}：{r.message}")
        else:
            lines.append(f"× {r.file}：{r.message}")
        lines.extend(f"  ！ {gap}" for gap in r.gaps)
        lines.extend(f"  ！ {note}" for note in r.notes)  # reporters' sheets it carried, left out
        if r.clone_detected:
            lines.append(f"  ！ {r.clone_notice}")
    if not report.results:
        lines.append("取り込む同期ファイルが見つかりませんでした。")
    lines.extend(report.notices)  # the drop box after the import (services/drops.py)
    ctx.emit({"results": [r.__dict__ for r in report.results], "applied": report.applied,
              "conflicts": report.conflicts, "refused": len(report.refused), "notices": report.notices}, lines)
    if report.refused:
        ctx.stderr.write(f"{len(report.refused)}件の同期ファイルを取り込めませんでした。理由は上の一覧のとおりです。\n")
        return BundleRefused.exit_code
    return 0


def _rotate_if_due(ctx: Context, store) -> None:
    """An import may have brought the disabling of an account that held the key on this
    installation: the key is rotated now (store/rekey.py), not only at the next unlock."""
    from shakyo_desk.cli_commands._base import ProgressLines
    from shakyo_desk.store.rekey import rotate_if_due

    _rotation, notices = rotate_if_due(store, ProgressLines(ctx.stderr))
    for notice in notices:
        ctx.note(notice)


def register_mailbox(sub) -> None:
    p = sub.add_parser("mailbox", help="共有フォルダで同期します（ほかの端末の分を取り込み、自分の分を書き出す）",
                       description="共有フォルダを郵便受けとして使います。ほかの端末の送信フォルダ（outbox-…）をすべて取り込み、"
                                   "この端末の送信フォルダに同期ファイルを書き出します。データフォルダは共有フォルダに置きません。")
    p.add_argument("--folder", metavar="DIR", required=True, help="共有フォルダ")
    add_store_options(p)
    p.set_defaults(handler=run_mailbox)


def run_mailbox(ctx: Context) -> int:
    from shakyo_desk.store.exchange.mailbox import exchange

    with ctx.open_store() as store:
        run = exchange(store, Path(ctx.args.folder).expanduser())
        _rotate_if_due(ctx, store)
    report = run.imported
    ctx.emit({"outbox": str(run.outbox), "exported": [str(e.path) for e in run.exported],
              "results": [r.__dict__ for r in report.results], "applied": report.applied,
              "conflicts": report.conflicts, "refused": len(report.refused),
              "waiting": [r.__dict__ for r in run.waiting], "not_for_us": run.not_ours},
             [f"取り込み：{len(report.results)}件（変更{report.applied}件、要確認{report.conflicts}件、"
              f"取り込めなかったもの{len(report.refused)}件）",
              *(f"× {r.file}：{r.message}" for r in report.refused),
              *(f"！ {r.file}：{note}" for r in report.results for note in r.notes),
              *report.notices,
              *(f"… {r.file}：{r.message}" for r in run.waiting),
              f"書き出し：{len(run.exported)}件 → {run.outbox}"])
    return BundleRefused.exit_code if report.refused else 0
