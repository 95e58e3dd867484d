"""`conflicts list|resolve`: the 要確認 queue from the command line."""

from shakyo_desk.cli_commands._base import Context, add_store_options


def register(subparsers) -> None:
    group = subparsers.add_parser("conflicts", help="同期で食い違った項目（要確認）",
                                  description="別々の端末で同じ項目に違う値が入ったものを一覧し、どれを残すか選びます。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser("list", help="要確認の一覧（食い違ったすべての値、入力者と日時）")
    add_store_options(p)
    p.set_defaults(handler=run_list)

    p = sub.add_parser("resolve", help="要確認を、番号で選んだ値に決めます")
    p.add_argument("id", metavar="ID", help="要確認のID（conflicts list で表示されます）")
    p.add_argument("--choose", metavar="N", type=int, required=True, help="残す値の番号（1から）")
    add_store_options(p)
    p.set_defaults(handler=run_resolve)


def _document(c) -> dict:
    return {
        "id": c.id, "entity": c.entity, "entity_id": c.entity_id, "field": c.field, "kind": c.kind,
        "household_id": c.household_id, "shown": c.shown, "opened_at": c.opened_at,
        "values": [{"n": ch.number, "value": ch.value, "authors": list(ch.authors), "devices": list(ch.devices),
                    "at": ch.at} for ch in c.choices],
    }


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.exchange.conflicts import list_conflicts

    with ctx.open_store() as store:
        found = list_conflicts(store)
    lines = [f"要確認：{len(found)}件"] if found else ["要確認の項目はありません。"]
    for c in found:
        lines.append(f"[{c.id}] {c.entity_label}の「{c.field_label}」")
        for ch in c.choices:
            lines.append(f"   {ch.number}. {ch.display}　（{'、'.join(sorted(set(ch.authors)))}／{ch.at[:16].replace('T', ' ')}）")
    ctx.emit({"conflicts": [_document(c) for c in found]}, lines)
    return 0


def run_resolve(ctx: Context) -> int:
    from shakyo_desk.store.exchange.conflicts import resolve_conflict

    with ctx.open_store() as store:
        resolve_conflict(store, ctx.args.id, ctx.args.choose)
    ctx.emit({"id": ctx.args.id, "chosen": ctx.args.choose},
             f"要確認 {ctx.args.id} を {ctx.args.choose} 番の値に決めました。次の同期でほかの端末にも伝わります。")
    return 0
