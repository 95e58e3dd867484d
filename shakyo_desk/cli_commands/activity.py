"""`activity add|list`: 地域活動 (issue 19)."""

from dataclasses import asdict

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.vocab import ACTIVITY_TYPES


def register(subparsers) -> None:
    group = subparsers.add_parser("activity", help="地域活動", description="地域懇談会・学習会・協議体などの地域活動を扱います。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")
    p = sub.add_parser("add", help="地域活動を記録し、そのIDを表示します", description="開いた地域活動を記録します。")
    p.add_argument("--type", metavar="TYPE", required=True, help=f"種類（{'、'.join(ACTIVITY_TYPES)}）")
    p.add_argument("--date", metavar="YYYY-MM-DD", required=True, help="開催日")
    p.add_argument("--district", metavar="NAME", default=None, help="地区（省略時は社協全体）")
    p.add_argument("--title", metavar="TEXT", default=None, help="名前（省略時は地区と種類から）")
    p.add_argument("--participants", metavar="N", type=int, default=None, help="参加者数")
    p.add_argument("--organisation", metavar="NAME", action="append", default=[], help="参加した団体（何度でも）")
    p.add_argument("--raised", metavar="TEXT", default="", help="出された意見・課題")
    p.add_argument("--followed", metavar="TEXT", default="", help="その後の動き")
    p.add_argument("--note", metavar="TEXT", default="", help="メモ")
    p.add_argument("--community-issue", metavar="TEXT", action="append", default=[],
                   help="この活動が示す地域課題の題名（台帳にあるもの。何度でも）")
    add_store_options(p)
    p.set_defaults(handler=run_add)
    p = sub.add_parser("list", help="地域活動の一覧", description="見てよい地区の地域活動を表示します。")
    p.add_argument("--district", metavar="NAME", default=None, help="地区")
    add_store_options(p)
    p.set_defaults(handler=run_list)


def run_add(ctx: Context) -> int:
    from shakyo_desk.domain.errors import InvalidInput
    from shakyo_desk.store.services.activities import add_activity
    from shakyo_desk.store.services.community_issues import list_issues
    from shakyo_desk.store.services.districts import find_district

    args = ctx.args
    with ctx.open_store() as store:
        district = find_district(store, args.district) if args.district else None
        by_title = {i.title: i.id for i in list_issues(store)}
        missing = [t for t in args.community_issue if t.strip() not in by_title]
        if missing:
            raise InvalidInput(f"地域課題「{missing[0]}」は台帳にありません。先に登録するか（community-issue add）、"
                               "台帳にある題名で指定してください。")
        title = args.title or f"{district.name if district else '社協全体'} {args.type}"
        activity_id = add_activity(store, args.type, args.date, title, district_id=district.id if district else None,
                                   participants=args.participants, organisations=args.organisation,
                                   raised=args.raised, followed=args.followed, note=args.note,
                                   issue_ids=[by_title[t.strip()] for t in args.community_issue])
    ctx.emit({"id": activity_id}, activity_id)
    return 0


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services.activities import list_activities
    from shakyo_desk.store.services.districts import find_district

    with ctx.open_store() as store:
        district = find_district(store, ctx.args.district).id if ctx.args.district else None
        rows = list_activities(store, district)
    lines = [f"{a.id}　{a.held_on.isoformat()}　{a.activity_type}　{a.title}　{a.district or '社協全体'}"
             + (f"　{a.participants}人" if a.participants is not None else "") for a in rows] \
        or ["地域活動はまだ記録されていません。"]
    ctx.emit({"activities": [asdict(a) for a in rows]}, lines)
    return 0
