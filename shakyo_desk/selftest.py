"""`shakyo-desk --selftest`: prove that this installation works, end to end, in a throwaway folder.

Support staff run it on a council PC, and CI runs it from the built bundle, so it exercises what a
broken build would lose: the SQLCipher driver and the real key derivation, the Alembic scripts,
the write path and `check`, pyrage and Ed25519 in a bundle carried to a second installation and
opened with the recovery identity, the embedded Japanese font in a handout PDF, and the Qt
platform plugins, charts and PDF modules behind the main window. Nothing is read from or written
to the user's own data folder, and nothing personal is used: the data are invented.

Each step prints one line; the exit status is 0 when every step passed, 1 otherwise."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TextIO
from shakyo_desk.domain import clock, safe_file

PASSPHRASE = "selftest passphrase 1"
COUNCIL = "自己診断村社会福祉協議会（試験）"
NOTE = "自己診断の訪問記録。玄関先で元気に挨拶された。"
PDF_WORDS = ("取扱注意", "会議終了後回収", "支援会議")  # text the UI step must find in the handout


@dataclass
class Outcome:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class SelfTest:
    """State handed from step to step."""

    root: Path
    office: object = None
    laptop: object = None
    recovery_identity: str = ""
    household_id: str = ""
    bundle: Path | None = None
    pdf: Path | None = None
    outcomes: list[Outcome] = field(default_factory=list)

    # ---- steps --------------------------------------------------------------------------

    def create_and_unlock(self) -> str:
        from shakyo_desk.store import migrate
        from shakyo_desk.store.store import create_store, unlock

        store, kit = create_store(self.root / "office", COUNCIL, "admin", PASSPHRASE, admin_name="診断 太郎")
        self.recovery_identity = kit.identity
        store.close()
        self.office = unlock(self.root / "office", "admin", PASSPHRASE)  # the real key derivation, twice
        return f"暗号化されたデータフォルダ（スキーマ {migrate.head_revision()}）"

    def write_records(self) -> str:
        from shakyo_desk.store.check import check_store
        from shakyo_desk.store.services import contacts, districts, households, sheets

        store = self.office
        district = districts.add_district(store, "試験地区", "しけんちく")
        self.household_id = households.add_household(store, district, "試験 花子", "シケン ハナコ",
                                                     address="自己診断村1-1")
        contacts.add_contact(store, household_id=self.household_id, method="訪問", contact_date=clock.today(),
                             seen_heard=NOTE, concerns=["介護"])
        sheets.file_sheet(store, household_id=self.household_id, concerns=["孤立"], urgency="見守り",
                          noticed_on=clock.today())
        report = check_store(store)
        if not report.sound:
            raise AssertionError("check: " + " / ".join(report.problems))
        return f"世帯・訪問記録・把握シートを書き込み、check で {sum(report.counts.values()):,} 行を確認"

    def bundle_round_trip(self) -> str:
        import pyrage
        from pyrage import x25519

        from shakyo_desk.store.exchange import devices
        from shakyo_desk.store.exchange.exporting import export_bundle
        from shakyo_desk.store.exchange.importing import import_paths
        from shakyo_desk.store.services import contacts

        enrolment = self.root / "usb" / "enrolment.shakyo"
        safe_file.make_private_dir(enrolment.parent, parents=False)
        code = devices.add_device(self.office, "試験用ノートPC", enrolment)
        self.laptop, _ = devices.join(self.root / "laptop", enrolment, code, "admin", PASSPHRASE)
        contacts.add_contact(self.office, household_id=self.household_id, method="電話",
                             contact_date=clock.today(), seen_heard="同期で届く記録")
        exported = export_bundle(self.office, self.root / "usb")
        self.bundle = exported.path
        report = import_paths(self.laptop, [exported.path])
        if report.refused:
            raise AssertionError(f"取り込みを断られました：{report.refused[0].message}")
        notes = {c.seen_heard for c in contacts.list_contacts(self.laptop, household_id=self.household_id)}
        if not {NOTE, "同期で届く記録"} <= notes:
            raise AssertionError("届いた記録がノートPCにありません")
        inner = pyrage.decrypt(exported.path.read_bytes(), [x25519.Identity.from_str(self.recovery_identity)])
        if not inner:
            raise AssertionError("復旧用の鍵で同期ファイルを開けません")
        return f"同期ファイル {exported.size:,} バイト、{report.applied} 件を別の端末へ反映、復旧用の鍵で開封"

    def handout_pdf(self) -> str:
        from shakyo_desk.reports.handouts import export_handout
        from shakyo_desk.store.services import conferences

        held_on = clock.today() + timedelta(days=7)
        conference = conferences.add_conference(
            self.office, "support", held_on, members=["試験 一郎/自己診断村役場", "試験 二郎/地域包括支援センター"],
            cases=[(self.household_id, "見守りの分担を決めたい")], place="自己診断村役場 会議室")
        self.pdf = self.root / "会議資料.pdf"
        result = export_handout(self.office, conference, self.pdf)
        data = self.pdf.read_bytes()
        if not data.startswith(b"%PDF") or b"BIZUDGothic" not in data:
            raise AssertionError("PDFに日本語フォントが埋め込まれていません")
        return f"配布番号つき {result.copies} 部、{len(data):,} バイト"

    def suppression_solver(self) -> str:
        from shakyo_desk.reports.stats_suppress import solver_version

        return f"小さい数を守る計算（HiGHS {solver_version()}）を読み込み"

    def main_window(self) -> str:
        from shakyo_desk.ui.selftest_ui import check_screens

        return check_screens(self.office, self.pdf, PDF_WORDS)

    # ---- running -----------------------------------------------------------------------

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        return [
            ("データフォルダの作成とロック解除", self.create_and_unlock),
            ("記録の書き込みと点検", self.write_records),
            ("同期ファイルの書き出しと取り込み", self.bundle_round_trip),
            ("会議資料（PDF）の作成", self.handout_pdf),
            ("統計の秘匿の計算", self.suppression_solver),
            ("画面（メイン画面とPDFの表示）", self.main_window),
        ]

    def close(self) -> None:
        for store in (self.office, self.laptop):
            if store is not None and store.is_open:
                store.close()


def run(out: TextIO | None = None) -> int:
    """Run every step in a fresh temporary folder; print a line per step; 0 when all passed."""
    out = out or sys.stdout
    from shakyo_desk import __version__

    def write(text: str) -> None:
        if out is not None:  # a windowed executable without a report stream has no stdout
            out.write(text + "\n")
            out.flush()

    write(f"社協デスク {__version__} 自己診断（Python {sys.version.split()[0]}, {sys.platform}）")
    root = Path(tempfile.mkdtemp(prefix="shakyo-selftest-"))
    test = SelfTest(root)
    started = time.perf_counter()
    try:
        for name, step in test.steps():
            t0 = time.perf_counter()
            try:
                detail = step()
                test.outcomes.append(Outcome(name, True, time.perf_counter() - t0, detail))
                write(f"[OK] {name}：{detail}（{time.perf_counter() - t0:.1f} 秒）")
            except BaseException as error:  # noqa: BLE001 - every failure is a result to report
                if isinstance(error, KeyboardInterrupt):
                    raise
                test.outcomes.append(Outcome(name, False, time.perf_counter() - t0, repr(error)))
                write(f"[NG] {name}：{type(error).__name__}: {error}")
                write("".join(traceback.format_exception(error)).rstrip())
                break  # later steps build on this one
    finally:
        test.close()
        shutil.rmtree(root, ignore_errors=True)
    passed = len(test.outcomes) == len(test.steps()) and all(o.ok for o in test.outcomes)
    total = time.perf_counter() - started
    write(f"結果：{'すべて正常です' if passed else '異常があります。この画面の内容をサポート担当に伝えてください'}"
          f"（{total:.1f} 秒）")
    return 0 if passed else 1
