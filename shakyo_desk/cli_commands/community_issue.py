"""`community-issue list|add|status`: the 地域課題 register (issue 18) with its status, response and
evidence counts (issue 19)."""

from dataclasses import asdict

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.vocab import COMMUNITY_ISSUE_STATUSES


def register(subparsers) -> None:
    group = subparsers.add_parser("community-issue", help="地域課題の台帳", description="地域課題の台帳を扱います。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")
    p = sub.add_parser("list", help="地域課題の一覧", description="地域課題と、それを示すケースを表示します。")
    p.add_argument("--out", metavar="FILE.pdf", default=None,
                   help="印刷用の地域課題の一覧（A4、内部資料）をこのPDFに書き出す")
    add_store_options(p)
    p.set_defaults(handler=run_list)
    p = sub.add_parser("add", help="地域課題を登録し、そのIDを表示します", description="地域課題を台帳に登録します。")
    p.add_argument("--title", metavar="TEXT", required=True, help="題名")
    p.add_argument("--district", metavar="NAME", default=None, help="地区")
    p.add_argument("--status", metavar="STATUS", default="把握", help=f"状況（{'、'.join(COMMUNITY_ISSUE_STATUSES)}）")
    p.add_argument("--response", metavar="TEXT", default="", help="社協と町の取り組み")
    add_store_options(p)
    p.set_defaults(handler=run_add)
    p = sub.add_parser("status", help="地域課題の状況と取り組みを記録します", description="地域課題の状況と、社協と町の取り組みを記録します。")
    p.add_argument("id", metavar="ID", help="地域課題のID")
    p.add_argument("--status", metavar="STATUS", required=True, help=f"状況（{'、'.join(COMMUNITY_ISSUE_STATUSES)}）")
    p.add_argument("--response", metavar="TEXT", default=None, help="社協と町の取り組み")
    add_store_options(p)
    p.set_defaults(handler=run_status)


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services.community_issues import list_issues

    if ctx.args.out:
        return _write_pdf(ctx)
    with ctx.open_store() as store:
        rows = list_issues(store)
    lines = [f"{i.id}　{i.title}　{i.district or '地区の指定なし'}　{i.status}　ケース{i.case_count}件"
             f"　地域活動{i.activity_count}件　不足資源{i.resource_count}件" for i in rows] \
        or ["地域課題はまだ登録されていません。"]
    ctx.emit({"issues": [asdict(i) for i in rows]}, lines)
    return 0


def run_add(ctx: Context) -> int:
    from shakyo_desk.store.services.community_issues import add_issue
    from shakyo_desk.store.services.districts import find_district

    with ctx.open_store() as store:
        district = find_district(store, ctx.args.district).id if ctx.args.district else None
        issue_id = add_issue(store, ctx.args.title, district_id=district, status=ctx.args.status,
                             response=ctx.args.response)
    ctx.emit({"id": issue_id}, issue_id)
    return 0


def run_status(ctx: Context) -> int:
    from shakyo_desk.store.services.community_issues import set_status

    with ctx.open_store() as store:
        set_status(store, ctx.args.id, ctx.args.status, ctx.args.response)
    ctx.emit({"id": ctx.args.id, "status": ctx.args.status}, f"地域課題の状況を「{ctx.args.status}」にしました。")
    return 0


def _write_pdf(ctx: Context) -> int:
    from pathlib import Path

    from shakyo_desk.domain.errors import InvalidInput, UserError
    from shakyo_desk.reports.community_issues_pdf import export_register
    from shakyo_desk.store.services.council import get_settings

    out = Path(ctx.args.out).expanduser()
    if out.is_dir():
        raise InvalidInput(f"「{out}」はフォルダです。書き出すPDFのファイル名を指定してください。")
    if not out.parent.is_dir():
        raise InvalidInput(f"書き出し先のフォルダ「{out.parent}」がありません。フォルダを確かめてください。")
    with ctx.open_store() as store:
        council = get_settings(store)
        try:
            _written, count = export_register(store, out, council=council.name,
                                              start_month=council.fiscal_year_start_month)
        except OSError as error:
            raise UserError(f"PDFを書き出せませんでした（{error.strerror or type(error).__name__}）。"
                            "書き出し先と空き容量を確かめてください。") from None
    ctx.emit({"path": str(out), "issues": count}, f"{out}（地域課題 {count}件）")
    return 0
