import pytest

from shakyo_desk.cli import main
from shakyo_desk.store.services import districts
from shakyo_desk.store.store import unlock

PASSPHRASE = "correct horse 1"
COUNCIL = "テスト村社会福祉協議会"


class Cli:
    """Run ``main(argv)`` in-process and keep what it printed."""

    def __init__(self, capsys, store_dir):
        self.capsys = capsys
        self.store_dir = store_dir

    def __call__(self, *argv, user="admin", store=True):
        args = list(argv)
        if store:
            args += ["--store", str(self.store_dir)]
        if user:
            args += ["--user", user]
        code = main(args)
        out, err = self.capsys.readouterr()
        return code, out, err

    def raw(self, *argv):
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture(autouse=True)
def cli_env(monkeypatch):
    monkeypatch.setenv("SHAKYO_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("SHAKYO_FAST_KDF", "1")
    monkeypatch.delenv("SHAKYO_DEBUG", raising=False)


@pytest.fixture
def store_dir(tmp_path):
    return tmp_path / "store"


@pytest.fixture
def cli(capsys, store_dir):
    return Cli(capsys, store_dir)


@pytest.fixture
def initialised(cli, store_dir):
    code, _, err = cli("init", "--council", COUNCIL)
    assert code == 0, err
    return store_dir


@pytest.fixture
def district(initialised):
    """Districts have no command yet: add them through the service."""
    store = unlock(initialised, "admin", PASSPHRASE)
    try:
        first = districts.add_district(store, "上町", "かみまち")
        districts.add_district(store, "下町", "しもまち")
    finally:
        store.close()
    return first


@pytest.fixture
def household(cli, district):
    code, out, err = cli("household", "add", "--district", "上町", "--name", "山田 花子", "--kana", "ヤマダ ハナコ",
                         "--address", "架空村上町1-2", "--phone", "0123-45-6789")
    assert code == 0, err
    return out.strip()


def assert_one_japanese_line(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in lines[0]), err
