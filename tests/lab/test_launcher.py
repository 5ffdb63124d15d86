# SPDX-License-Identifier: Apache-2.0
"""Tests of the lab launcher (tests/lab/lab) against real sshd processes.

They drive `lab` as a user would (a subprocess) and check the result with the OpenSSH client
and /proc only, never through the launcher's own code, so that they hold the README contract.
Run from the repository root:

    python3 -m unittest discover -s tests/lab -p 'test_*.py'

Every lab lives in a temporary directory and is taken down by a cleanup, also when a test fails.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LAB = Path(__file__).resolve().parent / "lab"
SSHD = "/usr/sbin/sshd"


def run_lab(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, str(LAB), *args], capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"lab {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


def start_lab(test: unittest.TestCase | type, *up_args: str, add_cleanup=None) -> "Lab":
    """`lab up` in a fresh temporary directory; the lab is taken down and the directory removed
    by a cleanup registered before anything starts."""
    lab_dir = os.path.realpath(tempfile.mkdtemp(prefix="ringsnap-labtest-"))
    add_cleanup = add_cleanup or test.addCleanup
    add_cleanup(shutil.rmtree, lab_dir, ignore_errors=True)
    add_cleanup(run_lab, "down", "--dir", lab_dir, check=False)
    run_lab("up", "--dir", lab_dir, *up_args)
    return Lab(Path(lab_dir))


class Lab:
    """What a test needs to know about a running lab, read from `lab env` and `lab status`."""

    def __init__(self, lab_dir: Path):
        self.dir = lab_dir
        self.env = json.loads(run_lab("env", "--json", "--dir", str(lab_dir)).stdout)
        self.port = int(self.env["RINGSNAP_LAB_PORT"])
        self.nodes = json.loads(run_lab("status", "--json", "--dir", str(lab_dir)).stdout)["nodes"]

    def address(self, name: str) -> str:
        return next(n["address"] for n in self.nodes if n["name"] == name).split(":")[0]

    def node_status(self, name: str) -> dict:
        nodes = json.loads(run_lab("status", "--json", "--dir", str(self.dir)).stdout)["nodes"]
        return next(n for n in nodes if n["name"] == name)

    def ssh_argv(self, address: str, command: str, connect_timeout: int = 5) -> list[str]:
        return ["ssh", "-F", "/dev/null", "-i", self.env["RINGSNAP_LAB_KEY"],
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", f"UserKnownHostsFile={self.env['RINGSNAP_LAB_KNOWN_HOSTS']}",
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
                "-o", f"ConnectTimeout={connect_timeout}", "-p", str(self.port),
                "-l", self.env["RINGSNAP_LAB_USER"], address, command]

    def ssh(self, address: str, command: str,
            connect_timeout: int = 5) -> subprocess.CompletedProcess:
        return subprocess.run(self.ssh_argv(address, command, connect_timeout),
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


def processes_of(lab_dir: Path) -> list[str]:
    """Live processes that name `lab_dir` in their command line or run with HOME inside it."""
    found = []
    prefix = str(lab_dir) + "/"
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if stat[stat.rindex(")") + 2] in "ZX":
                continue  # ended, not yet reaped
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        home = next((e[5:].decode() for e in environ if e.startswith(b"HOME=")), "")
        if prefix in cmdline + " " or home.startswith(prefix):
            found.append(f"{entry}: {cmdline}")
    return found


def connect_error(address: str, port: int) -> Exception | None:
    try:
        socket.create_connection((address, port), timeout=2).close()
        return None
    except OSError as error:
        return error


@unittest.skipUnless(os.path.exists(SSHD), "OpenSSH server not installed")
class RunningLabTest(unittest.TestCase):
    """One 2-data-center lab of 2 nodes each, shared by the tests; each test leaves it as found."""

    @classmethod
    def setUpClass(cls):
        cls.lab = start_lab(cls, "--dcs", "2", "--nodes", "2", "--versions", "3.11,4.1.4,5.0",
                            add_cleanup=cls.addClassCleanup)

    def test_every_node_serves_ssh_with_the_lab_key_and_a_scratch_home(self):
        for node in self.lab.nodes:
            with self.subTest(node=node["name"]):
                result = self.lab.ssh(self.lab.address(node["name"]), 'echo "$HOME"; echo "$PATH"')
                self.assertEqual(result.returncode, 0, result.stderr)
                home, path = result.stdout.splitlines()
                node_dir = self.lab.dir / "nodes" / node["name"]
                self.assertEqual(home, str(node_dir / "home"))
                self.assertTrue(path.startswith(f"{node_dir / 'bin'}:"), path)

    def test_topology_addresses_racks_and_round_robin_versions(self):
        index = int(self.lab.env["RINGSNAP_LAB_INDEX"])
        expected = [("dc1-n1", "dc1", "rack1", f"127.{10 + index}.1.11", "3.11"),
                    ("dc1-n2", "dc1", "rack2", f"127.{10 + index}.1.12", "4.1.4"),
                    ("dc2-n1", "dc2", "rack1", f"127.{10 + index}.2.11", "5.0"),
                    ("dc2-n2", "dc2", "rack2", f"127.{10 + index}.2.12", "3.11")]
        actual = [(n["name"], n["dc"], n["rack"], n["address"].split(":")[0], n["version"])
                  for n in self.lab.nodes]
        self.assertEqual(actual, expected)
        expected_port = 22 if os.geteuid() == 0 else 22000 + index
        self.assertEqual(self.lab.port, expected_port)

    def test_cluster_file_names_every_node_and_the_lab_ssh_settings(self):
        text = Path(self.lab.env["RINGSNAP_CLUSTER"]).read_text()
        self.assertIn(f"cluster: lab-{self.lab.env['RINGSNAP_LAB_INDEX']}\n", text)
        self.assertIn(f"  port: {self.lab.port}\n", text)
        self.assertIn(f"  identity_file: {self.lab.env['RINGSNAP_LAB_KEY']}\n", text)
        self.assertIn(f"  known_hosts: {self.lab.env['RINGSNAP_LAB_KNOWN_HOSTS']}\n", text)
        for node in self.lab.nodes:
            node_dir = self.lab.dir / "nodes" / node["name"]
            self.assertIn(f"- host: {self.lab.address(node['name'])}\n", text)
            self.assertIn(f"nodetool: {node_dir}/bin/nodetool\n", text)
            self.assertIn(f"cqlsh: {node_dir}/bin/cqlsh\n", text)
            self.assertIn(f"data_dirs: [{node_dir}/data]\n", text)
        self.assertEqual(self.lab.env["RINGSNAP_LAB_NODES"].split(","),
                         [self.lab.address(n["name"]) for n in self.lab.nodes])

    def test_env_prints_shell_assignments(self):
        lines = run_lab("env", "--dir", str(self.lab.dir)).stdout.splitlines()
        keys = [line.split("=", 1)[0] for line in lines]
        for key in ("RINGSNAP_LAB_DIR", "RINGSNAP_CLUSTER", "RINGSNAP_LAB_KEY",
                    "RINGSNAP_LAB_KNOWN_HOSTS", "RINGSNAP_LAB_PORT", "RINGSNAP_LAB_NODES"):
            self.assertIn(key, keys)

    def test_a_killed_host_refuses_connections_until_revived(self):
        address = self.lab.address("dc1-n2")
        self.addCleanup(run_lab, "revive-host", "dc1-n2", "--dir", str(self.lab.dir), check=False)
        run_lab("kill-host", "dc1-n2", "--dir", str(self.lab.dir))

        self.assertIsInstance(connect_error(address, self.lab.port), ConnectionRefusedError)
        refused = self.lab.ssh(address, "true")
        self.assertEqual(refused.returncode, 255)
        self.assertIn("Connection refused", refused.stderr)
        self.assertEqual(self.lab.node_status("dc1-n2")["sshd"], "down")

        run_lab("revive-host", "dc1-n2", "--dir", str(self.lab.dir))
        revived = self.lab.ssh(address, "echo back")  # same host key: strict checking passes
        self.assertEqual((revived.returncode, revived.stdout), (0, "back\n"), revived.stderr)
        self.assertEqual(self.lab.node_status("dc1-n2")["sshd"], "up")

    def test_a_frozen_host_accepts_tcp_but_never_answers_until_thawed(self):
        address = self.lab.address("dc2-n1")
        self.addCleanup(run_lab, "thaw-host", "dc2-n1", "--dir", str(self.lab.dir), check=False)
        run_lab("freeze-host", "dc2-n1", "--dir", str(self.lab.dir))
        self.assertEqual(self.lab.node_status("dc2-n1")["sshd"], "frozen")

        self.assertIsNone(connect_error(address, self.lab.port))  # the kernel still accepts
        began = time.monotonic()
        hung = self.lab.ssh(address, "true", connect_timeout=2)
        elapsed = time.monotonic() - began
        self.assertEqual(hung.returncode, 255)
        self.assertIn("timed out", hung.stderr)
        self.assertGreaterEqual(elapsed, 1.5)
        self.assertLess(elapsed, 10)

        run_lab("thaw-host", "dc2-n1", "--dir", str(self.lab.dir))
        thawed = self.lab.ssh(address, "echo thawed")
        self.assertEqual((thawed.returncode, thawed.stdout), (0, "thawed\n"), thawed.stderr)

    def test_a_release_runs_as_that_release(self):
        result = self.lab.ssh(self.lab.address("dc1-n2"), "nodetool version")
        self.assertEqual((result.returncode, result.stdout), (0, "ReleaseVersion: 4.1.4\n"), result.stderr)
        result = run_lab("up", "--version", "4.2", "--dir", str(self.lab.dir), check=False)
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown Cassandra version '4.2'", result.stderr)

    def test_up_refuses_a_directory_with_a_running_lab(self):
        result = run_lab("up", "--dir", str(self.lab.dir), check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("running lab", result.stderr)


@unittest.skipUnless(os.path.exists(SSHD), "OpenSSH server not installed")
class SideBySideTest(unittest.TestCase):
    def test_two_labs_started_at_once_get_their_own_index_addresses_and_hosts(self):
        with ThreadPoolExecutor(max_workers=2) as pool:
            labs = list(pool.map(lambda _: start_lab(self, "--nodes", "1"), range(2)))
        indexes = {lab.env["RINGSNAP_LAB_INDEX"] for lab in labs}
        networks = {lab.address("dc1-n1").rsplit(".", 2)[0] for lab in labs}
        self.assertEqual(len(indexes), 2)
        self.assertEqual(len(networks), 2)
        if os.geteuid() != 0:
            self.assertEqual(len({lab.port for lab in labs}), 2)
        for lab in labs:
            result = lab.ssh(lab.address("dc1-n1"), 'echo "$HOME"')
            home = str(lab.dir / "nodes/dc1-n1/home")
            self.assertEqual(result.stdout.strip(), home, result.stderr)


@unittest.skipUnless(os.path.exists(SSHD), "OpenSSH server not installed")
class DownTest(unittest.TestCase):
    def test_down_stops_every_process_and_removes_the_lab(self):
        lab = start_lab(self, "--nodes", "2")
        self.assertTrue(processes_of(lab.dir))  # the sshds, before
        # A session still running, and one that left its shell behind (setsid, no terminal).
        running = subprocess.Popen(lab.ssh_argv(lab.address("dc1-n1"), "sleep 60"),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        self.addCleanup(running.wait)
        self.addCleanup(running.kill)
        detached = lab.ssh(lab.address("dc1-n2"),
                           "setsid sleep 60 </dev/null >/dev/null 2>&1 & echo started")
        self.assertEqual(detached.stdout, "started\n", detached.stderr)

        run_lab("down", "--dir", str(lab.dir))

        self.assertEqual(processes_of(lab.dir), [])
        self.assertFalse(lab.dir.exists())
        claims = Path("/tmp/ringsnap-labs").glob("lab-*.json")
        self.assertNotIn(str(lab.dir), [json.loads(c.read_text())["dir"] for c in claims])


if __name__ == "__main__":
    unittest.main()
