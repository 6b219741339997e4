"""One running application per user: starting it again brings back the hidden window.

After the panic key every window is hidden (not minimised: nothing in the taskbar, nothing
to click). The way back is to start the application again: the new process finds the
running one through a local socket only this user can open, asks it to show its window (by
then it shows only the unlock screen) and exits. The message carries no data; the worst
another process of the same user can do is make the unlock screen appear.
"""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

ACTIVATE = b"activate\n"
CONNECT_MS = 500


def default_name() -> str:
    # Hashed: the socket path (in /tmp on Linux) should not spell out the user's name.
    user = hashlib.sha256(getpass.getuser().encode("utf-8")).hexdigest()[:16]
    return f"field-intake-{user}"


class AppInstance(QObject):
    activationRequested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or default_name()
        self._server: QLocalServer | None = None

    def claim(self) -> bool:
        """True when this process is now the running instance; False when another one was
        running (it has been asked to show its window) and this process should exit."""
        if self._ask_running_instance():
            return False
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # A socket left by a crashed run: nobody answered above, so it is stale.
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                return True  # still usable, only without the way back after a panic
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def _ask_running_instance(self) -> bool:
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_MS):
            return False
        socket.write(ACTIVATE)
        socket.flush()
        socket.waitForBytesWritten(CONNECT_MS)
        socket.disconnectFromServer()
        return True

    def _on_connection(self) -> None:
        server = self._server
        if server is None:
            return
        while server.hasPendingConnections():
            socket = server.nextPendingConnection()
            if socket is None:
                break
            # Any connection asks for the window; its bytes are not read, so nothing is parsed.
            socket.disconnectFromServer()
            socket.deleteLater()
            self.activationRequested.emit()

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
