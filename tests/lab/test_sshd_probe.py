# SPDX-License-Identifier: Apache-2.0
"""Tests of the lab's readiness probe (labkit.sshd.wait_ready) against scripted TCP servers.

An sshd under load (hundreds starting on 2 cores) may take seconds to send its banner after it
accepted the connection. The probe must wait for it on that connection, not hang up and try again:
each new connection makes sshd re-execute itself, so impatient probes only add to the load.
"""

import shutil
import socket
import tempfile
import threading
import time
import unittest
from pathlib import Path

from labkit import LabError, sshd
from labkit.layout import NodePaths


class StillRunning:
    """Stands in for the sshd's Popen: the process never exits."""

    returncode = None

    def poll(self):
        return None


class ScriptedServer:
    """Accepts connections on 127.0.0.1 and answers each, after `delay` seconds, with `banner`
    (nothing at all when `banner` is empty); counts the connections it accepted."""

    def __init__(self, delay: float, banner: bytes):
        self.delay, self.banner, self.accepted = delay, banner, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            self.accepted += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            if self.stopping.wait(self.delay) or not self.banner:
                self.stopping.wait()
                return
            conn.sendall(self.banner)
            self.stopping.wait()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()
        self.listener.close()


class ReadinessProbeTest(unittest.TestCase):
    def setUp(self):
        root = tempfile.mkdtemp(prefix="ringsnap-probetest-")
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        self.paths = NodePaths(Path(root))

    def serve(self, delay: float, banner: bytes) -> ScriptedServer:
        server = ScriptedServer(delay, banner)
        self.addCleanup(server.stop)
        return server

    def test_a_slow_banner_is_waited_for_on_the_first_connection(self):
        server = self.serve(delay=1.5, banner=b"SSH-2.0-OpenSSH_9.2\r\n")

        sshd.wait_ready("slow", self.paths, StillRunning(), "127.0.0.1", server.port, timeout=8)

        self.assertEqual(server.accepted, 1)

    def test_a_silent_listener_is_an_error_naming_the_node_after_the_timeout(self):
        server = self.serve(delay=0, banner=b"")

        began = time.monotonic()
        with self.assertRaises(LabError) as raised:
            sshd.wait_ready("silent", self.paths, StillRunning(), "127.0.0.1", server.port,
                            timeout=2)

        self.assertGreaterEqual(time.monotonic() - began, 2)
        self.assertIn("silent: sshd on 127.0.0.1", str(raised.exception))
        self.assertIn("sent no SSH banner within 2 s", str(raised.exception))

    def test_the_wait_grows_with_the_sshds_started_at_once(self):
        self.assertGreater(sshd.ready_timeout(256), sshd.ready_timeout(1) + 30)


if __name__ == "__main__":
    unittest.main()
