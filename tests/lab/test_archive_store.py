# SPDX-License-Identifier: Apache-2.0
"""Tests of the lab's archive stores (`lab archive up|down|info`) with the real rclone.

Like test_launcher.py they drive `lab` as a user would (a subprocess) and check the result with
rclone, ssh-keygen and /proc only. rclone runs as `env -u AWS_CA_BUNDLE rclone --config FILE`:
that variable, set on some machines, makes rclone 1.60's S3 backend fail at start
(LoadCustomCABundleError). The s3 tests need s3rver 3.7.1 in $RINGSNAP_NPM_PREFIX (default
build/npm; scripts/common.sh's install_npm_tools installs it).
"""

import configparser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from test_launcher import SSHD, processes_of, run_lab, start_lab

REPO = Path(__file__).resolve().parents[2]
NPM_PREFIX = Path(os.environ.get("RINGSNAP_NPM_PREFIX") or REPO / "build" / "npm")
HAVE_S3RVER = ((NPM_PREFIX / "node_modules/s3rver/package.json").is_file()
               and bool(shutil.which("node")))
NEEDS_TOOLS = unittest.skipUnless(os.path.exists(SSHD) and shutil.which("rclone"),
                                  "OpenSSH server or rclone not installed")
NEEDS_S3RVER = unittest.skipUnless(HAVE_S3RVER, f"s3rver not installed in {NPM_PREFIX} "
                                                f"(scripts/common.sh install_npm_tools)")


def rclone(config: str, *args: str) -> subprocess.CompletedProcess:
    # One try each: a failure the test expects should come at once.
    return subprocess.run(["env", "-u", "AWS_CA_BUNDLE", "rclone", "--config", config,
                           "--retries", "1", "--low-level-retries", "1", *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def archive(lab_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    action, *rest = args
    return run_lab("archive", action, "--dir", str(lab_dir), *rest, check=check)


def archive_info(lab_dir: Path, name: str) -> dict:
    return json.loads(archive(lab_dir, "info", "--name", name, "--json").stdout)


@NEEDS_TOOLS
class StoreKindsTest(unittest.TestCase):
    """One 1-node lab, shared; each test starts its own stores and removes them."""

    @classmethod
    def setUpClass(cls):
        cls.lab = start_lab(cls, "--nodes", "1", add_cleanup=cls.addClassCleanup)

    def store_up(self, kind: str, name: str | None = None) -> dict:
        name = name or kind
        self.addCleanup(archive, self.lab.dir, "down", "--name", name, "--remove", check=False)
        named = ["--name", name] if name != kind else []  # the default name is the kind
        result = archive(self.lab.dir, "up", "--kind", kind, *named)
        self.assertEqual(result.stdout, f"{self.lab.dir / 'archive' / name}\n")
        info = archive_info(self.lab.dir, name)
        self.check_info(info, kind, name)
        return info

    def check_info(self, info: dict, kind: str, name: str) -> None:
        store_dir = self.lab.dir / "archive" / name
        self.assertEqual(info["kind"], kind)
        self.assertTrue(info["remote"].startswith("labstore:"), info["remote"])
        self.assertEqual(info["rclone_config"], str(store_dir / "rclone.conf"))
        self.assertTrue(info["root"].startswith(f"{store_dir}/"), info["root"])
        self.assertEqual(os.stat(info["rclone_config"]).st_mode & 0o777, 0o600)
        config = configparser.ConfigParser()
        config.read(info["rclone_config"])
        self.assertEqual(config.sections(), ["labstore"])
        self.assertEqual(config["labstore"]["type"], kind)
        if kind == "local":
            self.assertEqual((info["pid"], info["port"]), (None, None))
        else:
            self.assertTrue(alive(info["pid"]), info)
            self.assertIsInstance(info["port"], int)

    def check_round_trip(self, info: dict) -> None:
        """copyto lands the bytes under root (key x/y), lsjson lists it with its size."""
        data = os.urandom(70_001)
        with tempfile.NamedTemporaryFile() as blob:
            blob.write(data)
            blob.flush()
            copied = rclone(info["rclone_config"], "copyto", blob.name, f"{info['remote']}/x/y")
        self.assertEqual(copied.returncode, 0, copied.stderr)
        self.assertEqual((Path(info["root"]) / f"x/y{info['object_suffix']}").read_bytes(), data)
        listed = rclone(info["rclone_config"], "lsjson", f"{info['remote']}/x")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertEqual([(e["Path"], e["Size"]) for e in json.loads(listed.stdout)],
                         [("y", len(data))])

    def test_local_store_is_a_directory_outside_the_nodes(self):
        info = self.store_up("local")
        self.assertEqual(info["remote"], f"labstore:{info['root']}")
        self.assertEqual(info["object_suffix"], "")
        self.assertFalse(info["root"].startswith(f"{self.lab.dir / 'nodes'}/"))
        self.check_round_trip(info)

    @NEEDS_S3RVER
    def test_s3_store_is_s3rver_with_bucket_ringsnap(self):
        info = self.store_up("s3")
        self.assertEqual(info["remote"], "labstore:ringsnap")
        self.assertEqual(info["root"], str(self.lab.dir / "archive/s3/store/ringsnap"))
        self.assertEqual(info["object_suffix"], "._S3rver_object")
        self.assertEqual(info["endpoint"], f"http://127.0.0.1:{info['port']}")
        self.check_round_trip(info)

    def test_sftp_store_is_an_sshd_of_its_own(self):
        info = self.store_up("sftp")
        self.assertEqual(info["remote"], f"labstore:{info['root']}")
        node_addresses = {self.lab.address(n["name"]) for n in self.lab.nodes}
        self.assertNotIn(info["address"], node_addresses)
        self.check_round_trip(info)

    def test_sftp_store_refuses_a_host_key_other_than_its_own(self):
        info = self.store_up("sftp", "sftp-hostkey")
        scratch = Path(tempfile.mkdtemp(prefix="ringsnap-archivetest-"))
        self.addCleanup(shutil.rmtree, scratch)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(scratch / "other")], check=True, stdin=subprocess.DEVNULL)
        host_field = Path(info["known_hosts"]).read_text().split()[0]
        other_key = " ".join((scratch / "other.pub").read_text().split()[:2])
        (scratch / "known_hosts").write_text(f"{host_field} {other_key}\n")
        config = Path(info["rclone_config"]).read_text().replace(
            f"known_hosts_file = {info['known_hosts']}\n",
            f"known_hosts_file = {scratch / 'known_hosts'}\n")
        (scratch / "rclone.conf").write_text(config)

        refused = rclone(str(scratch / "rclone.conf"), "lsf", info["remote"])
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("knownhosts: key mismatch", refused.stderr)
        accepted = rclone(info["rclone_config"], "lsf", info["remote"])
        self.assertEqual(accepted.returncode, 0, accepted.stderr)

    @NEEDS_S3RVER
    def test_down_keeps_the_objects_and_up_serves_them_again(self):
        info = self.store_up("s3", "s3-restart")
        self.check_round_trip(info)
        # A stand-in for an rclone client: it names the store's config and remote, not its server.
        client = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(60)", info["rclone_config"],
             info["root"]], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.addCleanup(client.wait)
        self.addCleanup(client.kill)
        archive(self.lab.dir, "down", "--name", "s3-restart")
        self.assertFalse(alive(info["pid"]))
        self.assertIsNone(client.poll())  # the server went away, not its clients
        self.assertIsNone(archive_info(self.lab.dir, "s3-restart")["pid"])
        self.assertTrue((Path(info["root"]) / "x/y._S3rver_object").is_file())

        archive(self.lab.dir, "up", "--kind", "s3", "--name", "s3-restart")
        again = archive_info(self.lab.dir, "s3-restart")
        self.assertTrue(alive(again["pid"]))
        listed = rclone(again["rclone_config"], "lsf", "-R", again["remote"])
        self.assertIn("x/y", listed.stdout.splitlines(), listed.stderr)

        archive(self.lab.dir, "down", "--name", "s3-restart", "--remove")
        self.assertFalse(alive(again["pid"]))
        self.assertFalse((self.lab.dir / "archive/s3-restart").exists())

    def test_info_prints_shell_assignments(self):
        info = self.store_up("local", "local-info")
        lines = archive(self.lab.dir, "info", "--name", "local-info").stdout.splitlines()
        self.assertIn(f"RINGSNAP_ARCHIVE_REMOTE={info['remote']}", lines)
        self.assertIn("RINGSNAP_ARCHIVE_PID=''", lines)

    def test_up_refuses_an_unknown_kind_and_a_store_already_up(self):
        self.assertEqual(archive(self.lab.dir, "up", "--kind", "gcs", check=False).returncode, 2)
        self.store_up("sftp", "sftp-twice")
        again = archive(self.lab.dir, "up", "--kind", "sftp", "--name", "sftp-twice", check=False)
        self.assertEqual(again.returncode, 1)
        self.assertIn("already up", again.stderr)


@NEEDS_TOOLS
class LabDownTest(unittest.TestCase):
    def test_lab_down_stops_every_archive_server_and_session(self):
        lab = start_lab(self, "--nodes", "1")
        kinds = ["local", "sftp"] + (["s3"] if HAVE_S3RVER else [])
        infos = []
        for kind in kinds:
            archive(lab.dir, "up", "--kind", kind)
            infos.append(archive_info(lab.dir, kind))
        servers = [info["pid"] for info in infos if info["pid"]]
        self.assertTrue(servers and all(alive(pid) for pid in servers))
        # A shell session on the sftp store's sshd, still running when the lab goes down.
        sftp = next(info for info in infos if info["kind"] == "sftp")
        session = subprocess.Popen(
            ["ssh", "-F", "/dev/null", "-i", sftp["key_file"], "-o", "IdentitiesOnly=yes",
             "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={sftp['known_hosts']}",
             "-o", "StrictHostKeyChecking=yes", "-p", str(sftp["port"]), "-l", sftp["user"],
             sftp["address"], "echo started; exec sleep 60"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(session.stdout.close)
        self.addCleanup(session.wait)
        self.addCleanup(session.kill)
        self.assertEqual(session.stdout.readline(), "started\n")

        run_lab("down", "--dir", str(lab.dir))

        self.assertEqual([pid for pid in servers if alive(pid)], [])
        self.assertEqual(processes_of(lab.dir), [])
        self.assertFalse(lab.dir.exists())


if __name__ == "__main__":
    unittest.main()
