"""`sheet add`: file a 困っている家庭把握シート (any account, reporters included); `sheet assign`: hand it on;
`sheet status`: move it along the workflow (受付 → 確認中 → 対応中 / つないだ / 見守り → 終結)."""

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.vocab import SHEET_SETTINGS, SHEET_STATUSES, URGENCIES, WISH_FOR_HELP


def register(subparsers) -> None:
    group = subparsers.add_parser("sheet", help="困っている家庭把握シート",
                                  description="困っている家庭把握シートを提出します。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser(
        "add", help="把握シートを提出し、そのIDを表示します",
        description="把握シートを1件提出し、シートのIDを表示します。登録済みの世帯なら --household、"
                    "まだ登録されていない世帯なら --hint に手がかり（氏名・場所など）を書きます。",
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--household", metavar="ID", help="世帯のID")
    target.add_argument("--hint", metavar="TEXT", help="登録されていない世帯の手がかり（氏名・場所など）")
    p.add_argument("--concern", metavar="CATEGORY", action="append", required=True,
                   help="気になること（困りごとの分類、何度でも指定できます）")
    p.add_argument("--urgency", metavar="URGENCY", required=True, help=f"緊急度（{'、'.join(URGENCIES)}）")
    p.add_argument("--note", metavar="TEXT", required=True, help="気になった様子")
    p.add_argument("--setting", metavar="SETTING", default="", help=f"気づいた場面（{'、'.join(SHEET_SETTINGS)}）")
    p.add_argument("--wish", metavar="WISH", default="", help=f"本人の意思（{'|'.join(WISH_FOR_HELP)}）")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="気づいた日（省略時は今日）")
    add_store_options(p)
    p.set_defaults(handler=run_add)

    p = sub.add_parser("assign", help="把握シートの担当を決めます",
                       description="コーディネーターが把握シートを職員に渡し、担当にします（状況は変わりません）。")
    p.add_argument("id", metavar="SHEET_ID", help="把握シートのID")
    p.add_argument("--to", metavar="LOGIN", required=True, help="担当にする職員のログイン名")
    add_store_options(p)
    p.set_defaults(handler=run_assign)

    p = sub.add_parser("status", help="把握シートの状況を進めます",
                       description="把握シートの状況を変えます（変更は日付と変えた人とともに記録されます）。"
                                   "「つないだ」ときは --agency につないだ先の関係機関を指定します。")
    p.add_argument("id", metavar="SHEET_ID", help="把握シートのID")
    p.add_argument("--to", metavar="STATUS", required=True, help=f"新しい状況（{'、'.join(SHEET_STATUSES)}）")
    p.add_argument("--agency", metavar="NAME", default=None, help="つないだ先の関係機関（関係機関の一覧にある名前）")
    p.add_argument("--note", metavar="TEXT", default="", help="メモ")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="変更日（省略時は今日）")
    add_store_options(p)
    p.set_defaults(handler=run_status)


def run_assign(ctx: Context) -> int:
    from shakyo_desk.store.services.cases import staff_by_login
    from shakyo_desk.store.services.sheets import assign_sheet

    with ctx.open_store() as store:
        assign_sheet(store, ctx.args.id, staff_by_login(store, ctx.args.to))
    ctx.emit({"id": ctx.args.id, "assignee": ctx.args.to}, f"把握シートの担当を「{ctx.args.to}」にしました。")
    return 0


def run_status(ctx: Context) -> int:
    from shakyo_desk.domain.errors import InvalidInput
    from shakyo_desk.store.services.cases import agency_by_name
    from shakyo_desk.store.services.sheets import change_status

    args = ctx.args
    status = (args.to or "").strip()
    if status not in SHEET_STATUSES:
        raise InvalidInput(f"状況「{status}」はありません。--to には{'・'.join(SHEET_STATUSES)}のどれかを指定してください。")
    with ctx.open_store() as store:
        agency_id = agency_by_name(store, args.agency) if args.agency else None
        change_status(store, args.id, status, changed_on=args.date, agency_id=agency_id, note=args.note)
    ctx.emit({"id": args.id, "status": status}, f"把握シートの状況を「{status}」にしました。")
    return 0


def run_add(ctx: Context) -> int:
    from shakyo_desk.store.services.sheets import file_sheet

    args = ctx.args
    with ctx.open_store() as store:
        sheet_id = file_sheet(
            store, household_id=args.household, household_hint=args.hint or "", concerns=args.concern,
            urgency=args.urgency, situation=args.note, setting=args.setting, wish_for_help=args.wish,
            noticed_on=args.date,
        )
    ctx.emit({"id": sheet_id}, sheet_id)
    return 0
