"""`handout`: the numbered conference handout (会議資料), one copy per member."""

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.errors import InvalidInput


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "handout", help="会議資料（PDF）の作成",
        description="会議の構成員ごとに番号付きの会議資料を作り、配布資料の台帳に記録します。"
                    "重層的支援会議で本人の同意がないケースがあるときは作成せず、終了コード1で終わります。")
    p.add_argument("--meeting", metavar="ID", required=True, help="会議のID")
    p.add_argument("--out", metavar="FILE.pdf", required=True,
                   help="書き出すPDF（--separate のときは書き出すフォルダ）")
    p.add_argument("--separate", action="store_true", help="構成員ごとに別のPDFファイルにする")
    add_store_options(p)
    p.set_defaults(handler=run)


def run(ctx: Context) -> int:
    from pathlib import Path

    from shakyo_desk.reports.handouts import export_handout

    out = Path(ctx.args.out).expanduser()
    if ctx.args.separate:
        if not out.is_dir():
            raise InvalidInput(f"書き出し先のフォルダ「{out}」がありません。フォルダを確かめてください。")
    elif out.is_dir():
        raise InvalidInput(f"「{out}」はフォルダです。書き出すPDFのファイル名を指定してください。")
    elif not out.parent.is_dir():
        raise InvalidInput(f"書き出し先のフォルダ「{out.parent}」がありません。フォルダを確かめてください。")
    with ctx.open_store() as store:
        done = export_handout(store, ctx.args.meeting, out, separate=ctx.args.separate)
    last = done.first_number + done.copies - 1
    ctx.emit({"paths": [str(p) for p in done.paths], "copies": done.copies,
              "copy_numbers": list(range(done.first_number, last + 1))},
             [f"会議資料を{done.copies}部作りました（配布番号 {done.first_number}〜{last}）。"]
             + [f"  {p}" for p in done.paths])
    return 0
