"""One app per data folder: a second start brings the first forward (or says politely that the
app is running) and never opens the store a second time."""

import os
import subprocess
import sys
import textwrap
import time

from shakyo_desk.ui.app import AppController
from shakyo_desk.ui.single_instance import SingleInstance, instance_name
from shakyo_desk.ui.worker import SyncExecutor


def test_the_second_copy_is_refused_and_asks_the_first_to_show(qtbot, tmp_path):
    first, second = SingleInstance(tmp_path / "store"), SingleInstance(tmp_path / "store")
    try:
        assert first.acquire()
        assert not second.acquire()
        with qtbot.waitSignal(first.activated, timeout=3000):
            assert second.ask_first_to_show()
        assert SingleInstance(tmp_path / "other").acquire()  # another data folder is another app
    finally:
        first.release()
    assert not second.ask_first_to_show(timeout_ms=300)  # nobody listens any more
    assert second.acquire()  # and the folder is free again
    second.release()


def test_names_follow_the_folder_not_its_spelling(tmp_path):
    assert instance_name(tmp_path / "store") == instance_name(tmp_path / "x" / ".." / "store")
    assert instance_name(tmp_path / "store") != instance_name(tmp_path / "store2")


def test_bring_forward_shows_the_screen_that_is_open(qtbot, tmp_path, ui_settings):
    controller = AppController(SyncExecutor(), ui_settings, tmp_path / "store")
    controller.start()  # no store yet: the first-run wizard
    wizard = controller.wizard
    qtbot.addWidget(wizard)
    wizard.showMinimized()
    controller.bring_forward()
    assert wizard.isVisible() and not wizard.isMinimized()


HOLDER = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from shakyo_desk.ui.single_instance import SingleInstance
    app = QApplication([])
    guard = SingleInstance(sys.argv[1])
    assert guard.acquire()
    guard.activated.connect(lambda: (print("activated", flush=True), app.quit()))
    print("ready", flush=True)
    QTimer.singleShot(60000, app.quit)
    app.exec()
""")


def test_a_real_second_start_ends_at_once_and_wakes_the_first(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    store = tmp_path / "store"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(store)], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        second = subprocess.run([sys.executable, "-m", "shakyo_desk", "--store", str(store)], env=env,
                                capture_output=True, timeout=60)
        assert second.returncode == 0, second.stderr.decode("utf-8", "replace")
        assert time.perf_counter() - started < 30
        assert holder.stdout.readline().strip() == "activated"
        assert not store.exists()  # the second copy opened nothing, not even the wizard's folder
    finally:
        holder.kill()
        holder.wait()
