"""One running app per data folder: a second start brings the first window forward instead.

Two copies of the app on one store would each hold their own idle lock, open dialogs and
half-typed records over the same database (DESIGN §2: never two writers behind the user's
back). A ``QLockFile`` per store folder decides who runs; Qt treats the lock of a process that
died as stale, so a crash never blocks the next start. The first copy also listens on a local
socket of the same name, so the second one can ask it to come forward and then quietly end.
The command line is not affected: scripts may still run ``backup`` or ``sync`` while the app is
open (the store serialises writers itself)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PySide6.QtCore import QDir, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

ASK = b"show\n"


def instance_name(store_dir: Path) -> str:
    key = os.path.normcase(os.path.abspath(Path(store_dir).expanduser()))
    return "shakyo-desk-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


class SingleInstance(QObject):
    """``acquire()`` once at start; ``activated`` fires when a later start asks us to show."""

    activated = Signal()

    def __init__(self, store_dir: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.name = instance_name(store_dir)
        self.lock = QLockFile(str(Path(QDir.tempPath()) / f"{self.name}.lock"))
        self.lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        self.server: QLocalServer | None = None

    def acquire(self) -> bool:
        if not self.lock.tryLock(200):
            return False
        QLocalServer.removeServer(self.name)  # a socket file left by a crashed copy
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._incoming)
        self.server.listen(self.name)
        return True

    def _incoming(self) -> None:
        while self.server is not None and (socket := self.server.nextPendingConnection()) is not None:
            socket.disconnected.connect(socket.deleteLater)
            socket.disconnectFromServer()
            self.activated.emit()

    def ask_first_to_show(self, timeout_ms: int = 1500) -> bool:
        """Tell the running copy to come forward; False when it does not answer."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(timeout_ms):
            return False
        socket.write(ASK)
        socket.waitForBytesWritten(timeout_ms)
        socket.disconnectFromServer()
        return True

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        if self.lock.isLocked():
            self.lock.unlock()
