"""The demo's first start (issue 20): the main window is shown once the village's households are
written and is usable while the records are written beside it (progress in the status bar);
closing the app meanwhile stops them, and the next start makes the village again, whole."""

from datetime import date

import pytest
import sqlalchemy as sa

from shakyo_desk import demo
from shakyo_desk.store import paths
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import Contact, SupportCase
from shakyo_desk.ui import app as app_module
from shakyo_desk.ui.app import AppController, DemoRestStatus

DAY = date(2026, 12, 7)


@pytest.fixture
def demo_dir(tmp_path, monkeypatch, pin_today):
    pin_today(DAY)
    root = tmp_path / "demo"
    monkeypatch.setattr(paths, "default_demo_dir", lambda: root)
    monkeypatch.setattr(app_module, "_open_demo",
                        lambda progress=None: demo.open_demo_early(root, progress, kdf=FAST_KDF, today=DAY))
    return root


def _count(store, model) -> int:
    with store.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_window_first_then_the_records(qtbot, executor, ui_settings, demo_dir):
    controller = AppController(executor, ui_settings, None, demo=True, kdf=FAST_KDF)
    controller.start()
    window = controller.window
    qtbot.addWidget(window)
    window.idle.stop()
    assert window.isVisible() and (demo_dir / demo.PENDING).exists()
    page = window.pages["households"]
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=5000)  # usable: the households are there
    status = controller.rest_status
    assert isinstance(status, DemoRestStatus) and status.isVisible() and "デモの準備中" in status.label.text()
    qtbot.waitUntil(controller.rest_done.is_set, timeout=120_000)
    qtbot.waitUntil(lambda: controller.rest_status is None, timeout=5000)
    assert not (demo_dir / demo.PENDING).exists()
    store = window.ctx.store
    assert _count(store, Contact) > 0 and _count(store, SupportCase) > 0
    assert "できあがりました" in window.statusBar().currentMessage()
    window.close()
    controller.shutdown()


def test_closing_meanwhile_stops_and_the_next_start_makes_it_again(qtbot, executor, ui_settings, demo_dir):
    controller = AppController(executor, ui_settings, None, demo=True, kdf=FAST_KDF)
    controller.start()
    window = controller.window
    qtbot.addWidget(window)
    window.idle.stop()
    assert controller.demo_rest is not None
    window.close()
    controller.shutdown()  # the app ends while the records are written: stopped, joined
    assert controller._rest_thread is not None and not controller._rest_thread.is_alive()
    qtbot.waitUntil(controller.rest_done.is_set, timeout=5000)  # (its end delivered, nothing shown)
    assert (demo_dir / demo.PENDING).exists()

    again = AppController(executor, ui_settings, None, demo=True, kdf=FAST_KDF)
    again.start()
    window = again.window
    qtbot.addWidget(window)
    window.idle.stop()
    assert again.demo_rest is not None  # made again from nothing, not opened half made
    qtbot.waitUntil(again.rest_done.is_set, timeout=120_000)
    assert not (demo_dir / demo.PENDING).exists()
    reference = demo.open_demo(demo_dir.with_name("whole"), kdf=FAST_KDF, today=DAY)
    try:
        for model in (Contact, SupportCase):
            assert _count(window.ctx.store, model) == _count(reference, model)
    finally:
        reference.close()
    window.close()
    again.shutdown()


def test_a_failure_in_the_records_is_said_and_made_again_next_time(qtbot, executor, ui_settings, demo_dir):
    from shakyo_desk.demo import community
    from shakyo_desk.domain.errors import StoreError

    step = next(s for s in community.WRITE_STEPS)
    original = step.run

    def disk_full(ctx, tick):
        raise StoreError("書き込めませんでした。ディスクの空きを確かめてください。")

    object.__setattr__(step, "run", disk_full)  # (a frozen dataclass)
    try:
        controller = AppController(executor, ui_settings, None, demo=True, kdf=FAST_KDF)
        controller.start()
        window = controller.window
        qtbot.addWidget(window)
        window.idle.stop()
        qtbot.waitUntil(controller.rest_done.is_set, timeout=120_000)
        qtbot.waitUntil(lambda: "作り直します" in window.statusBar().currentMessage(), timeout=5000)
        assert controller.rest_status is None and window.isVisible()  # the window stays usable
        assert (demo_dir / demo.PENDING).exists()
        window.close()
        controller.shutdown()
    finally:
        object.__setattr__(step, "run", original)
