"""`check`: is the store sound? Integrity, foreign keys, audit chain, change log."""

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from shakyo_desk.store.audit import verify_chain
from shakyo_desk.store.models import SYNCED_MODELS, AuditLog, ChangeLog, DeviceState
from shakyo_desk.store.store import Store
from shakyo_desk.store.writer import to_json_value

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

        chain = verify_chain(s.execute(sa.select(AuditLog).order_by(AuditLog.id)).scalars())
        report.counts["audit_entries"] = chain.entries
        if not chain.sound:
            report.problems.append(f"監査ログの連鎖が番号{chain.broken_at}で途切れています。記録が書き換えられた可能性があります。")

        _check_change_log(s, report)
    return report


def _check_change_log(s, report: CheckReport) -> None:
    device = s.get(DeviceState, 1)
    seqs = defaultdict(list)
    replay: dict[tuple[str, str], dict] = {}
    changes = s.execute(
        sa.select(ChangeLog.origin_device, ChangeLog.epoch, ChangeLog.seq, ChangeLog.entity, ChangeLog.entity_id,
                  ChangeLog.op, ChangeLog.fields).order_by(ChangeLog.hlc)
    )
    count = 0
    for origin, epoch, seq, entity, entity_id, op, fields in changes:
        count += 1
        seqs[(origin, epoch)].append(seq)
        state = replay.setdefault((entity, entity_id), {})
        if op == "insert" and state:
            report.problems.append(f"変更履歴に同じデータの作成が二度記録されています（{entity} {entity_id}）。")
        state.update(fields)
    report.counts["changes"] = count
    for (origin, epoch), numbers in seqs.items():
        numbers.sort()
        if origin == device.device_id and epoch == device.epoch:
            expected = list(range(1, device.next_seq))
            if numbers != expected:
                report.problems.append("この端末の変更履歴に欠番または重複があります。")
        elif len(set(numbers)) != len(numbers):
            report.problems.append("他の端末から受け取った変更履歴に重複があります。")

    for entity, model in SYNCED_MODELS.items():
        columns = [c.name for c in model.__table__.columns if c.name not in _BOOKKEEPING]
        rows = s.execute(sa.select(*[model.__table__.c[c] for c in columns])).all()
        report.counts[entity] = len(rows)
        for row in rows:
            values = {c: to_json_value(v) for c, v in zip(columns, row, strict=True)}
            state = replay.get((entity, values["id"]))
            if state is None:
                report.problems.append(f"変更履歴にないデータがあります（{entity} {values['id']}）。同期で失われるおそれがあります。")
                continue
            differing = [c for c in columns if c in state and state[c] != values[c]]
            if differing:
                report.problems.append(
                    f"データが変更履歴と一致しません（{entity} {values['id']}：{'、'.join(differing)}）。"
                )
