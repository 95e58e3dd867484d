"""`household add|list|show|set`: the 世帯 register from the command line."""

from shakyo_desk.cli_commands._base import Context, add_store_options, local_date
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.domain import clock

# FIELD=VALUE names accepted by `household set` → (service field, Japanese label).
SETTABLE = {
    "phone": ("phone", "電話番号"),
    "address": ("address", "住所"),
    "notes": ("notes", "メモ"),
    "housing_type": ("housing_type", "住まいの種類"),
    "welfare_commissioner": ("welfare_commissioner", "民生委員"),
    "watch_level": ("watch_level", "見守りの程度"),
    "watch_interval_days": ("watch_interval_days", "見守りの間隔（日）"),
    "district": ("district_id", "地区"),
    "flags": ("flags", "世帯の特徴"),
}


def register(subparsers) -> None:
    group = subparsers.add_parser("household", help="世帯の登録・一覧・表示・変更",
                                  description="世帯（と最初の世帯員）の登録、一覧、表示、変更を行います。")
    add_store_options(group)
    sub = group.add_subparsers(dest="subcommand", metavar="操作", title="操作")

    p = sub.add_parser("add", help="世帯を登録し、そのIDを表示します",
                       description="世帯を最初の世帯員（世帯主）とともに登録し、世帯のIDを表示します。")
    p.add_argument("--district", metavar="NAME", required=True, help="地区名（またはID）")
    p.add_argument("--name", metavar="NAME", required=True, help="世帯主の氏名")
    p.add_argument("--kana", metavar="KANA", default="", help="世帯主のフリガナ")
    p.add_argument("--address", metavar="TEXT", default=None, help="住所")
    p.add_argument("--phone", metavar="TEXT", default=None, help="電話番号")
    p.add_argument("--notes", metavar="TEXT", default=None, help="メモ")
    p.add_argument("--flags", metavar="A,B", default=None, help="世帯の特徴（読点またはカンマ区切り）")
    add_store_options(p)
    p.set_defaults(handler=run_add)

    p = sub.add_parser("list", help="見ることのできる世帯の一覧",
                       description="このアカウントが見ることのできる世帯を一覧にします。")
    p.add_argument("--search", metavar="TEXT", default="", help="氏名・フリガナ・住所・電話番号で絞り込み")
    p.add_argument("--district", metavar="NAME", default=None, help="地区で絞り込み")
    p.add_argument("--limit", metavar="N", type=int, default=500, help="最大件数（0で制限なし、既定500）")
    add_store_options(p)
    p.set_defaults(handler=run_list)

    p = sub.add_parser("show", help="1つの世帯の詳しい内容",
                       description="世帯の内容と世帯員、訪問記録、把握シート、未解決の要確認を表示します。")
    p.add_argument("id", metavar="ID", help="世帯のID")
    add_store_options(p)
    p.set_defaults(handler=run_show)

    p = sub.add_parser(
        "set", help="世帯の項目を変更します（FIELD=VALUE）",
        description="世帯の項目を変更します。指定できる項目：" + "、".join(
            f"{name}（{label}）" for name, (_, label) in SETTABLE.items())
        + "。flags はカンマ区切り、空の値（例：phone=）で消去します。",
    )
    p.add_argument("id", metavar="ID", help="世帯のID")
    p.add_argument("assignments", metavar="FIELD=VALUE", nargs="+", help="変更する項目と値")
    add_store_options(p)
    p.set_defaults(handler=run_set)


def split_list(value: str | None) -> list[str]:
    if not value:
        return []
    return [part.strip() for part in value.replace("、", ",").split(",") if part.strip()]


# ---- add -------------------------------------------------------------------------

def run_add(ctx: Context) -> int:
    from shakyo_desk.store.services.districts import find_district
    from shakyo_desk.store.services.households import add_household

    args = ctx.args
    fields = {key: getattr(args, key) for key in ("address", "phone", "notes") if getattr(args, key) is not None}
    if args.flags is not None:
        fields["flags"] = split_list(args.flags)
    with ctx.open_store() as store:
        district = find_district(store, args.district)
        household_id = add_household(store, district.id, args.name, args.kana, **fields)
    ctx.emit({"id": household_id}, household_id)
    return 0


# ---- list ------------------------------------------------------------------------

def row_json(row) -> dict:
    return {
        "id": row.id, "code": row.code, "name": row.head_name, "kana": row.head_kana,
        "district": row.district, "district_id": row.district_id, "address": row.address, "phone": row.phone,
        "flags": list(row.flags), "members": row.member_count,
    }


def run_list(ctx: Context) -> int:
    from shakyo_desk.store.services.districts import find_district
    from shakyo_desk.store.services.households import list_households

    args = ctx.args
    if args.limit < 0:
        raise InvalidInput("--limit には0以上の数を指定してください。")
    with ctx.open_store() as store:
        district_id = find_district(store, args.district).id if args.district else None
        rows = list_households(store, search=args.search, district_id=district_id, limit=args.limit or None)
    if ctx.json:
        ctx.emit([row_json(r) for r in rows])
        return 0
    if not rows:
        ctx.emit(None, "該当する世帯はありません。")
        return 0
    lines = [f"世帯 {len(rows)}件" + ("（上限まで表示。--limit で変えられます）" if args.limit and len(rows) >= args.limit else "")]
    for r in rows:
        name = f"{r.head_name}（{r.head_kana}）" if r.head_kana else r.head_name
        parts = [r.code, name, r.district or "地区なし", r.address, r.phone, f"{r.member_count}人"]
        lines.append("  " + "  ".join(p for p in parts if p))
        lines.append(f"      ID: {r.id}")
    ctx.emit(None, lines)
    return 0


# ---- show ------------------------------------------------------------------------

def person_json(p) -> dict:
    return {
        "id": p.id, "name": p.name, "kana": p.kana, "sex": p.sex, "birth_date": p.birth_date,
        "age_band": p.age_band, "relation": p.relation, "flags": list(p.flags), "roles": list(p.roles),
        "wishes": p.wishes, "notes": p.notes,
    }


def detail_json(h) -> dict:
    return {
        "id": h.id, "code": h.code, "name": h.head_name, "district": h.district, "district_id": h.district_id,
        "address": h.address, "phone": h.phone, "housing_type": h.housing_type, "flags": list(h.flags),
        "welfare_commissioner": h.welfare_commissioner,
        "staff_main_id": h.staff_main_id, "staff_main": h.staff_main,
        "staff_sub_id": h.staff_sub_id, "staff_sub": h.staff_sub,
        "watch_level": h.watch_level, "watch_interval_days": h.watch_interval_days, "notes": h.notes,
        "created_at": h.created_at, "updated_at": h.updated_at,
        "members": [person_json(p) for p in h.members],
        # Filled by ``run_show`` from the field-record and sync services.
        "contacts": [], "sheets": [], "conflicts": [], "follow_ups": [], "referrals": [],
    }


def contact_json(c) -> dict:
    return {
        "id": c.id, "date": c.contact_date, "time": c.contact_time, "method": c.method, "failed": c.failed,
        "staff_id": c.staff_id, "staff": c.staff_name, "companions": list(c.companions),
        "place_id": c.place_id, "place": c.place_name, "note": c.seen_heard, "concerns": list(c.concerns),
        "urgency": c.urgency, "isolation": c.isolation, "next_action": c.next_action,
        "next_contact_date": c.next_contact_date, "created_at": c.created_at,
    }


def sheet_json(sh) -> dict:
    return {
        "id": sh.id, "noticed_on": sh.noticed_on, "noticed_by_id": sh.noticed_by, "noticed_by": sh.noticed_by_name,
        "section": sh.section, "setting": sh.setting, "source": sh.source, "household_hint": sh.household_hint,
        "person_of_concern": sh.person_of_concern, "concerns": list(sh.concerns), "urgency": sh.urgency,
        "wish_for_help": sh.wish_for_help, "situation": sh.situation, "status": sh.status,
        "created_at": sh.created_at,
        "history": [{"status": h.status, "changed_on": h.changed_on, "by": h.by, "agency": h.agency, "note": h.note,
                     "recorded_at": h.recorded_at} for h in sh.history],
    }


def referral_json(r) -> dict:
    return {
        "id": r.id, "agency_id": r.agency_id, "agency": r.agency, "sheet_id": r.sheet_id,
        "referred_on": r.referred_on, "reason": r.reason, "outcome": r.outcome, "outcome_note": r.outcome_note,
        "follow_up_on": r.follow_up_on,
    }


def follow_ups(referrals, due, reviews=()) -> list[dict]:
    """What is still to be done for the household, earliest first: the next 見守り contact,
    referrals still 確認中 with a date to check on them, and the review its last conference set."""
    items = [{"kind": "review", "date": r.next_review_on, "what": f"{r.type_label}で決めた支援の見直し",
              "last_contact": None, "referral_id": None, "agency": r.lead_agency} for r in reviews]
    if due is not None:
        items.append({"kind": "visit", "date": due.due, "what": due.next_action or "見守りの訪問",
                      "last_contact": due.last_contact, "referral_id": None, "agency": ""})
    for r in referrals:
        if r.outcome == "確認中" and r.follow_up_on is not None:
            items.append({"kind": "referral", "date": r.follow_up_on, "what": f"{r.agency}へのつなぎの結果を確認",
                          "last_contact": None, "referral_id": r.id, "agency": r.agency})
    return sorted(items, key=lambda item: item["date"])


def detail_text(h) -> list[str]:
    lines = [f"世帯 {h.code}　{h.head_name}", f"  ID：{h.id}"]
    for label, value in (
        ("地区", h.district), ("住所", h.address), ("電話", h.phone), ("住まい", h.housing_type),
        ("特徴", "、".join(h.flags)), ("民生委員", h.welfare_commissioner), ("担当", h.staff_main),
        ("副担当", h.staff_sub),
        ("見守り", h.watch_level + (f"（{h.watch_interval_days}日ごと）" if h.watch_interval_days else "")),
        ("メモ", h.notes), ("登録日", format_wareki(local_date(h.created_at))),
        ("更新日", format_wareki(local_date(h.updated_at)) if h.updated_at else ""),
    ):
        if value:
            lines.append(f"  {label}：{value}")
    lines.append(f"世帯員 {len(h.members)}人")
    for p in h.members:
        name = f"{p.name}（{p.kana}）" if p.kana else p.name
        extra = [p.relation, p.sex if p.sex != "不明" else "",
                 format_wareki(p.birth_date) + "生" if p.birth_date else p.age_band, "、".join(p.flags)]
        lines.append("  " + "  ".join(x for x in [name, *extra] if x))
    return lines


def records_text(doc: dict, today) -> list[str]:
    """The field records of ``show`` as readable Japanese (和暦 dates)."""
    lines = []
    if doc["follow_ups"]:
        lines.append(f"これからすること {len(doc['follow_ups'])}件")
        for f in doc["follow_ups"]:
            late = f"（{(today - f['date']).days}日過ぎ）" if f["date"] < today else ""
            lines.append(f"  {format_wareki(f['date'])}{late}　{f['what']}")
    lines.append(f"訪問記録 {len(doc['contacts'])}件" if doc["contacts"] else "訪問記録はありません")
    for c in doc["contacts"]:
        head = [format_wareki(c["date"]) + (f" {c['time']}" if c["time"] else ""), c["method"], c["staff"],
                ("同行：" + "、".join(c["companions"])) if c["companions"] else "",
                ("緊急度：" + c["urgency"]) if c["urgency"] else ""]
        lines.append("  " + "　".join(x for x in head if x))
        for label, value in (("様子", c["note"]), ("困りごと", "、".join(c["concerns"])),
                             ("次にすること", c["next_action"]),
                             ("次回", format_wareki(c["next_contact_date"]))):
            if value:
                lines.append(f"      {label}：{value}")
    lines.append(f"把握シート {len(doc['sheets'])}件" if doc["sheets"] else "把握シートはありません")
    for sh in doc["sheets"]:
        lines.append(f"  {format_wareki(sh['noticed_on'])}　{sh['status']}　{sh['urgency']}　"
                     f"{'、'.join(sh['concerns'])}　（{sh['noticed_by'] or '不明'}）")
        if sh["situation"]:
            lines.append(f"      様子：{sh['situation']}")
        for h in sh["history"][1:]:
            extra = "　".join(x for x in (h["agency"], h["note"]) if x)
            lines.append(f"      {format_wareki(h['changed_on'])} → {h['status']}" + (f"　{extra}" if extra else ""))
    if doc["referrals"]:
        lines.append(f"つなぎ {len(doc['referrals'])}件")
        for r in doc["referrals"]:
            lines.append(f"  {format_wareki(r['referred_on'])}　{r['agency']}　{r['outcome']}　{r['reason']}")
    return lines


def run_show(ctx: Context) -> int:
    from datetime import date

    from shakyo_desk.domain.roles import Role
    from shakyo_desk.store.services import contacts, referrals, sheets, watch
    from shakyo_desk.cli_commands.conflicts import _document
    from shakyo_desk.store.exchange.conflicts import list_conflicts
    from shakyo_desk.store.services.households import get_household

    with ctx.open_store() as store:
        household = get_household(store, ctx.args.id)
        contact_rows = contacts.list_contacts(store, household_id=household.id, limit=None)
        sheet_rows = [sheets.get_sheet(store, sh.id)
                      for sh in sheets.list_sheets(store, household_id=household.id, limit=None)]
        referral_rows = referrals.list_referrals(store, household_id=household.id, limit=None) \
            if store.actor.role != Role.REPORTER else []
        open_conflicts = list_conflicts(store, household_id=household.id)
        due, reviews = None, []
        if store.actor.role != Role.REPORTER:
            due = next((d for d in watch.due_list(store, date.max, district_id=household.district_id)
                        if d.household_id == household.id), None)
            reviews = watch.reviews_due(store, date.max, household_id=household.id)
    doc = detail_json(household)
    doc["contacts"] = [contact_json(c) for c in contact_rows]
    doc["sheets"] = [sheet_json(sh) for sh in sheet_rows]
    doc["referrals"] = [referral_json(r) for r in referral_rows]
    doc["follow_ups"] = follow_ups(referral_rows, due, reviews)
    doc["conflicts"] = [_document(c) for c in open_conflicts]
    if ctx.json:
        ctx.emit(doc)
    else:
        flagged = [f"要確認：{c.entity_label}の「{c.field_label}」（conflicts list で選んでください）" for c in open_conflicts]
        ctx.emit(None, detail_text(household) + flagged + records_text(doc, clock.today()))
    return 0


# ---- set -------------------------------------------------------------------------

def parse_assignments(assignments: list[str]) -> dict[str, str]:
    """FIELD=VALUE pairs, all checked before anything is written."""
    parsed: dict[str, str] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        key = name.strip().replace("-", "_")
        if not sep or not key:
            raise InvalidInput(f"「{item}」は「項目=値」の形になっていません。例：phone=0123-45-6789")
        if key not in SETTABLE:
            raise InvalidInput(
                f"「{name.strip()}」という項目は変更できません。指定できる項目：{'、'.join(SETTABLE)}。何も変更していません。"
            )
        if key in parsed:
            raise InvalidInput(f"項目「{key}」が2回指定されています。1回にしてください。何も変更していません。")
        parsed[key] = value
    return parsed


def run_set(ctx: Context) -> int:
    from shakyo_desk.store.services.districts import find_district
    from shakyo_desk.store.services.households import get_household, update_household

    parsed = parse_assignments(ctx.args.assignments)
    with ctx.open_store() as store:
        fields = {}
        for key, value in parsed.items():
            target = SETTABLE[key][0]
            if key == "district":
                fields[target] = find_district(store, value).id if value.strip() else None
            elif key == "flags":
                fields[target] = split_list(value)
            else:
                fields[target] = value
        if fields.get("district_id", "") is None:
            raise InvalidInput("地区は空にできません。地区名を指定してください。何も変更していません。")
        changed = update_household(store, ctx.args.id, **fields)
        names = {target: key for key, (target, _) in SETTABLE.items()}
        changed_out = {names.get(k, k): v for k, v in changed.items()}
        if "district" in changed_out:
            changed_out["district_id"] = changed_out.pop("district")
        household = get_household(store, ctx.args.id, log=False) if ctx.json else None
    if ctx.json:
        ctx.emit({"id": ctx.args.id, "changed": changed_out, "household": detail_json(household)})
        return 0
    if not changed:
        ctx.emit(None, "変更はありませんでした（同じ値です）。")
    else:
        labels = {target: label for target, label in SETTABLE.values()}
        ctx.emit(None, "変更しました：" + "、".join(labels.get(k, k) for k in changed))
    return 0
