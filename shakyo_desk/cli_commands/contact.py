"""`contact add`: record an outreach contact (訪問・電話・来所… or a failed 不在 attempt)."""

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.vocab import CONTACT_METHODS, URGENCIES


def register(subparsers) -> None:
    group = subparsers.add_parser("contact", help="訪問記録の追加",
                                  description="アウトリーチ（訪問・電話・来所など）の記録を行います。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser(
        "add", help="訪問記録を追加し、そのIDを表示します",
        description="訪問記録を1件追加し、その記録のIDを表示します。世帯（--household）か、"
                    "地域の拠点（--place：店・郵便局など）のどちらか一方を指定します。",
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--household", metavar="ID", help="世帯のID")
    target.add_argument("--place", metavar="ID", help="地域の拠点のID（世帯ではなく拠点での見守り・聞き取り）")
    p.add_argument("--method", metavar="METHOD", required=True,
                   help=f"方法（{'、'.join(CONTACT_METHODS)}）")
    p.add_argument("--date", metavar="YYYY-MM-DD", required=True, help="訪問や電話をした日")
    p.add_argument("--note", metavar="TEXT", required=True, help="見たこと・聞いたこと")
    p.add_argument("--time", metavar="HH:MM", default="", help="時刻（例：14:30）")
    p.add_argument("--concern", metavar="CAT", action="append", default=[],
                   help="困りごとの分類（何度でも指定できます）")
    p.add_argument("--urgency", metavar="URGENCY", default="", help=f"緊急度（{'、'.join(URGENCIES)}）")
    p.add_argument("--next-date", metavar="YYYY-MM-DD", default=None, help="次回の予定日")
    p.add_argument("--next-action", metavar="TEXT", default="", help="次にすること・確かめること")
    p.add_argument("--with", dest="companions", metavar="NAME", action="append", default=[],
                   help="同行者（何度でも指定できます）")
    add_store_options(p)
    p.set_defaults(handler=run_add)


def run_add(ctx: Context) -> int:
    from shakyo_desk.store.services.contacts import add_contact

    args = ctx.args
    with ctx.open_store() as store:
        contact_id = add_contact(
            store, method=args.method, contact_date=args.date, household_id=args.household,
            place_id=args.place, seen_heard=args.note, concerns=args.concern, urgency=args.urgency,
            next_contact_date=args.next_date, next_action=args.next_action, contact_time=args.time,
            companions=args.companions,
        )
    ctx.emit({"id": contact_id}, contact_id)
    return 0
