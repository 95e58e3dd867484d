"""`consent add|withdraw|list`: a person's consent to share information (本人同意)."""

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.vocab import CONFERENCE_TYPES, CONSENT_METHODS
from shakyo_desk.domain.wareki import format_wareki

SCOPES = "|".join([*CONFERENCE_TYPES, "all"])


def register(subparsers) -> None:
    group = subparsers.add_parser("consent", help="本人同意（情報共有への同意）",
                                  description="世帯員の、会議での情報共有への同意を記録します。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser(
        "add", help="同意を記録し、そのIDを表示します",
        description="世帯員（--person）が、どの会議での情報共有に同意したか（--scope）を記録します。"
                    f"範囲は {SCOPES}（" + "、".join(f"{c}＝{label}" for c, label in CONFERENCE_TYPES.items())
                    + "、all＝すべて）。何度でも、またはカンマ区切りで指定できます。",
    )
    p.add_argument("--person", metavar="ID", required=True, help="世帯員のID")
    p.add_argument("--scope", metavar="SCOPE", action="append", required=True,
                   help=f"同意の範囲（{SCOPES}。何度でも、カンマ区切りでも指定できます）")
    p.add_argument("--agency", metavar="NAME", nargs="+", action="extend", default=[],
                   help="共有してよい関係機関の名前（いくつでも。省略時は機関を限らない同意）")
    p.add_argument("--method", metavar="METHOD", default="書面", help=f"同意の方法（{'|'.join(CONSENT_METHODS)}、既定は書面）")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="同意を得た日（省略時は今日）")
    p.add_argument("--note", metavar="TEXT", default="", help="メモ")
    add_store_options(p)
    p.set_defaults(handler=run_add)

    p = sub.add_parser("withdraw", help="同意の撤回を記録します",
                       description="同意が撤回された日を記録します。その日から、同意はなかったものとして扱います。")
    p.add_argument("id", metavar="ID", help="同意の記録のID")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="撤回の日（省略時は今日）")
    add_store_options(p)
    p.set_defaults(handler=run_withdraw)

    p = sub.add_parser("list", help="世帯員または世帯の同意の一覧",
                       description="世帯員（--person）または世帯（--household）の同意の記録を、新しい順に表示します。")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--person", metavar="ID", help="世帯員のID")
    target.add_argument("--household", metavar="ID", help="世帯のID")
    add_store_options(p)
    p.set_defaults(handler=run_list)


def run_add(ctx: Context) -> int:
    from shakyo_desk.store.services.consents import add_consent

    args = ctx.args
    with ctx.open_store() as store:
        consent_id = add_consent(store, args.person, args.scope, agencies=args.agency, method=args.method,
                                 given_on=args.date, note=args.note)
    ctx.emit({"id": consent_id}, consent_id)
    return 0


def run_withdraw(ctx: Context) -> int:
    from shakyo_desk.store.services.consents import withdraw_consent

    with ctx.open_store() as store:
        withdraw_consent(store, ctx.args.id, ctx.args.date)
    ctx.emit({"id": ctx.args.id, "withdrawn": True}, "同意の撤回を記録しました。")
    return 0


def consent_json(c) -> dict:
    return {"id": c.id, "person_id": c.person_id, "person": c.person_name, "household_id": c.household_id,
            "given_on": c.given_on, "scope": list(c.meeting_types), "agencies": list(c.agencies), "method": c.method,
            "recorded_by": c.recorded_by_name, "withdrawn_on": c.withdrawn_on, "note": c.note}


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services.consents import consents_of, consents_of_household

    with ctx.open_store() as store:
        rows = consents_of(store, ctx.args.person) if ctx.args.person else \
            consents_of_household(store, ctx.args.household)
    lines = [f"同意 {len(rows)}件" if rows else "同意の記録はありません"]
    for c in rows:
        withdrawn = f"　{format_wareki(c.withdrawn_on)}に撤回" if c.withdrawn_on else ""
        lines.append(f"  {format_wareki(c.given_on)}　{c.person_name}　{c.summary}{withdrawn}　ID：{c.id}")
    ctx.emit([consent_json(c) for c in rows], lines)
    return 0
