"""操作の記録 (audit log viewer, issue 6): filter, label, verify and page the hash-chained
audit log. Only admins (事務局長) read it: it says who looked at which household.

Order: newest first by the time of the entry, then by id (the chain order). The filters each
have an index (migration 0007) whose entries end in ``at`` and the rowid, so a page is read in
order without sorting the table:

- household → ``entity_id IN (the household, everything that hangs on it)`` (a few hundred ids
  at most, found through the children's own household/person/sheet indexes; the same rule as
  the retention purge), then sorted;
- account → ``(login, at)``;
- an action group other than 登録・変更 → one ordered read of ``(action, at)`` per action name
  of the group (names found by skipping through that index), merged;
- otherwise (no filter, a period, 登録・変更) → ``at`` with the rest checked row by row.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.vocab import CONFERENCE_TYPES, DISCLOSABLE_FIELDS
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store import audit, audit_witness
from shakyo_desk.store.models import (
    AuditLog, Conference, ConferenceCase, DeviceState, HouseholdSearch, MicroTime, Person, Roster, Staff,
    SYNCED_MODELS,
)
from shakyo_desk.store.nouns import NOUNS
from shakyo_desk.store.services._common import require
from shakyo_desk.store.store import Store

AUDIT_RIGHT = "操作の記録を見られるのは管理者（事務局長）だけです。"
PAGE = 500
MAX_PAGE = 5000

# ---- action groups and labels -------------------------------------------------------------

GROUPS = {
    "view": "閲覧",
    "change": "登録・変更",
    "export": "出力",
    "sync": "同期",
    "account": "アカウント・権限",
    "login": "ログイン",
    "other": "その他",
}

OPS = {"insert": "登録", "update": "変更", "delete": "削除", "purge": "消去", "view": "閲覧"}
EXPORTS = {
    "handout": "会議資料（PDF）の出力", "stats_csv": "統計（CSV）の出力", "stats_pdf": "統計（PDF）の出力",
    "route_pdf": "訪問予定リスト（PDF）の出力", "audit": "操作の記録（CSV）の出力",
    "assessment_pdf": "全方位型アセスメント（A4）の印刷",
    "support_map_pdf": "支え合いマップ（PDF）の出力",
    "community_issues_pdf": "地域課題の一覧（PDF）の出力",
}
LABELS = {
    "session.unlock": "ログイン（ロック解除）",
    "store.create": "データの作成",
    "store.backup": "バックアップの作成",
    "store.restore": "バックアップからの復元",
    "account.passphrase_changed": "パスフレーズの変更",
    "account.passphrase_reset": "パスフレーズの再設定（管理者）",
    "account.passphrase_recovered": "復旧キーによるパスフレーズの再設定",
    "account.reporter_enabled_here": "報告者をこの端末で使えるようにする（パスフレーズの設定）",
    "device.add": "端末の追加（登録ファイル）",
    "device.join": "端末の参加",
    "device.revoke": "端末の利用停止",
    "sync.import": "同期ファイルの取り込み",
    "sync.export": "同期ファイルの書き出し",
    "sync.export_abandoned": "書き出しが終わらなかった同期ファイルの取り消し",
    "sync.quarantine": "同期ファイルの保留（取り込めないファイル）",
    "sync.clone_detected": "複製された端末の検出",
    "sync.clone_reissued": "複製で重なった記録の出し直し",
    "sync.clone_resolved": "複製された端末の記録の出し直しの受け取り",
    "sync.recovery_identity_printed": "復旧用の鍵の印刷",
    "conflict.resolve": "要確認の解決",
    "conference.disclosure": "配布資料に載せる項目の変更",
    "retention.purge": "保存期間を過ぎた世帯の消去",
    "list_import.apply": "名簿の取り込み",
    "dropbox.quarantined": "届いた把握シートの保留（受け付けられないファイル）",
    "dropbox.retried": "保留した把握シートの再受付",
    "dropbox.quarantine_deleted": "保留した把握シートのファイルの削除",
    "dropbox.vouched": "ほかの端末が確認した報告者の把握シートの受付",
    "account.key_upgraded": "鍵の形式の更新（ログイン時）",
    "account.reporter_key_pair": "報告者の鍵の切り替え（データの鍵を持たない形へ）",
    "device.enrolment_file": "登録ファイルによる参加",
    "store.key_rotated": "データの鍵の切り替え",
    "store.key_rotation_finished": "中断していたデータの鍵の切り替えの完了",
    "store.recovery_key_renewed": "復旧キーの作り直し",
    "council_key.moved": "名簿に署名する管理者鍵の移動（管理者だけが開ける形へ）",
    "council_key.rotated": "名簿に署名する管理者鍵の交換（管理者でなくなった人が持っていた鍵を無効に）",
}
FIELDS = {
    "role": "役割", "disabled_at": "無効", "district_ids": "担当地区", "section": "所属", "display_name": "氏名",
    "address": "住所", "phone": "電話", "notes": "メモ", "name": "名前", "kana": "フリガナ", "status": "状況",
    "deleted_at": "削除", "watch_level": "見守りの程度", "flags": "特徴",
}
ACCOUNT_PREFIXES = ("account.", "device.", "staff.")
CHANGE_OPS = ("insert", "update", "delete", "purge")


def action_group(action: str) -> str:
    """The group key of an action name; names we do not know are その他."""
    head, _, op = action.rpartition(".")
    if action == "session.unlock":
        return "login"
    if action.startswith(ACCOUNT_PREFIXES) or action == "sync.recovery_identity_printed":
        return "account"
    if action.startswith("sync."):
        return "sync"
    if op == "view":
        return "view"
    if op == "export" or action == "store.backup":
        return "export"
    if (head in SYNCED_MODELS and op in CHANGE_OPS) or action in ("conflict.resolve", "conference.disclosure",
                                                                  "retention.purge", "list_import.apply"):
        return "change"
    return "other"


def action_label(action: str, detail: dict | None = None) -> str:
    """Japanese words for an action; an unknown one is shown as it is written."""
    detail = detail or {}
    if action in LABELS:
        return LABELS[action]
    head, _, op = action.rpartition(".")
    if op == "export" and head in EXPORTS:
        return EXPORTS[head]
    if head in NOUNS and op in OPS:
        if head == "staff" and op == "update":
            return _staff_update_label(detail)
        if op == "update" and detail.get("fields") == ["deleted_at"]:
            op = "delete"
        return f"{NOUNS[head]}の{OPS[op]}"
    return action


def _staff_update_label(detail: dict) -> str:
    fields = detail.get("fields") or []
    after = detail.get("after") or {}
    if "disabled_at" in fields:
        if "disabled_at" in after:
            return "アカウントの無効化" if after["disabled_at"] else "アカウントの再有効化"
        return "アカウントの有効・無効の変更"
    if "role" in fields:
        return "役割の変更"
    return "アカウントの変更"


def _role_label(value) -> str:
    try:
        return Role(value).label
    except ValueError:
        return str(value)


def detail_summary(action: str, detail: dict | None, names: dict[str, str] | None = None) -> str:
    """One readable line about what an entry's detail says (never more than the detail holds)."""
    detail = detail or {}
    names = names or {}
    before, after = detail.get("before") or {}, detail.get("after") or {}
    if action != "conference.disclosure" and isinstance(before, dict) and isinstance(after, dict) and (before or after):
        parts = []
        for key in sorted(set(before) | set(after)):
            old, new = before.get(key), after.get(key)
            if key == "role":
                parts.append(f"役割：{_role_label(old)} → {_role_label(new)}")
            elif key == "disabled_at":
                parts.append("無効にしました" if new else "有効に戻しました")
            elif key == "district_ids":
                parts.append(f"担当地区：{_names(old, names)} → {_names(new, names)}")
            else:
                parts.append(f"{FIELDS.get(key, key)}：{_short(old) or '（なし）'} → {_short(new) or '（なし）'}")
        rest = [f for f in detail.get("fields", []) if f not in before and f not in after]
        if rest:
            parts.append("変更した項目：" + "、".join(FIELDS.get(f, f) for f in rest))
        return "／".join(parts)
    if action == "conference.disclosure":
        def shown(keys) -> str:
            return "、".join(DISCLOSABLE_FIELDS.get(k, k) for k in keys or []) or "（なし）"

        return f"全部を載せる項目：{shown(before)} → {shown(after)}"
    if action == "sync.import":
        return (f"変更{detail.get('changes', 0)}件（反映{detail.get('applied', 0)}件、"
                f"要確認{detail.get('conflicts', 0)}件）・送り主 {names.get(detail.get('sender', ''), _short(detail.get('sender')))}"
                f" 第{detail.get('seq', '?')}号")
    if action == "sync.export":
        target = detail.get("for") or "すべての端末"
        return f"{detail.get('file', '')}（変更{detail.get('changes', 0)}件、宛先：{target}）"
    if action == "handout.export":
        copies = detail.get("copies") or []
        text = f"{len(copies)}部（配布番号 {_numbers(copies)}）" if copies else ""
        files = detail.get("files") or ([detail["file"]] if detail.get("file") else [])
        shown = "、".join(files[:3]) + (f" ほか{len(files) - 3}件" if len(files) > 3 else "")
        return "・".join(x for x in (text, shown) if x)
    if action.endswith(".export"):
        bits = [detail.get("file", ""), detail.get("period", ""), detail.get("encoding", "")]
        if "rows" in detail:
            bits.append(f"{detail['rows']}件")
        return "・".join(str(b) for b in bits if b)
    if "fields" in detail and detail["fields"]:
        if detail["fields"] == ["deleted_at"]:
            return ""
        return "変更した項目：" + "、".join(FIELDS.get(f, f) for f in detail["fields"])
    return "・".join(f"{FIELDS.get(k, k)}：{_short(v)}" for k, v in sorted(detail.items()) if v not in (None, "", []))


def _short(value, limit: int = 60) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _names(ids, names: dict[str, str]) -> str:
    return "、".join(names.get(i, i[:8]) for i in ids or []) or "（なし）"


def _numbers(values: list[int]) -> str:
    values = sorted(values)
    if values and values == list(range(values[0], values[-1] + 1)) and len(values) > 2:
        return f"{values[0]}〜{values[-1]}"
    return "、".join(map(str, values))


# ---- filters --------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilters:
    login: str | None = None
    start: date | None = None  # local calendar days, both included
    end: date | None = None
    action_group: str | None = None
    household_id: str | None = None

    def describe(self, names: dict[str, str] | None = None) -> list[tuple[str, str]]:
        names = names or {}
        return [("アカウント", names.get(self.login or "", self.login or "すべて")),
                ("期間", f"{format_wareki(self.start) if self.start else '最初'} 〜 {format_wareki(self.end) if self.end else '今日'}"),
                ("操作", GROUPS.get(self.action_group or "", "すべて")),
                ("世帯", names.get(self.household_id or "", self.household_id or "すべて"))]


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime  # naive UTC, as stored
    login: str
    staff_name: str
    device: str
    action: str
    group: str
    group_label: str
    label: str
    entity: str
    entity_id: str
    target: str
    summary: str
    detail: dict = field(default_factory=dict, compare=False)

    @property
    def local_time(self) -> datetime:
        return self.at.replace(tzinfo=timezone.utc).astimezone()


@dataclass(frozen=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]
    more: bool  # older entries match too: ask again with before_id=entries[-1].id

    @property
    def next_before_id(self) -> int | None:
        return self.entries[-1].id if self.entries and self.more else None


@dataclass(frozen=True)
class AccountChoice:
    login: str
    display_name: str


def _require_admin(store: Store) -> None:
    require(store.actor.role == Role.ADMIN, AUDIT_RIGHT)


def utc_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Local calendar days → naive UTC [from, until) as stored in ``at``."""
    def utc(d: date) -> datetime:
        return datetime.combine(d, time()).astimezone().astimezone(timezone.utc).replace(tzinfo=None)

    return (utc(start) if start else None), (utc(end + timedelta(days=1)) if end else None)


def _validate(filters: AuditFilters) -> None:
    if filters.action_group is not None and filters.action_group not in GROUPS:
        raise InvalidInput(f"操作の種類は次のいずれかを選んでください：{'、'.join(GROUPS.values())}")
    if filters.start and filters.end and filters.start > filters.end:
        raise InvalidInput("期間のはじめが、おわりより後になっています。日付を確かめてください。")


# ---- query ----------------------------------------------------------------------------------

# A change's entry (audit log v2) has no action or entity id of its own: the filters reach it
# through its change (the change log's primary key; its entity index for a household). What a
# page shows is rebuilt by audit.entries.
COLUMNS = ("a.id, a.at, a.staff_id, a.login, a.device_id, a.action, a.entity, a.entity_id, a.detail, a.epoch, "
           "a.seq, a.prev_hash, a.hash, a.key_id")
CHANGE_JOIN = ("LEFT JOIN audit_name AS n ON n.id = a.device_id LEFT JOIN change_log AS c ON a.seq IS NOT NULL "
               "AND c.origin_device = n.name AND c.epoch = a.epoch AND c.seq = a.seq")
CHANGE_TO_ENTRY = ("JOIN audit_name AS n ON n.name = c.origin_device JOIN audit_log AS a INDEXED BY ix_audit_log_change "
                   "ON a.seq = c.seq AND a.epoch = c.epoch AND a.device_id = n.id AND a.seq IS NOT NULL")
_TYPES = {c.name: c.type for c in AuditLog.__table__.c}
_MICROS = MicroTime()


def query(store: Store, *, login: str | None = None, start: date | None = None, end: date | None = None,
          action_group: str | None = None, household_id: str | None = None, limit: int = PAGE,
          before_id: int | None = None) -> AuditPage:
    """One page of entries, newest first, that match every filter given."""
    _require_admin(store)
    filters = AuditFilters(login or None, start, end, action_group or None, household_id or None)
    _validate(filters)
    limit = max(1, min(int(limit), MAX_PAGE))
    with store.read() as s:
        conn = s.connection()
        rows = _rows(conn, filters, limit + 1, before_id)
        more = len(rows) > limit
        rows = rows[:limit]
        return AuditPage(tuple(_entries(conn, audit.entries(conn, rows))), more)


def iter_entries(store: Store, filters: AuditFilters, *, batch: int = 2000) -> Iterable[AuditEntry]:
    """Every matching entry, newest first, a page at a time (for the export)."""
    before = None
    while True:
        page = query(store, login=filters.login, start=filters.start, end=filters.end,
                     action_group=filters.action_group, household_id=filters.household_id, limit=batch,
                     before_id=before)
        yield from page.entries
        if not page.more:
            return
        before = page.next_before_id


def _group_entities(group: str) -> list[str]:
    """The synced tables whose changes fall in an action group (their entries' actions)."""
    return sorted(e for e in SYNCED_MODELS if action_group(f"{e}.insert") == group)


def _rows(conn: Connection, f: AuditFilters, n: int, before_id: int | None) -> list:
    where, params = [], {}
    since, until = utc_bounds(f.start, f.end)
    if since:
        where.append("a.at >= :since")
        params["since"] = _stored_at(since)
    if until:
        where.append("a.at < :until")
        params["until"] = _stored_at(until)
    if before_id is not None:
        bat = conn.execute(sa.text("SELECT at FROM audit_log WHERE id = :id"), {"id": before_id}).scalar()
        if bat is None:
            raise NotFound("読み込みの続きの位置が見つかりません。一覧を読み込み直してください。")
        where.append("a.at <= :bat AND NOT (a.at = :bat AND a.id >= :bid)")
        params.update(bat=bat, bid=before_id)
    actions = entities = None
    if f.action_group:
        actions = [a for a in _distinct_actions(conn) if action_group(a) == f.action_group]
        entities = _group_entities(f.action_group)
        if not actions and not entities:
            return []
    if f.login:
        where.append("a.login = :login")
        params["login"] = f.login
    group_bind = {"actions": actions or [""], "entities": entities or [""]} if actions is not None else None
    group_where = ["(+a.action IN :actions OR c.entity IN :entities)"] if actions is not None else []

    def run(index: str, extra: list[str], extra_params: dict, bind_in: dict | None = None,
            source: str | None = None) -> list:
        clause = " AND ".join(where + extra) or "1"
        # (the change log is joined only for a group's condition on it)
        source = source or f"audit_log AS a INDEXED BY {index} {CHANGE_JOIN if group_where else ''}"
        stmt = sa.text(f"SELECT {COLUMNS} FROM {source} WHERE {clause} ORDER BY a.at DESC, a.id DESC LIMIT :n")
        if bind_in:
            stmt = stmt.bindparams(*(sa.bindparam(k, expanding=True) for k in bind_in))
        stmt = stmt.columns(**_TYPES)
        return list(conn.execute(stmt, {**params, **extra_params, **(bind_in or {}), "n": n}))

    if f.household_id:
        ids = sorted(_household_entries(conn, f.household_id))
        found = []
        for i in range(0, len(ids), 20_000):
            found += run("", ["a.id IN :ids", *group_where], {}, {"ids": ids[i:i + 20_000], **(group_bind or {})},
                         source=f"audit_log AS a {CHANGE_JOIN if group_where else ''}")
        return sorted(found, key=lambda r: (r.at, r.id), reverse=True)[:n]
    if f.login:
        return run("ix_audit_log_login_at", group_where, {}, group_bind)
    if actions is not None and f.action_group != "change":
        # Rare groups: each action's own index, and the changes of its tables through the
        # change log's entity index (one account's changes: staff).
        streams = [run("ix_audit_log_action_at", ["a.action = :action"], {"action": a}) for a in actions]
        if entities:
            streams.append(run("", [], {}, {"entities": entities}, source=(
                f"change_log AS c INDEXED BY ix_change_log_entity_order {CHANGE_TO_ENTRY} AND c.entity IN :entities")))
        return list(heapq.merge(*streams, key=lambda r: (r.at, r.id), reverse=True))[:n]
    return run("ix_audit_log_at", group_where, {}, group_bind)


def _stored_at(value) -> int:
    """``at`` as the table holds it (integer µs, audit log v2)."""
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return _MICROS.process_bind_param(value, None)


def _distinct_actions(conn: Connection) -> list[str]:
    """Every action name stored in the log (a change's entry has none: its change's): one seek
    per name through the (action, at) index."""
    found, last = [], ""
    stmt = sa.text("SELECT action FROM audit_log INDEXED BY ix_audit_log_action_at WHERE action > :a "
                   "ORDER BY action LIMIT 1")
    while True:
        name = conn.execute(stmt, {"a": last}).scalar()
        if name is None:
            return found
        found.append(name)
        last = name


def _household_entries(conn: Connection, household_id: str) -> set[int]:
    """Ids of the entries about a household: those naming one of its records (or conferences),
    and the entries of every change of those records (through the change log's entity index)."""
    by_entity = household_entities(conn, household_id)
    ids = sorted({i for found in by_entity.values() for i in found})
    out: set[int] = set()
    for i in range(0, len(ids), 500):
        out.update(conn.execute(sa.text(
            "SELECT id FROM audit_log INDEXED BY ix_audit_log_entity_id WHERE entity_id IS NOT NULL "
            "AND entity_id IN :ids").bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids[i:i + 500]}).scalars())
    stmt = sa.text(
        f"SELECT a.id FROM change_log AS c INDEXED BY ix_change_log_entity_order {CHANGE_TO_ENTRY} "
        "WHERE c.entity = :entity AND c.entity_id IN :ids"
    ).bindparams(sa.bindparam("ids", expanding=True))
    for entity, found in by_entity.items():
        found = sorted(found)
        for i in range(0, len(found), 500):
            out.update(conn.execute(stmt, {"entity": entity, "ids": found[i:i + 500]}).scalars())
    return out


def household_entities(conn: Connection, household_id: str) -> dict[str, set[str]]:
    """The household and every record that hangs on it (the retention purge's rule), plus the
    conferences that discussed it, by table."""
    from shakyo_desk.store.services.retention import _records_of

    out: dict[str, set[str]] = {"household": {household_id}}
    for model, rows in _records_of(conn, [household_id]):
        out.setdefault(model.__tablename__, set()).update(rows)
    conferences = set(conn.execute(sa.select(ConferenceCase.conference_id).where(
        ConferenceCase.household_id == household_id)).scalars())
    if conferences:
        out.setdefault("conference", set()).update(conferences)
    return out


def household_entity_ids(conn: Connection, household_id: str) -> set[str]:
    """The household and every record that hangs on it, plus the conferences that discussed it."""
    return {i for found in household_entities(conn, household_id).values() for i in found}


# ---- turning rows into entries --------------------------------------------------------------

def _entries(conn: Connection, rows: list) -> list[AuditEntry]:
    if not rows:
        return []
    staff = {r.id: (r.login, r.display_name) for r in conn.execute(sa.select(Staff.id, Staff.login, Staff.display_name))}
    by_login = {login: name for login, name in staff.values()}
    devices = _device_names(conn)
    wanted: dict[str, set[str]] = {}
    details = []
    for r in rows:
        detail = r.detail if isinstance(r.detail, dict) else {}
        details.append(detail)
        if r.entity and r.entity_id:
            wanted.setdefault(r.entity, set()).add(r.entity_id)
        for side in (detail.get("before"), detail.get("after")):
            districts = side.get("district_ids") if isinstance(side, dict) else None
            if isinstance(districts, list):
                wanted.setdefault("district", set()).update(districts)
    targets = _targets(conn, wanted)
    names = {**devices, **{k: v for k, v in targets.items()}, **{sid: n for sid, (_l, n) in staff.items()}}
    district_names = {k: v.split("：", 1)[-1] for k, v in targets.items()}
    result = []
    for r, detail in zip(rows, details, strict=True):
        at = r.at if isinstance(r.at, datetime) else datetime.fromisoformat(str(r.at))
        action = r.action or ""  # ("" only for a change's entry whose change is gone)
        group = action_group(action)
        target = targets.get(r.entity_id, NOUNS.get(r.entity, r.entity)) if r.entity_id else ""
        result.append(AuditEntry(
            id=r.id, at=at, login=r.login, staff_name=staff.get(r.staff_id, ("", by_login.get(r.login, "")))[1]
            or by_login.get(r.login, r.login), device=devices.get(r.device_id, (r.device_id or "")[:8]),
            action=action, group=group, group_label=GROUPS[group], label=action_label(action, detail),
            entity=r.entity or "", entity_id=r.entity_id or "", target=target,
            summary=detail_summary(action, detail, {**names, **district_names}), detail=detail,
        ))
    return result


def _device_names(conn: Connection) -> dict[str, str]:
    body = conn.execute(sa.select(Roster.body).order_by(Roster.version.desc()).limit(1)).scalar()
    if body is None:
        return {}
    return {d["device_id"]: d["name"] for d in json.loads(body).get("devices", [])}


def _targets(conn: Connection, wanted: dict[str, set[str]]) -> dict[str, str]:
    """entity id → 「世帯：山田 花子」 and the like, a few queries per page."""
    out: dict[str, str] = {}
    household_of: dict[str, str] = {}  # child id → household id

    def chunks(ids: set[str]) -> Iterable[list[str]]:
        ids = sorted(ids)
        for i in range(0, len(ids), 500):
            yield ids[i:i + 500]

    for entity, ids in wanted.items():
        model = SYNCED_MODELS.get(entity)
        if model is None:
            continue
        table = model.__table__
        for part in chunks(ids):
            if entity == "person":
                for r in conn.execute(sa.select(table.c.id, table.c.name, table.c.household_id).where(table.c.id.in_(part))):
                    out[r.id] = f"{NOUNS[entity]}：{r.name}" if r.name else NOUNS[entity]
                    household_of[r.id] = r.household_id
            elif entity == "staff":
                for r in conn.execute(sa.select(table.c.id, table.c.display_name, table.c.login).where(table.c.id.in_(part))):
                    out[r.id] = f"{NOUNS[entity]}：{r.display_name}（{r.login}）"
            elif entity == "conference":
                for r in conn.execute(sa.select(Conference.id, Conference.title, Conference.meeting_type,
                                                Conference.held_on).where(Conference.id.in_(part))):
                    kind = CONFERENCE_TYPES.get(r.meeting_type, r.meeting_type or "")
                    when = format_wareki(r.held_on) if r.held_on else ""
                    out[r.id] = f"{NOUNS[entity]}：{r.title or kind} {when}".rstrip()
            elif "name" in table.c:
                for r in conn.execute(sa.select(table.c.id, table.c.name).where(table.c.id.in_(part))):
                    out[r.id] = f"{NOUNS[entity]}：{r.name}" if r.name else NOUNS[entity]
            elif "title" in table.c and "household_id" not in table.c:  # 地域課題, 地域活動 (issue 19)
                for r in conn.execute(sa.select(table.c.id, table.c.title).where(table.c.id.in_(part))):
                    out[r.id] = f"{NOUNS[entity]}：{r.title}" if r.title else NOUNS[entity]
            elif "household_id" in table.c:
                for r in conn.execute(sa.select(table.c.id, table.c.household_id).where(table.c.id.in_(part))):
                    if r.household_id:
                        household_of[r.id] = r.household_id
            elif "person_id" in table.c:
                for r in conn.execute(sa.select(table.c.id, Person.household_id).join(
                        Person, Person.id == table.c.person_id).where(table.c.id.in_(part))):
                    household_of[r.id] = r.household_id
    households = set(wanted.get("household", set())) | set(household_of.values())
    heads: dict[str, str] = {}
    for part in chunks(households):
        for r in conn.execute(sa.select(HouseholdSearch.household_id, HouseholdSearch.head_name)
                              .where(HouseholdSearch.household_id.in_(part))):
            heads[r.household_id] = r.head_name
    for hid in wanted.get("household", set()):
        out[hid] = f"世帯：{heads[hid]}" if heads.get(hid) else "世帯"
    for child, hid in household_of.items():
        base = out.get(child) or NOUNS.get(_entity_of(child, wanted), "")
        if heads.get(hid):
            out[child] = f"{base}（{heads[hid]} 世帯）"
    return out


def _entity_of(entity_id: str, wanted: dict[str, set[str]]) -> str:
    return next((e for e, ids in wanted.items() if entity_id in ids), "")


def account_choices(store: Store) -> list[AccountChoice]:
    """Every login that appears in the log or has an account (disabled ones too)."""
    _require_admin(store)
    with store.read() as s:
        rows = s.execute(sa.select(Staff.login, Staff.display_name).order_by(Staff.login)).all()
        conn = s.connection()
        known = {r.login for r in rows}
        extra, last = [], ""
        stmt = sa.text("SELECT login FROM audit_log INDEXED BY ix_audit_log_login_at WHERE login > :a "
                       "ORDER BY login LIMIT 1")
        while (name := conn.execute(stmt, {"a": last}).scalar()) is not None:
            if name not in known:
                extra.append(name)
            last = name
    return [AccountChoice(r.login, r.display_name) for r in rows] + [AccountChoice(x, x) for x in extra]


# ---- verifying the chain --------------------------------------------------------------------

Progress = Callable[[int, int], None]


def verify(store: Store, progress: Progress | None = None, *, batch: int = 5000,
           backups: Iterable[Path] = ()) -> audit.ChainReport:
    """Check every entry's hash and link, oldest first, then compare the chain with every
    witness of its head this store knows (store/audit_witness.py) and with the head inside
    each backup file named; ``progress(done, total)`` per batch."""
    _require_admin(store)
    from shakyo_desk.store import backup

    extra = [audit.Witness(head["epoch"], head["id"], head["hash"], audit_witness.FILE,
                           audit_witness.label(audit_witness.FILE, None, Path(path).name))
             for path in backups if (head := backup.audit_head_of(path, store.data_key, _device_id(store)))]
    with store.read() as s:
        return audit_witness.verify(s.connection(), store.data_key, progress, batch=batch, extra=extra)


def _device_id(store: Store) -> str:
    with store.read() as s:
        return s.execute(sa.select(DeviceState.device_id).where(DeviceState.id == 1)).scalar_one()


@dataclass(frozen=True)
class AuditHead:
    """The last entry of this installation's log, as bundles and backups carry it."""

    device_id: str
    device_name: str
    epoch: int
    entry_id: int | None  # None: no entry yet
    hash: str | None
    at: datetime | None  # naive UTC
    witnessed: int  # heads of this log recorded outside it (exports, backups, other devices)

    @property
    def local_time(self) -> datetime | None:
        return self.at.replace(tzinfo=timezone.utc).astimezone() if self.at else None


def head(store: Store) -> AuditHead:
    """The head to print or compare by hand (「第N件・指紋」)."""
    _require_admin(store)
    with store.read() as s:
        conn = s.connection()
        me = conn.execute(sa.select(DeviceState.device_id, DeviceState.epoch, DeviceState.device_name)
                          .where(DeviceState.id == 1)).one()
        last = audit_witness.current_head(conn)
        witnessed = len(audit_witness.own_witnesses(conn, me.device_id))
        name = _device_names(conn).get(me.device_id) or me.device_name or me.device_id[:8]
    return AuditHead(me.device_id, name, me.epoch, last.entry_id if last else None, last.hash if last else None,
                     last.at if last else None, witnessed)
