"""`check`: is the store sound? Integrity, foreign keys, audit chain, change log.

The whole store is always checked; what is shown depends on the account (``view_for``):
administrators and coordinators, who see the whole council's records, get every problem and
every count; staff get the counts of the households of their districts; reporters only whether
the store is sound. Staff and reporters get one sentence instead of the problems, which name
records and devices."""

import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from shakyo_desk.store import audit_witness, changes_codec
from shakyo_desk.store.exchange import clones
from shakyo_desk.store.exchange import identity
from shakyo_desk.store.exchange.apply import TEXT_FIELDS, as_change
from shakyo_desk.domain.roles import Role, sees_all_households
from shakyo_desk.store.models import (SYNCED_MODELS, ChangeLog, DeviceState, Household, Person, Roster,
                                      SyncKnowledge)
from shakyo_desk.store.store import Store
from shakyo_desk.store.json_value import to_json_value
from shakyo_desk.sync import chain
from shakyo_desk.sync.merge import merge

# Columns the change log does not carry: the row's own bookkeeping.
_BOOKKEEPING = {"hlc", "updated_at"}


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def sound(self) -> bool:
        return not self.problems


def check_store(store: Store) -> CheckReport:
    report = CheckReport()
    with store.read() as s:
        conn = s.connection()
        integrity = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").all()]
        if integrity != ["ok"]:
            report.problems.append("データベースの整合性検査で異常が見つかりました：" + "；".join(integrity[:5]))
        cipher = [r[0] for r in conn.exec_driver_sql("PRAGMA cipher_integrity_check").all()]
        if cipher:
            report.problems.append("暗号化ページの検査で異常が見つかりました：" + "；".join(cipher[:5]))
        fk = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        if fk:
            report.problems.append(f"参照先のないデータが{len(fk)}件あります（表：{fk[0][0]}）。")
        _check_plain_references(conn, report)

        # The chain and every witness of its head (store/audit_witness.py).
        chain = audit_witness.verify(conn, store.data_key)
        report.counts["audit_entries"] = chain.entries
        if not chain.sound:
            report.problems.append(
                (f"監査ログの連鎖が番号{chain.chain_broken_at}で途切れています。記録が書き換えられた可能性があります。"
                 if chain.chain_broken_at is not None else "監査ログが、外に残した控えと合いません。")
                + "".join(chain.sentences))

        _check_change_log(s, conn, report)
    return report


# Columns added by a migration hold ids without a foreign key (SQLite adds no column with one):
# (table, column, referenced table). Checked here as the foreign keys are by PRAGMA.
PLAIN_REFERENCES = (("conference_case", "case_id", "support_case"), ("conference_case", "person_id", "person"),
                    ("conference_case", "request_id", "meeting_request"))


def _check_plain_references(conn, report: CheckReport) -> None:
    for table, column, target in PLAIN_REFERENCES:
        dangling = conn.exec_driver_sql(
            f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {target} r WHERE r.id = t.{column})").scalar()
        if dangling:
            report.problems.append(f"参照先のないデータが{dangling}件あります（表：{table}、項目：{column}）。")


def _check_change_log(s, conn, report: CheckReport) -> None:
    """Sequences without gaps, one insert per entity, and every row equal to its replayed
    history. Streams table by table (rows and changes both in id order) so memory stays
    flat on a large town."""
    device = s.get(DeviceState, 1)
    report.counts["changes"] = 0
    own_seen = False
    held: dict[tuple[str, int], tuple[int, int]] = {}  # (origin, epoch) → (count, highest seq)
    for origin, epoch, count, low, high in s.execute(
        sa.select(ChangeLog.origin_device, ChangeLog.epoch, sa.func.count(), sa.func.min(ChangeLog.seq),
                  sa.func.max(ChangeLog.seq)).group_by(ChangeLog.origin_device, ChangeLog.epoch)
    ):
        report.counts["changes"] += count
        held[(origin, epoch)] = (count, high)
        if origin == device.device_id and epoch == device.epoch:
            own_seen = True
            if low != 1 or high != device.next_seq - 1 or count != high:
                report.problems.append("この端末の変更履歴に欠番があります。")
    if device.next_seq > 1 and not own_seen:
        report.problems.append("この端末の変更履歴に欠番があります。")
    _check_knowledge(s, device, held, report)
    for entity, entity_id in s.execute(
        sa.select(ChangeLog.entity, ChangeLog.entity_id).where(ChangeLog.op == "insert")
        .group_by(ChangeLog.entity, ChangeLog.entity_id).having(sa.func.count() > 1)
    ):
        if _reissued_insert(s, entity, entity_id):
            continue
        report.problems.append(f"変更履歴に同じデータの作成が二度記録されています（{entity} {entity_id}）。")
    _check_clones(conn, report)
    _check_derived(conn, report)

    for entity, model in SYNCED_MODELS.items():
        table = model.__table__
        columns = [c.name for c in table.columns if c.name not in _BOOKKEEPING]
        rows = conn.execute(sa.select(*[table.c[c] for c in columns]).order_by(table.c.id))
        changes = changes_codec.stream(
            conn, sa.select(ChangeLog.__table__).where(ChangeLog.entity == entity)
            .order_by(ChangeLog.entity_id, ChangeLog.hlc), missing="none")
        pending = next(changes, None)
        count = 0
        for row in rows:
            count += 1
            values = {c: to_json_value(v) for c, v in zip(columns, row, strict=True)}
            row_id = values["id"]
            while pending is not None and pending.entity_id < row_id:  # history of a row that is gone
                report.problems.append(f"変更履歴はあるのにデータがありません（{entity} {pending.entity_id}）。")
                gone = pending.entity_id
                while pending is not None and pending.entity_id == gone:
                    pending = next(changes, None)
            history = []
            while pending is not None and pending.entity_id == row_id:
                history.append(as_change(pending))
                pending = next(changes, None)
            if not history:
                report.problems.append(f"変更履歴にないデータがあります（{entity} {row_id}）。同期で失われるおそれがあります。")
                continue
            # The same merge rules sync uses: the row must be what its whole history says.
            merged = merge(history, TEXT_FIELDS[entity])
            state = {} if merged.purged else merged.values
            differing = [c for c in columns if c in state and state[c] != values[c]]
            if differing:
                report.problems.append(f"データが変更履歴と一致しません（{entity} {row_id}：{'、'.join(differing)}）。")
        while pending is not None:
            report.problems.append(f"変更履歴はあるのにデータがありません（{entity} {pending.entity_id}）。")
            gone = pending.entity_id
            while pending is not None and pending.entity_id == gone:
                pending = next(changes, None)
        report.counts[entity] = count


def _check_derived(conn, report: CheckReport) -> None:
    """Change log v2 (store/changes_codec.py): a derived insert's values are its record's row, so
    the merge above cannot tell a row edited behind the change log's back. Each is proved here:
    its text re-derived from the row must hash to what was written then, through the origin chain
    (recomputed from the change before it) or, off any chain, its kept values hash."""
    table = ChangeLog.__table__
    previous: dict[tuple[str, int, int], bytes | None] = {}
    derived = conn.execute(sa.select(table).where(table.c.op == "insert", table.c.packed.is_(None))
                           .order_by(table.c.origin_device, table.c.epoch, table.c.seq))
    for batch in iter(lambda: derived.fetchmany(2000), []):
        wanted = [(r.origin_device, r.epoch, r.seq - 1) for r in batch if r.values_hash is None and r.seq > 1]
        previous.clear()
        for origin, epoch, seqs in _grouped(wanted):
            for start in range(0, len(seqs), 400):
                part = seqs[start:start + 400]
                previous.update({(origin, epoch, seq): value for seq, value in conn.exec_driver_sql(
                    "SELECT seq, chain FROM change_log WHERE origin_device = ? AND epoch = ? "
                    f"AND seq IN ({', '.join('?' * len(part))})", (origin, epoch, *part))})
        for r, text in zip(batch, changes_codec.texts(conn, batch, missing="none"), strict=True):
            if text is None:
                continue  # (its record is gone: reported above)
            before = chain.genesis(r.origin_device, r.epoch) if r.seq == 1 else previous.get(
                (r.origin_device, r.epoch, r.seq - 1))
            if not changes_codec.verify_derived(before, r, text, _digest):
                report.problems.append(
                    f"データが作成時の記録と一致しません。変更履歴を通さずに書き換えられた可能性があります（{r.entity} {r.entity_id}）。")


def _grouped(dots):
    by: dict[tuple[str, int], list[int]] = {}
    for origin, epoch, seq in dots:
        by.setdefault((origin, epoch), []).append(seq)
    return [(o, e, sorted(seqs)) for (o, e), seqs in by.items()]


def _digest(r, text: str) -> bytes:
    return chain.digest_of(r.origin_device, r.epoch, r.seq, r.entity, r.entity_id, r.op,
                           chain.storage_json(r.base) if r.base else "{}", r.hlc, r.staff_id,
                           r.recorded_at.isoformat(), chain.values_hash(text))


def _check_knowledge(s, device: DeviceState, held: dict[tuple[str, int], tuple[int, int]],
                     report: CheckReport) -> None:
    """What we tell peers we hold (and so are never sent again) must be in the change log: every
    change 1…n of each origin we claim up to n. (A district-limited laptop holds only its
    districts' part of the others' changes: nothing to count there.)"""
    if device.scope:
        return
    for origin, epoch, claimed in s.execute(sa.select(SyncKnowledge.origin, SyncKnowledge.epoch, SyncKnowledge.seq)):
        count, high = held.get((origin, epoch), (0, 0))
        if count < claimed or high < claimed:
            report.problems.append(f"同期の記録では持っているはずの変更が変更履歴にありません（端末 {origin[:8]}…、"
                                   f"第{epoch}期の{claimed}番まで）。同期で記録が届かなくなるおそれがあります。")


def _reissued_insert(s, entity: str, entity_id: str) -> bool:
    """One insert re-issued by a copy of its installation (exchange/clones.py): the same origin
    device, stamp and fields under another epoch. Anything else inserted twice is a fault."""
    rows = changes_codec.rows(s.connection(), ChangeLog.entity == entity, ChangeLog.entity_id == entity_id,
                              ChangeLog.op == "insert")
    return len({(r.origin_device, r.hlc, json.dumps(r.fields, sort_keys=True, default=str)) for r in rows}) == 1


def _check_clones(conn, report: CheckReport) -> None:
    """A copy of an installation found, whose colliding changes no copy has re-issued yet: some
    records made on one copy have not reached every device."""
    roster = identity.roster_data(conn) if conn.execute(sa.select(sa.func.count()).select_from(Roster)).scalar() else {}
    names = {d["device_id"]: d["name"] for d in roster.get("devices", [])}
    for clone in clones.unresolved(conn):
        name = names.get(clone.origin, clone.origin[:8] + "…")
        report.problems.append(
            f"端末「{name}」のデータが複製されて2台で使われていたことが分かりましたが、重なった記録の出し直しが"
            f"まだ届いていません（第{clone.epoch}期）。複製されたそれぞれの端末で同期してください。")


# ---- what each account is shown ----------------------------------------------------------------

SCOPE_COUNCIL = "council"  # every count and problem: admins and coordinators
SCOPE_DISTRICTS = "districts"  # the households of the account's districts: staff
SCOPE_NONE = "none"  # sound or not, nothing countable: reporters

PROBLEMS_FOR_ADMIN = ("データの検査で異常が見つかりました。内容は管理者（事務局長）またはコーディネーターが"
                      "検査すると表示されます。管理者に連絡してください。")


@dataclass(frozen=True)
class CheckView:
    """A check's result as one account may see it. ``counts`` covers ``scope``."""

    sound: bool
    problems: list[str]
    counts: dict[str, int]
    scope: str


def view_for(store: Store, report: CheckReport) -> CheckView:
    """``report`` limited to what the acting account may see (the check itself covers the
    whole store whoever runs it)."""
    actor = store.actor
    if sees_all_households(actor.role):
        return CheckView(report.sound, list(report.problems), dict(report.counts), SCOPE_COUNCIL)
    problems = [] if report.sound else [PROBLEMS_FOR_ADMIN]
    if actor.role != Role.STAFF:
        return CheckView(report.sound, problems, {}, SCOPE_NONE)
    districts = sorted(actor.district_ids)
    with store.read() as s:
        households = s.execute(sa.select(sa.func.count()).select_from(Household).where(
            Household.deleted_at.is_(None), Household.district_id.in_(districts))).scalar_one()
        persons = s.execute(sa.select(sa.func.count()).select_from(Person).join(
            Household, Household.id == Person.household_id).where(
            Person.deleted_at.is_(None), Household.deleted_at.is_(None),
            Household.district_id.in_(districts))).scalar_one()
    return CheckView(report.sound, problems, {"household": households, "person": persons}, SCOPE_DISTRICTS)


def check_for(store: Store) -> CheckView:
    """``check_store`` as the acting account may see it."""
    return view_for(store, check_store(store))
