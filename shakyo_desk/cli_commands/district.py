"""`district add|list`: register the 地区 a new council needs before its first household."""

from shakyo_desk.cli_commands._base import Context, add_store_options


def register(subparsers) -> None:
    group = subparsers.add_parser("district", help="地区の登録・一覧", description="地区（地区・行政区・集落）を登録、一覧します。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser("add", help="地区を登録し、そのIDを表示します",
                       description="地区を登録します。--parent を付けると、その地区の下の行政区・集落になります。")
    p.add_argument("--name", metavar="NAME", required=True, help="地区名")
    p.add_argument("--kana", metavar="KANA", default="", help="地区名のふりがな")
    p.add_argument("--parent", metavar="NAME", default=None, help="上位の地区名（またはID）")
    add_store_options(p)
    p.set_defaults(handler=run_add)

    p = sub.add_parser("list", help="地区の一覧（階層順）", description="登録されている地区を階層順に一覧にします。")
    add_store_options(p)
    p.set_defaults(handler=run_list)


def run_add(ctx: Context) -> int:
    from shakyo_desk.store.services.districts import add_district, find_district

    with ctx.open_store() as store:
        parent_id = find_district(store, ctx.args.parent).id if ctx.args.parent else None
        district_id = add_district(store, ctx.args.name, ctx.args.kana, parent_id)
    ctx.emit({"id": district_id}, district_id)
    return 0


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services.districts import list_districts

    with ctx.open_store() as store:
        rows = list_districts(store)
    ctx.emit(
        [{"id": d.id, "name": d.name, "kana": d.kana, "parent_id": d.parent_id, "path": d.path} for d in rows],
        [f"{'  ' * d.depth}{d.name}  {d.id}" for d in rows] or ["地区はまだ登録されていません。"],
    )
    return 0
