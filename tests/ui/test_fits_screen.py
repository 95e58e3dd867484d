"""Everything fits the council's laptop (issue 17), end to end on a real X display: Xvfb with
openbox (a real window manager) and a 40-pixel task bar along the bottom (``xstrut``: a dock
reserving its room with ``_NET_WM_STRUT_PARTIAL``), at 1366×768 and 1280×720, at 100/125/150 %
text. The app (a child process, ``fits_screen_probe``, so the display does not leak into the
offscreen suite) opens the demo village as its admin, visits every page and the dialogs
reachable from them; every window's frame lies inside the available geometry, the buttons that
accept or close a dialog and the page's buttons are shown whole, no window squeezes its contents
below their minimum (long dialogs scroll instead), and the columns people read are visible. Screenshots of each screen go to ``$SHAKYO_SCREENSHOTS`` or ``artifacts/screens/``.

Runs where ``Xvfb`` and ``openbox`` are installed (``.ci/run`` installs them), skipped elsewhere."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ui.demo_village import village_template

ROOT = Path(__file__).resolve().parents[2]
TASK_BAR = 40
SIZES = {"1366x768": (1366, 768), "1280x720": (1280, 720)}
PERCENTS = (100, 125, 150)

pytestmark = pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("openbox")),
                                reason="needs Xvfb and openbox (.ci/run installs xvfb and openbox)")


def screenshot_dir() -> Path:
    folder = os.environ.get("SHAKYO_SCREENSHOTS")
    return Path(folder) / "fits_screen" if folder else ROOT / "artifacts" / "screens"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Display:
    """Xvfb at ``size`` with openbox and a task bar; ``env`` for the app's process."""

    def __init__(self, size: tuple[int, int]):
        self.processes: list[subprocess.Popen] = []
        read, write = os.pipe()
        xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size[0]}x{size[1]}x24",
                                 "-nolisten", "tcp", "-noreset"], pass_fds=(write,),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        self.processes.append(xvfb)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not start"
        self.env = dict(os.environ, DISPLAY=f":{number}", QT_QPA_PLATFORM="xcb")
        self.env.pop("WAYLAND_DISPLAY", None)
        self.processes.append(subprocess.Popen(["openbox", "--sm-disable"], env=self.env,
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait(self._managed, 10, "openbox")
        strut = subprocess.Popen([sys.executable, "-m", "tests.ui.xstrut", str(TASK_BAR)], cwd=ROOT, env=self.env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.processes.append(strut)
        assert strut.stdout.readline().strip() == "ready"
        _wait(lambda: self._work_area_height() == size[1] - TASK_BAR, 10, "the task bar's strut")

    def _root_property(self, name: str) -> str:
        found = subprocess.run(["xprop", "-root", name], env=self.env, capture_output=True, text=True)
        return found.stdout if found.returncode == 0 else ""

    def _managed(self) -> bool:
        return "window id" in self._root_property("_NET_SUPPORTING_WM_CHECK")

    def _work_area_height(self) -> int:
        text = self._root_property("_NET_WORKAREA")
        try:
            return int(text.split("=")[1].split(",")[3])
        except (IndexError, ValueError):
            return -1

    def close(self) -> None:
        for process in reversed(self.processes):
            _stop(process)


@pytest.fixture(scope="module", params=list(SIZES), ids=list(SIZES))
def display(request):
    if not shutil.which("xprop"):
        pytest.skip("needs xprop (x11-utils) to see the window manager's work area")
    screen = Display(SIZES[request.param])
    yield request.param, screen
    screen.close()


@pytest.mark.parametrize("percent", PERCENTS, ids=[f"{p}%" for p in PERCENTS])
def test_every_screen_fits(display, percent, tmp_path_factory, tmp_path):
    label, screen = display
    template = village_template(tmp_path_factory)
    # all dialogs at the standard and the largest text; a representative set at 125 %
    coverage = "some" if percent == 125 else "all"
    result = subprocess.run(
        [sys.executable, "-m", "tests.ui.fits_screen_probe", str(template), str(tmp_path / "copy"), str(percent),
         str(screenshot_dir()), f"{label}_{percent}", coverage],
        cwd=ROOT, env=screen.env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-4000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    width, height = SIZES[label]
    assert found["available"] == [0, 0, width, height - TASK_BAR], "the task bar's room is not reserved"
    assert sum(n.startswith("page:") for n in found["screens"]) >= 15
    assert sum(n.startswith("dialog:") for n in found["screens"]) >= (12 if coverage == "some" else 20)
    assert not found["problems"], "\n".join(found["problems"])
    assert not found["columns"], "\n".join(found["columns"])
    assert not found["squeezed"], "\n".join(found["squeezed"])
