"""`handout`: the numbered conference handout (会議資料), one copy per member."""

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.errors import InvalidInput


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "handout", help="会議資料（PDF）の作成",
        description="会議の構成員ごとに番号付きの会議資料を作り、配布資料の台帳に記録します。"
                    "重層的支援会議で本人の同意がないケースがあるときは作成せず、終了コード1で終わります。"
                    "構成員ごとの資料には、その方が検討に加わるケースで、本人の同意の共有先に所属が入っているものだけを載せます。")
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
    from shakyo_desk.store.services.conference_consent import uncovered_seats

    with ctx.open_store() as store:
        done = export_handout(store, ctx.args.meeting, out, separate=ctx.args.separate)
        uncovered = uncovered_seats(store, ctx.args.meeting)  # (issue 18) their copies went without the case
    last = done.first_number + done.copies - 1
    ctx.emit({"paths": [str(p) for p in done.paths], "copies": done.copies,
              "copy_numbers": list(range(done.first_number, last + 1)),
              "left_out": [{"member_id": u.member_id, "member": u.member_label, "case_id": u.case_id,
                            "household_code": u.household_code} for u in uncovered]},
             [f"会議資料を{done.copies}部作りました（配布番号 {done.first_number}〜{last}）。"]
             + [f"  {p}" for p in done.paths] + [f"注意：{u.text}" for u in uncovered])
    return 0
