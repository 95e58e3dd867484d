"""`supporter add|list`: the 担い手 register (issue 19)."""

from dataclasses import asdict

from shakyo_desk.cli_commands._base import Context, add_store_options


def register(subparsers) -> None:
    group = subparsers.add_parser("supporter", help="担い手", description="地域の担い手（支え手）の台帳を扱います。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")
    p = sub.add_parser("add", help="担い手を登録し、そのIDを表示します", description="担い手を台帳に登録します。")
    p.add_argument("--name", metavar="NAME", required=True, help="名前")
    p.add_argument("--kana", metavar="TEXT", default="", help="ふりがな")
    p.add_argument("--district", metavar="NAME", default=None, help="地区（省略時は社協全体）")
    p.add_argument("--can", metavar="TEXT", default="", help="できること")
    p.add_argument("--role", metavar="TEXT", default="", help="いまの役割")
    p.add_argument("--contact-consent", action="store_true", help="連絡すること・名前を出すことに同意を得ている")
    p.add_argument("--since", metavar="YYYY-MM-DD", default=None, help="担い手になった日")
    add_store_options(p)
    p.set_defaults(handler=run_add)
    p = sub.add_parser("list", help="担い手の一覧", description="担い手と、地区ごとの人数と目標数を表示します。")
    p.add_argument("--district", metavar="NAME", default=None, help="地区")
    p.add_argument("--year", metavar="YYYY", type=int, default=None, help="目標数の年度（省略時は今年度）")
    add_store_options(p)
    p.set_defaults(handler=run_list)


def run_add(ctx: Context) -> int:
    from shakyo_desk.store.services.districts import find_district
    from shakyo_desk.store.services.supporters import add_supporter

    args = ctx.args
    with ctx.open_store() as store:
        district = find_district(store, args.district).id if args.district else None
        supporter_id = add_supporter(store, args.name, kana=args.kana, district_id=district, can_do=args.can,
                                     contact_consent=args.contact_consent, current_role=args.role, since=args.since)
    ctx.emit({"id": supporter_id}, supporter_id)
    return 0


def _fiscal_year() -> int:
    from shakyo_desk.domain import clock

    today = clock.today()
    return today.year if today.month >= 4 else today.year - 1


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services.districts import find_district
    from shakyo_desk.store.services.supporters import counts, list_supporters

    args = ctx.args
    year = args.year or _fiscal_year()
    with ctx.open_store() as store:
        district = find_district(store, args.district).id if args.district else None
        rows = list_supporters(store, district)
        tally = counts(store, year)
    lines = [f"{s.id}　{s.name}　{s.district or '社協全体'}　{s.can_do}{'　連絡可' if s.contact_consent else ''}"
             for s in rows] or ["担い手はまだ登録されていません。"]
    lines += [f"{c.district}：{c.supporters}人" + (f"（目標 {c.target}人）" if c.target is not None else "")
              for c in tally]
    ctx.emit({"supporters": [asdict(s) for s in rows], "fiscal_year": year,
              "counts": [asdict(c) for c in tally]}, lines)
    return 0
