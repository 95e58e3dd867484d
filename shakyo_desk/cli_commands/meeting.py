"""`meeting add|list|show`: case conferences (支援会議, 重層的支援会議, ケース検討会, 地域ケア会議).
Issue 18: `meeting request` (受付表), `meeting requests` (those waiting), `meeting add-case` /
`remove-case` on a recorded meeting, `meeting collect` (the requests waiting until its date), `meeting add … --topic` (a 支援会議 without a household),
`meeting appoint` (委嘱: a standing confidentiality pledge for a period)."""

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
    p.add_argument("--topic", metavar="TEXT", default="",
                   help="検討するテーマ（地域資源の検討など。支援会議・地域ケア会議は世帯なしで記録できます）")
    p.add_argument("--body", metavar="TEXT", default="",
                   help="既存の会議体として開くときの名前（例：地域ケア会議を支援会議として開く）")
    add_store_options(p)
    p.set_defaults(handler=run_add)

    p = sub.add_parser(
        "request", help="ケースを会議に検討依頼します（受付表）。依頼のIDを表示します",
        description="支援ケースを会議の種類を決めて検討に出します（受付表）。会議は、会議の日までに出された依頼を取り上げます。")
    p.add_argument("--case", metavar="ID", required=True, help="支援ケースのID")
    p.add_argument("--type", metavar="TYPE", required=True, help=f"会議の種類（{TYPES}）")
    p.add_argument("--question", metavar="TEXT", required=True, help="会議で検討したいこと")
    p.add_argument("--agencies", metavar="NAME", nargs="+", action="extend", default=[],
                   help="関わっている関係機関（いくつでも）")
    p.add_argument("--needed", metavar="NAME", nargs="+", action="extend", default=[],
                   help="今後関わりが必要となる機関（いくつでも）")
    p.add_argument("--person", metavar="PERSON_ID", default=None, help="本人（同意を確かめる方）の世帯員ID")
    p.add_argument("--meeting", metavar="MEETING_ID", default=None,
                   help="依頼先の会議（これから開く会議。コーディネーターの依頼はその会議にすぐ入ります）")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="依頼の日（省略時は今日）")
    add_store_options(p)
    p.set_defaults(handler=run_request)

    p = sub.add_parser("requests", help="受付中の検討依頼の一覧",
                       description="まだ会議に入っていない検討依頼（受付表）を古い順に表示します。")
    p.add_argument("--type", metavar="TYPE", default=None, help=f"会議の種類で絞り込み（{TYPES}）")
    p.add_argument("--until", metavar="YYYY-MM-DD", default=None, help="この日（会議の日）までに出された依頼だけ")
    add_store_options(p)
    p.set_defaults(handler=run_requests)

    p = sub.add_parser("add-case", help="記録済みの会議にケースを加えます",
                       description="記録済みの会議に、支援ケース（--case）か検討依頼（--request）を加えます。"
                                   "--member を指定すると、そのケースはその構成員だけで検討します（指定しなければ全員）。")
    p.add_argument("meeting", metavar="MEETING_ID", help="会議のID")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--case", metavar="ID", default=None, help="支援ケースのID")
    which.add_argument("--request", metavar="ID", default=None, help="検討依頼（受付表）のID")
    p.add_argument("--member", metavar="NAME/ORG", nargs="+", action="extend", default=[],
                   help="このケースだけの構成員「氏名/所属」（いくつでも。会議にいない方は構成員に加わります）")
    p.add_argument("--question", metavar="TEXT", default=None, help="会議で検討したいこと（依頼のものを使わないとき）")
    p.add_argument("--person", metavar="PERSON_ID", default=None, help="本人（同意を確かめる方）の世帯員ID")
    add_store_options(p)
    p.set_defaults(handler=run_add_case)

    p = sub.add_parser("collect", help="受付中の検討依頼を会議に取り込みます",
                       description="会議の日までに出された、同じ種類の会議への受付中の検討依頼を、古い順にすべて会議に加えます。"
                                   "すでに取り上げている世帯の依頼は受付中のまま残ります。")
    p.add_argument("meeting", metavar="MEETING_ID", help="会議のID")
    add_store_options(p)
    p.set_defaults(handler=run_collect)

    p = sub.add_parser("remove-case", help="会議からケースを外します",
                       description="記録済みの会議からケースを外します。検討依頼から入ったケースは、依頼が受付中に戻ります。")
    p.add_argument("meeting", metavar="MEETING_ID", help="会議のID")
    p.add_argument("--case", metavar="ID", required=True, help="支援ケースのID（世帯のIDでも指定できます）")
    add_store_options(p)
    p.set_defaults(handler=run_remove_case)

    p = sub.add_parser("appoint", help="構成員の委嘱（守秘義務の誓約を期間で記録）",
                       description="構成員を期間を決めて委嘱し、守秘義務の誓約を1回だけ記録します。"
                                   "期間内の同じ種類の会議では、会議ごとの守秘義務の確認がなくても確認済みとして扱います。")
    p.add_argument("--name", metavar="NAME", required=True, help="氏名")
    p.add_argument("--org", metavar="ORG", default="", help="所属")
    p.add_argument("--type", metavar="TYPE", required=True, help=f"会議の種類（{TYPES}）")
    p.add_argument("--from", dest="valid_from", metavar="YYYY-MM-DD", required=True, help="委嘱の開始日")
    p.add_argument("--to", dest="valid_to", metavar="YYYY-MM-DD", required=True, help="委嘱の終了日")
    p.add_argument("--pledge-on", metavar="YYYY-MM-DD", required=True, help="守秘義務を誓約した日")
    add_store_options(p)
    p.set_defaults(handler=run_appoint)

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
            agenda=args.agenda, start_time=start, end_time=end, topic=args.topic, body=args.body)
    ctx.emit({"id": conference_id}, conference_id)
    return 0


def run_request(ctx: Context) -> int:
    from shakyo_desk.store.services.meeting_requests import request_meeting

    args = ctx.args
    with ctx.open_store() as store:
        request_id = request_meeting(store, args.case, args.type, args.question, requested_on=args.date,
                                     agencies_involved=args.agencies, agencies_needed=args.needed,
                                     person_id=args.person, conference_id=args.meeting)
    ctx.emit({"id": request_id}, request_id)
    return 0


def request_json(r) -> dict:
    return {"id": r.id, "case_id": r.case_id, "household_id": r.household_id, "code": r.household_code,
            "name": r.head_name, "district": r.district, "type": r.meeting_type, "type_label": r.type_label,
            "question": r.question, "requested_on": r.requested_on, "agencies_involved": list(r.agencies_involved),
            "agencies_needed": list(r.agencies_needed), "person_id": r.person_id, "meeting_id": r.conference_id,
            "withdrawn_on": r.withdrawn_on, "state": r.state_label}


def run_requests(ctx: Context) -> int:
    from shakyo_desk.store.services.meeting_requests import pending_requests

    with ctx.open_store() as store:
        rows = pending_requests(store, ctx.args.type, until=ctx.args.until)
    lines = [f"受付中の検討依頼 {len(rows)}件" if rows else "受付中の検討依頼はありません"]
    lines += [f"  {format_wareki(r.requested_on)}　{r.type_label}　{r.household_code}　{r.head_name}　{r.question}"
              f"　ID：{r.id}" for r in rows]
    ctx.emit([request_json(r) for r in rows], lines)
    return 0


def run_add_case(ctx: Context) -> int:
    from shakyo_desk.store.services.conferences import add_case

    args = ctx.args
    with ctx.open_store() as store:
        case_key = add_case(store, args.meeting, case_id=args.case, request_id=args.request, members=args.member,
                            question=args.question, person_id=args.person)
    ctx.emit({"id": case_key, "meeting_id": args.meeting}, case_key)
    return 0


def run_collect(ctx: Context) -> int:
    from shakyo_desk.store.services.conferences import collect_requests

    with ctx.open_store() as store:
        added = collect_requests(store, ctx.args.meeting)
    ctx.emit({"meeting_id": ctx.args.meeting, "added": added},
             f"検討依頼を{len(added)}件、会議に加えました。" if added else "会議に加える検討依頼はありませんでした。")
    return 0


def run_remove_case(ctx: Context) -> int:
    from shakyo_desk.store.services.conferences import remove_case

    with ctx.open_store() as store:
        remove_case(store, ctx.args.meeting, ctx.args.case)
    ctx.emit({"meeting_id": ctx.args.meeting, "removed": ctx.args.case}, "会議からケースを外しました。")
    return 0


def run_appoint(ctx: Context) -> int:
    from shakyo_desk.store.services.appointments import add_appointment

    args = ctx.args
    with ctx.open_store() as store:
        appointment_id = add_appointment(store, args.name, args.org, args.type, args.valid_from, args.valid_to,
                                         args.pledge_on)
    ctx.emit({"id": appointment_id}, appointment_id)
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
        "topic": c.topic, "body": c.body,
        "legal_basis_label": c.legal_basis_label, "title": c.title, "date": c.held_on, "start_time": c.start_time,
        "end_time": c.end_time, "place": c.place, "convenor": c.convenor, "agenda": c.agenda, "minutes": c.minutes,
        "disclosures": list(c.disclosures),
        "members": [{"id": m.id, "name": m.name, "organisation": m.organisation,
                     "confidentiality_acknowledged_on": m.confidentiality_acknowledged_on,
                     "appointed_until": m.appointed_until} for m in c.members],
        "cases": [{"id": k.id, "household_id": k.household_id, "code": k.household_code, "name": k.head_name,
                   "question": k.question, "support_policy": k.support_policy, "lead_agency": k.lead_agency,
                   "roles": [{"agency": r.agency, "role": r.role} for r in k.roles],
                   "next_review_on": k.next_review_on, "case_id": k.case_id, "person_id": k.person_id,
                   "request_id": k.request_id, "member_ids": list(k.member_ids),
                   "members_limited": k.limited} for k in c.cases],
        "missing_consent": [{"person_id": m.person_id, "name": m.person_name, "household_id": m.household_id,
                             "consent_given_after_meeting_on": m.given_after} for m in missing],
    }


def run_show(ctx: Context) -> int:
    from shakyo_desk.store.services.conference_consent import missing_consent, missing_consent_text
    from shakyo_desk.store.services.conferences import get_conference

    with ctx.open_store() as store:
        c = get_conference(store, ctx.args.id)
        missing = missing_consent(store, c.id)
    lines = [f"{c.display_title}　{c.type_label}" + (f"（{c.legal_basis_label}）" if c.legal_basis else ""),
             f"  日時：{format_wareki(c.held_on)} {c.time_text}".rstrip()]
    for label, value in (("会議体", c.body), ("テーマ", c.topic), ("場所", c.place), ("主催", c.convenor),
                         ("議題", c.agenda)):
        if value:
            lines.append(f"  {label}：{value}")
    lines.append(f"構成員 {len(c.members)}人")
    for m in c.members:
        if m.confidentiality_acknowledged_on:
            mark = f"守秘義務確認 {format_wareki(m.confidentiality_acknowledged_on)}"
        elif m.appointed_until:
            mark = f"委嘱中（{format_wareki(m.appointed_until)}まで・守秘義務の誓約済み）"
        else:
            mark = "守秘義務の確認なし"
        lines.append(f"  {m.label}　{mark}")
    lines.append(f"ケース {len(c.cases)}件")
    for k in c.cases:
        lines.append(f"  {k.household_code}　{k.head_name}　{k.question}".rstrip())
        if k.limited:
            seated = [m.label for m in c.members if m.id in k.member_ids]
            lines.append(f"      このケースの構成員：{'、'.join(seated) or 'なし（構成員を選び直してください）'}")
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
