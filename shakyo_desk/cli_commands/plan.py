"""`plan add`: a goal with its actions on a case's current 支援プラン (issue 18)."""

from shakyo_desk.cli_commands._base import Context, add_store_options


def register(subparsers) -> None:
    group = subparsers.add_parser("plan", help="支援プラン", description="支援ケースのプランに目標を加えます。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")
    p = sub.add_parser(
        "add", help="目標と役割をプランに加え、目標のIDを表示します",
        description="ケースの今のプランに目標を1つ加えます（プランがなければ第1版を作ります）。"
                    "役割は「だれが/何をする」の形で、だれは関係機関の名前・職員のログイン名、"
                    "または「住民:氏名」「家族:氏名」「本人」と書きます。")
    p.add_argument("id", metavar="ID", help="ケースのID")
    p.add_argument("--goal", metavar="TEXT", required=True, help="目標")
    p.add_argument("--person", metavar="PERSON_ID", default=None, help="世帯員のID（省略時は世帯全体の目標）")
    p.add_argument("--action", metavar="WHO/WHAT", action="append", default=[], help="役割（何度でも）")
    p.add_argument("--due", metavar="YYYY-MM-DD", default=None, help="役割の期限")
    p.add_argument("--review", metavar="YYYY-MM-DD", required=True, help="見直し日")
    p.add_argument("--missing", metavar="TEXT", action="append", default=[], help="不足している社会資源（何度でも）")
    add_store_options(p)
    p.set_defaults(handler=run_add)


def run_add(ctx: Context) -> int:
    from shakyo_desk.store.services.case_plans import action_from_text, add_goal

    a = ctx.args
    actions = [action_from_text(text, a.due) for text in a.action]
    with ctx.open_store() as store:
        goal_id = add_goal(store, a.id, a.goal, a.review, person_id=a.person, actions=actions, missing=a.missing)
    ctx.emit({"id": goal_id}, goal_id)
    return 0
