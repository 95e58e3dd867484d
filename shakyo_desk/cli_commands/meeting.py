"""`meeting add|list|show`: case conferences (支援会議, 重層的支援会議, ケース検討会, 地域ケア会議)."""

from shakyo_desk.cli_commands._base import Context, add_store_options
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.vocab import CONFERENCE_TYPES, LEGAL_BASES
from shakyo_desk.domain.wareki import format_wareki

TYPES = "|".join(CONFERENCE_TYPES)


def register(subparsers) -> None:
    group = subparsers.add_parser("meeting", help="会議（支援会議・重層的支援会議など）",
                                  description="会議（支援会議・重層的支援会議・ケース検討会など）を記録し、一覧と内容を表示します。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser(
        "add", help="会議を記録し、そのIDを表示します",
        description="会議を1件記録し、そのIDを表示します。種類（--type）は "
                    + "、".join(f"{c}＝{label}" for c, label in CONFERENCE_TYPES.items())
                    + "。構成員は「氏名/所属」の形で何人でも指定します。",
    )
    p.add_argument("--type", metavar="TYPE", required=True, help=f"会議の種類（{TYPES}）")
    p.add_argument("--date", metavar="YYYY-MM-DD", required=True, help="会議の日")
    p.add_argument("--household", metavar="ID", nargs="+", action="extend", default=[],
                   help="取り上げる世帯のID（いくつでも）")
    p.add_argument("--member", metavar="NAME/ORG", nargs="+", action="extend", default=[], required=True,
                   help="構成員「氏名/所属」（いくつでも）")
    p.add_argument("--question", metavar="TEXT", action="append", default=[],
                   help="会議で検討したいこと（--household の順に1つずつ）")
    p.add_argument("--legal-basis", metavar="BASIS", default=None,
                   help="支援会議の根拠法（" + "、".join(f"{c}＝{label}" for c, label in LEGAL_BASES.items())
                        + "。省略時は社会福祉法第106条の6）")
    p.add_argument("--place", metavar="TEXT", default="", help="場所")
    p.add_argument("--title", metavar="TEXT", default="", help="会議の名前（例：令和8年度 第3回 支援会議）")
    p.add_argument("--convenor", metavar="TEXT", default="", help="主催・招集者")
    p.add_argument("--agenda", metavar="TEXT", default="", help="議題")
    p.add_argument("--time", metavar="HH:MM[-HH:MM]", default="", help="時刻（例：14:00-15:30）")
    add_store_options(p)
    p.set_defaults(handler=run_add)

    p = sub.add_parser("list", help="会議の一覧", description="会議を新しい順に表示します。")
    p.add_argument("--type", metavar="TYPE", default=None, help=f"種類で絞り込み（{TYPES}）")
    p.add_argument("--household", metavar="ID", default=None, help="この世帯を取り上げた会議だけ")
    add_store_options(p)
    p.set_defaults(handler=run_list)

    p = sub.add_parser("show", help="会議の内容", description="会議の構成員、ケース、決まったことを表示します。")
    p.add_argument("id", metavar="ID", help="会議のID")
    add_store_options(p)
    p.set_defaults(handler=run_show)


def _times(text: str) -> tuple[str, str]:
    start, _, end = text.replace("〜", "-").replace("~", "-").partition("-")
    return start.strip(), end.strip()


def run_add(ctx: Context) -> int:
    from shakyo_desk.store.services.conferences import add_conference

    args = ctx.args
    if len(args.question) > len(args.household):
        raise InvalidInput("--question が --household より多く指定されています。世帯ごとに1つずつ、世帯と同じ順に指定してください。")
    questions = args.question + [""] * (len(args.household) - len(args.question))
    start, end = _times(args.time)
    with ctx.open_store() as store:
        conference_id = add_conference(
            store, args.type, args.date, members=args.member, cases=list(zip(args.household, questions)),
            legal_basis=args.legal_basis, title=args.title, place=args.place, convenor=args.convenor,
            agenda=args.agenda, start_time=start, end_time=end)
    ctx.emit({"id": conference_id}, conference_id)
    return 0


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services.conferences import list_conferences

    with ctx.open_store() as store:
        rows = list_conferences(store, meeting_type=ctx.args.type, household_id=ctx.args.household, limit=None)
    doc = [{"id": r.id, "type": r.meeting_type, "type_label": r.type_label, "legal_basis": r.legal_basis,
            "title": r.title, "date": r.held_on, "place": r.place, "cases": r.case_count, "members": r.member_count,
            "unacknowledged_members": r.unacknowledged_count} for r in rows]
    lines = [f"会議 {len(rows)}件" if rows else "会議の記録はありません"]
    lines += [f"  {format_wareki(r.held_on)}　{r.display_title}　ケース{r.case_count}件　構成員{r.member_count}人　ID：{r.id}"
              for r in rows]
    ctx.emit(doc, lines)
    return 0


def detail_json(c, missing) -> dict:
    return {
        "id": c.id, "type": c.meeting_type, "type_label": c.type_label, "legal_basis": c.legal_basis,
        "legal_basis_label": c.legal_basis_label, "title": c.title, "date": c.held_on, "start_time": c.start_time,
        "end_time": c.end_time, "place": c.place, "convenor": c.convenor, "agenda": c.agenda, "minutes": c.minutes,
        "disclosures": list(c.disclosures),
        "members": [{"id": m.id, "name": m.name, "organisation": m.organisation,
                     "confidentiality_acknowledged_on": m.confidentiality_acknowledged_on} for m in c.members],
        "cases": [{"id": k.id, "household_id": k.household_id, "code": k.household_code, "name": k.head_name,
                   "question": k.question, "support_policy": k.support_policy, "lead_agency": k.lead_agency,
                   "roles": [{"agency": r.agency, "role": r.role} for r in k.roles],
                   "next_review_on": k.next_review_on} for k in c.cases],
        "missing_consent": [{"person_id": m.person_id, "name": m.person_name, "household_id": m.household_id,
                             "consent_given_after_meeting_on": m.given_after} for m in missing],
    }


def run_show(ctx: Context) -> int:
    from shakyo_desk.store.services.conferences import get_conference, missing_consent, missing_consent_text

    with ctx.open_store() as store:
        c = get_conference(store, ctx.args.id)
        missing = missing_consent(store, c.id)
    lines = [f"{c.display_title}　{c.type_label}" + (f"（{c.legal_basis_label}）" if c.legal_basis else ""),
             f"  日時：{format_wareki(c.held_on)} {c.time_text}".rstrip()]
    for label, value in (("場所", c.place), ("主催", c.convenor), ("議題", c.agenda)):
        if value:
            lines.append(f"  {label}：{value}")
    lines.append(f"構成員 {len(c.members)}人")
    for m in c.members:
        mark = f"守秘義務確認 {format_wareki(m.confidentiality_acknowledged_on)}" if m.acknowledged else "守秘義務の確認なし"
        lines.append(f"  {m.label}　{mark}")
    lines.append(f"ケース {len(c.cases)}件")
    for k in c.cases:
        lines.append(f"  {k.household_code}　{k.head_name}　{k.question}".rstrip())
        for label, value in (("支援方針", k.support_policy), ("主担当", k.lead_agency),
                             ("次回の見直し", format_wareki(k.next_review_on))):
            if value:
                lines.append(f"      {label}：{value}")
        lines += [f"      役割：{r.agency}　{r.role}" for r in k.roles]
    none = [m for m in missing if not m.given_after]
    if none:
        lines.append("同意の記録がない方（重層的支援会議では資料を作れません）：" + "、".join(m.person_name for m in none))
    lines += [missing_consent_text(m) for m in missing if m.given_after]  # dated after the meeting
    ctx.emit(detail_json(c, missing), lines)
    return 0
