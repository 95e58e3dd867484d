"""`retention list|purge`: households closed longer than the retention period (admin only)."""

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.wareki import format_wareki


def register(subparsers) -> None:
    group = subparsers.add_parser("retention", help="保存期間を過ぎた記録の一覧と消去（管理者）",
                                  description="終結してから保存期間（設定の年数）を過ぎた世帯を一覧し、消去します。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser("list", help="保存期間を過ぎた世帯の一覧")
    add_store_options(p)
    p.set_defaults(handler=run_list)

    p = sub.add_parser("purge", help="世帯とその記録を消去します（元に戻せません。次の同期でほかの端末からも消えます）")
    p.add_argument("ids", metavar="ID", nargs="+", help="消去する世帯のID（retention list で表示されます）")
    p.add_argument("--yes", action="store_true", help="元に戻せないことを確かめたうえで実行する")
    add_store_options(p)
    p.set_defaults(handler=run_purge)


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services.retention import list_expired

    with ctx.open_store() as store:
        found = list_expired(store)
    lines = [f"保存期間を過ぎた世帯：{len(found)}世帯"] if found else ["保存期間を過ぎた世帯はありません。"]
    for e in found:
        state = "（削除済み）" if e.deleted else ""
        lines.append(f"{e.household_id}  {e.code}  {e.district}  最後の記録 {format_wareki(e.last_activity)}"
                     f"  {e.records}件{state}")
    ctx.emit({"households": [{"id": e.household_id, "code": e.code, "district": e.district,
                              "last_activity": e.last_activity, "deleted": e.deleted, "records": e.records}
                             for e in found]}, lines)
    return 0


def run_purge(ctx: Context) -> int:
    from shakyo_desk.store.services.retention import purge_households

    if not ctx.args.yes:
        raise InvalidInput("消去は元に戻せません。内容を retention list で確かめてから、--yes を付けて実行してください。")
    with ctx.open_store() as store:
        done = purge_households(store, ctx.args.ids)
    ctx.emit({"households": done.households, "records": done.records},
             f"{done.households}世帯（{done.records}件の記録）を消去しました。次の同期でほかの端末からも消えます。")
    return 0
