"""Restores done wrong must fail in the lab as on a real cluster (cassandra-behaviour.md §6, §15):
releases and their fixes, import's silent no-ops (unreadable versions, pre-CASSANDRA-19401
directory shapes), the Statistics.db rewrite of import and refresh, import's copy mode hard
links."""

import os
import shutil
import subprocess
import sys
import unittest

from simlab import SIM, Lab, sstable_files
from cassandra_sim import sstable
from cassandra_sim.nodetool_data import table_from_path

KEYSPACE = "CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1}"


def new_table(lab, name: str, rows: int = 2) -> str:
    """A table with `rows` rows flushed into one sstable; returns its live directory."""
    inserts = "".join(f"; INSERT INTO ks.{name} (id, v) VALUES ({i}, 'v{i}')" for i in range(rows))
    lab.cql("dc1-n1", f"CREATE TABLE ks.{name} (id int PRIMARY KEY, v text){inserts}")
    lab.ok("dc1-n1", "nodetool", "flush", "ks", name)
    return lab.table_dir("dc1-n1", "ks", name)


def stage(lab, directory: str, *parts) -> str:
    """Hard-link the live sstables of `directory` into <lab>/<parts...> (how ringsnap stages)."""
    target = os.path.join(lab.dir, *parts)
    os.makedirs(target, exist_ok=True)
    for name in sstable_files(directory):
        os.link(os.path.join(directory, name), os.path.join(target, name))
    return target


def stats(path: str) -> dict:
    return sstable.read_stats(path)


class Releases(unittest.TestCase):
    def test_a_release_is_a_version_of_its_line(self):
        lab = Lab([("dc1-n1", "dc1", "rack1", "4.0.12"), ("dc1-n2", "dc1", "rack1", "3.11.4"),
                   ("dc1-n3", "dc1", "rack1", "3.11.2")])
        try:
            self.assertEqual(lab.ok("dc1-n1", "nodetool", "version"), "ReleaseVersion: 4.0.12\n")
            self.assertEqual(lab.ring()["nodes"]["dc1-n1"]["release_version"], "4.0.12")
            self.assertEqual(lab.node_state("dc1-n1")["version"], "4.0")
            self.assertIn("\t4.0.12: [", lab.ok("dc1-n1", "nodetool", "describecluster"))
            self.assertIn("import", lab.ok("dc1-n1", "nodetool", "help"))  # the 4.0 line's commands
            # 3.11 wrote md from 3.11.4 to 3.11.10 and mc before (cassandra-behaviour.md §10.1)
            local = os.path.join(lab.data_dir("dc1-n2"), "system", "local-7ad54392bcdd35a684174e047860b377")
            self.assertIn("md-1-big-Data.db", os.listdir(local))
            local = os.path.join(lab.data_dir("dc1-n3"), "system", "local-7ad54392bcdd35a684174e047860b377")
            self.assertIn("mc-1-big-Data.db", os.listdir(local))
        finally:
            lab.close()

    def test_unknown_versions_are_refused(self):
        for version in ("3.12", "4.0.x", "4.0.1.2", "6.0.0"):
            with self.subTest(version=version):
                result = subprocess.run([sys.executable, SIM, "create-node", "--lab", "/nonexistent", "--name", "n",
                                         "--address", "127.0.0.1", "--dc", "dc1", "--rack", "r", "--version", version],
                                        capture_output=True, text=True)
                self.assertEqual(result.returncode, 2)
                self.assertIn("unsupported Cassandra version", result.stderr)


class SilentNoOps(unittest.TestCase):
    """cassandra-behaviour.md §6.6: import exits 0 and prints nothing for what the node's
    lister skips."""

    @classmethod
    def setUpClass(cls):
        cls.labs = {v: Lab([("dc1-n1", "dc1", "rack1", v)]) for v in ("4.0", "4.1", "5.0")}
        for lab in cls.labs.values():
            lab.cql("dc1-n1", KEYSPACE)

    @classmethod
    def tearDownClass(cls):
        for lab in cls.labs.values():
            lab.close()

    def write_foreign(self, directory: str, prefix: str, rows=((1, "a"),)) -> None:
        """An sstable written elsewhere (another version or format), as ringsnap would stage it."""
        os.makedirs(directory, exist_ok=True)
        fragments = [{"k": [k], "c": [], "m": 1, "v": {"v": [v, 1]}} for k, v in rows]
        sstable.write(directory, sstable.parse_prefix(prefix), fragments)

    def assertSilent(self, result):
        self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "", ""))

    def test_unreadable_versions_and_formats_are_skipped(self):
        cases = {"4.0": ["oa-1-big", "da-2-bti", "nb-3g1m_0nuf_3vj5m2k1125165rxa7-big"],
                 "4.1": ["oa-1-big", "da-2-bti"],
                 "5.0": ["oa-1-big"]}  # 5.0 in its default storage_compatibility_mode CASSANDRA_4
        for version, prefixes in cases.items():
            lab = self.labs[version]
            with self.subTest(version=version):
                directory = new_table(lab, "unreadable", rows=0)
                staging = os.path.join(lab.dir, "stage-unreadable", "ks", "unreadable")
                for prefix in prefixes:
                    self.write_foreign(staging, prefix)
                before = sstable_files(staging)
                self.assertSilent(lab.nodetool("dc1-n1", "import", "ks", "unreadable", staging))
                self.assertEqual(sstable_files(staging), before)  # nothing moved
                self.assertEqual(sstable_files(directory), [])
                self.assertEqual(lab.select_rows("dc1-n1", "SELECT * FROM ks.unreadable"), [])

    def test_readable_files_beside_unreadable_ones_are_imported(self):
        lab = self.labs["5.0"]
        directory = new_table(lab, "mixed", rows=0)
        staging = os.path.join(lab.dir, "stage-mixed", "ks", "mixed")
        self.write_foreign(staging, "oa-1-big", rows=((1, "oa"),))
        self.write_foreign(staging, "nb-2-big", rows=((2, "nb"),))
        self.write_foreign(staging, "da-3-bti", rows=((3, "da"),))  # 5.0 reads BTI in any mode
        self.assertSilent(lab.nodetool("dc1-n1", "import", "ks", "mixed", staging))
        self.assertEqual(sstable_files(staging), [f"oa-1-big-{c}" for c in sorted(sstable.BIG_COMPONENTS)])
        self.assertEqual(sorted(lab.select_rows("dc1-n1", "SELECT * FROM ks.mixed")), [["2", "nb"], ["3", "da"]])
        self.assertTrue(any(n.startswith("nb-") for n in sstable_files(directory)))

    def test_50_reads_oa_once_out_of_cassandra_4_mode(self):
        lab = Lab([("dc1-n1", "dc1", "rack1", "5.0")])
        try:
            lab.cql("dc1-n1", KEYSPACE)
            new_table(lab, "t", rows=0)
            staging = os.path.join(lab.dir, "stage", "ks", "t")
            self.write_foreign(staging, "oa-1-big")
            lab.edit_yaml("dc1-n1", "storage_compatibility_mode", "NONE")
            lab.ok("dc1-n1", "cassandra-stop")
            lab.ok("dc1-n1", "cassandra-start")
            self.assertSilent(lab.nodetool("dc1-n1", "import", "ks", "t", staging))
            self.assertEqual(sstable_files(staging), [])
        finally:
            lab.close()

    def test_real_failures_still_fail_the_directory(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                new_table(lab, "corrupt", rows=0)
                bad = os.path.join(lab.dir, "stage-corrupt", "bad", "ks", "corrupt")
                good = os.path.join(lab.dir, "stage-corrupt", "good", "ks", "corrupt")
                self.write_foreign(bad, "nb-1-big")
                self.write_foreign(good, "nb-1-big", rows=((7, "good"),))
                with open(os.path.join(bad, "nb-1-big-Data.db"), "r+b") as f:
                    f.write(b"garbage")
                result = lab.nodetool("dc1-n1", "import", "ks", "corrupt", bad, good)
                self.assertEqual((result.returncode, result.stdout, result.stderr),
                                 (1, "", f"Some directories failed to import, check server logs for details:\n{bad}\n"))
                self.assertEqual(len(sstable_files(bad)), 8)  # the failed directory keeps its files
                self.assertEqual(sstable_files(good), [])  # the other one was imported
                self.assertEqual(lab.select_rows("dc1-n1", "SELECT * FROM ks.corrupt"), [["7", "good"]])

    def test_live_sstables_are_not_imported_again(self):
        lab = self.labs["4.1"]
        directory = new_table(lab, "live")
        before = sstable_files(directory)
        self.assertSilent(lab.nodetool("dc1-n1", "import", "ks", "live", directory))
        self.assertEqual(sstable_files(directory), before)


class DirectoryShape(unittest.TestCase):
    """CASSANDRA-19401 (cassandra-behaviour.md §6.5): before 4.0.13 / 4.1.5 import names the table
    after the sstables' parent directories and skips the ones that do not match."""

    def test_table_from_path(self):
        cases = {
            "/stage/ks/t": ("ks", "t"),
            "/data/ks/t-d132e240c21711e9bbee19821dcea330": ("ks", "t"),
            "/data/ks/t-d132e240c21711e9bbee19821dcea330/backups": ("ks", "t"),
            "/data/ks/t-d132e240c21711e9bbee19821dcea330/snapshots/tag": ("ks", "t"),
            "/stage/ks/t/backups": ("t", "backups"),  # the layouts need a '-' in the table dir
            "/stage/ks/t/snapshots/tag": ("snapshots", "tag"),
            "/stage/ks/t/host-id-1": ("t", "host"),
            "/data/ks/t-d132e240c21711e9bbee19821dcea330/.t_v_idx": ("ks", "t.t_v_idx"),
            "/stage": ("", "stage"),
        }
        for path, expected in cases.items():
            with self.subTest(path=path):
                self.assertEqual(table_from_path(path), expected)

    def test_before_and_after_the_fix(self):
        lab = Lab([("dc1-n1", "dc1", "rack1", "4.0.12"), ("dc1-n2", "dc1", "rack1", "4.0.13"),
                   ("dc1-n3", "dc1", "rack1", "4.1.4"), ("dc1-n4", "dc1", "rack1", "4.1.5"),
                   ("dc1-n5", "dc1", "rack1", "5.0.0")])
        try:
            lab.cql("dc1-n1", "CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 5};"
                              "CREATE TABLE ks.t (id int PRIMARY KEY, v text); INSERT INTO ks.t (id, v) VALUES (1, 'a')")
            fixed = {"dc1-n1": False, "dc1-n2": True, "dc1-n3": False, "dc1-n4": True, "dc1-n5": True}
            for node, imports_anything in fixed.items():
                with self.subTest(node=node):
                    lab.ok(node, "nodetool", "flush", "ks", "t")
                    live = lab.table_dir(node, "ks", "t")
                    wrong = stage(lab, live, "stage", node, "flat")
                    result = lab.nodetool(node, "import", "ks", "t", wrong)
                    self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "", ""))
                    self.assertEqual(sstable_files(wrong) == [], imports_anything)
                    right = stage(lab, live, "stage", node, "ks", "t")
                    lab.ok(node, "nodetool", "import", "ks", "t", right)
                    self.assertEqual(sstable_files(right), [])  # <stage>/<ks>/<table>/ works everywhere
                    lab.ok(node, "nodetool", "snapshot", "-t", "s", "ks")
                    snapshot = os.path.join(live, "snapshots", "s")
                    lab.ok(node, "nodetool", "import", "--copy-data", "ks", "t", snapshot)  # the snapshot layout too
                    self.assertGreater(len(sstable_files(live)), 8)
        finally:
            lab.close()


class MetadataRewrite(unittest.TestCase):
    """cassandra-behaviour.md §6.4 step 4, §6.7, §6.2: import rewrites the source Statistics.db
    (level 0 unless -l, unrepaired unless -r) by temp file and rename; refresh resets the level
    only."""

    @classmethod
    def setUpClass(cls):
        cls.labs = {v: Lab([("dc1-n1", "dc1", "rack1", v)]) for v in ("3.11", "4.1")}
        for lab in cls.labs.values():
            lab.cql("dc1-n1", KEYSPACE)

    @classmethod
    def tearDownClass(cls):
        for lab in cls.labs.values():
            lab.close()

    def leveled_snapshot(self, lab, name: str) -> tuple:
        """(live dir, snapshot dir, prefix) of a table whose one sstable is at level 3 and
        repaired at 12345, snapshotted as `s`."""
        directory = new_table(lab, name)
        prefix = sstable_files(directory)[0].rsplit("-", 1)[0]
        sstable.rewrite_stats(os.path.join(directory, prefix + "-Statistics.db"), level=3, repaired_at=12345)
        lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "s", "-kt", f"ks.{name}")
        lab.cql("dc1-n1", f"TRUNCATE ks.{name}")
        return directory, os.path.join(directory, "snapshots", "s"), prefix

    def test_copy_mode_hard_links_and_rewrites_statistics(self):
        lab = self.labs["4.1"]
        directory, snapshot, prefix = self.leveled_snapshot(lab, "copy")
        staging = stage(lab, snapshot, "stage-copy", "ks", "copy")
        statistics = os.path.join(staging, prefix + "-Statistics.db")
        with open(statistics, "rb") as f:
            original = f.read()
        original_inode = os.stat(statistics).st_ino
        lab.ok("dc1-n1", "nodetool", "import", "--copy-data", "ks", "copy", staging)
        self.assertEqual(len(sstable_files(staging)), 8)  # everything stays in copy mode...
        self.assertNotEqual(os.stat(statistics).st_ino, original_inode)  # ...but Statistics.db is new
        with open(statistics, "rb") as f:
            self.assertNotEqual(f.read(), original)
        self.assertEqual(stats(os.path.join(snapshot, prefix + "-Statistics.db"))["level"], 3)  # links keep the old
        self.assertEqual((stats(statistics)["level"], stats(statistics)["repaired_at"]), (0, 0))
        live = [n for n in sstable_files(directory) if n.endswith("-Data.db")]
        self.assertEqual(len(live), 1)
        new_prefix = live[0][:-len("-Data.db")]
        for component in ("Data.db", "Statistics.db", "Index.db"):  # hard links, not copies
            self.assertEqual(os.stat(os.path.join(directory, f"{new_prefix}-{component}")).st_ino,
                             os.stat(os.path.join(staging, f"{prefix}-{component}")).st_ino)

    def test_keep_level_and_keep_repaired(self):
        lab = self.labs["4.1"]
        directory, snapshot, prefix = self.leveled_snapshot(lab, "keep")
        both = stage(lab, snapshot, "stage-keep", "both", "ks", "keep")
        inode = os.stat(os.path.join(both, prefix + "-Statistics.db")).st_ino
        lab.ok("dc1-n1", "nodetool", "import", "-p", "-l", "-r", "ks", "keep", both)
        statistics = os.path.join(both, prefix + "-Statistics.db")
        self.assertEqual(os.stat(statistics).st_ino, inode)  # untouched
        self.assertEqual((stats(statistics)["level"], stats(statistics)["repaired_at"]), (3, 12345))
        level_only = stage(lab, snapshot, "stage-keep", "level", "ks", "keep")
        lab.ok("dc1-n1", "nodetool", "import", "--copy-data", "--keep-level", "ks", "keep", level_only)
        statistics = os.path.join(level_only, prefix + "-Statistics.db")
        self.assertNotEqual(os.stat(statistics).st_ino, inode)
        self.assertEqual((stats(statistics)["level"], stats(statistics)["repaired_at"]), (3, 0))

    def test_move_mode_imports_a_rewritten_statistics(self):
        lab = self.labs["4.1"]
        directory, snapshot, prefix = self.leveled_snapshot(lab, "move")
        staging = stage(lab, snapshot, "stage-move", "ks", "move")
        lab.ok("dc1-n1", "nodetool", "import", "ks", "move", staging)
        self.assertEqual(sstable_files(staging), [])
        live = [n for n in sstable_files(directory) if n.endswith("-Statistics.db")]
        self.assertEqual((stats(os.path.join(directory, live[0]))["level"],
                          stats(os.path.join(directory, live[0]))["repaired_at"]), (0, 0))
        self.assertEqual(stats(os.path.join(snapshot, prefix + "-Statistics.db"))["level"], 3)

    def test_refresh_resets_the_level_and_keeps_repaired(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                directory, snapshot, prefix = self.leveled_snapshot(lab, "refreshed")
                for name in sstable_files(snapshot):
                    shutil.copy(os.path.join(snapshot, name), directory)
                lab.ok("dc1-n1", "nodetool", "refresh", "ks", "refreshed")
                live = [n for n in sstable_files(directory) if n.endswith("-Statistics.db")]
                self.assertEqual(len(live), 1)
                self.assertEqual((stats(os.path.join(directory, live[0]))["level"],
                                  stats(os.path.join(directory, live[0]))["repaired_at"]), (0, 12345))


class FlushOverwrite(unittest.TestCase):
    """cassandra-behaviour.md §15: 3.11 (and 4.0, same code) flush into generation counter+1
    without looking, overwriting a file dropped there; 4.1+ never do."""

    @classmethod
    def setUpClass(cls):
        cls.labs = {v: Lab([("dc1-n1", "dc1", "rack1", v)]) for v in ("3.11", "4.0", "4.1")}
        for lab in cls.labs.values():
            lab.cql("dc1-n1", KEYSPACE)

    @classmethod
    def tearDownClass(cls):
        for lab in cls.labs.values():
            lab.close()

    def drop_in(self, lab, name: str, generation: int) -> tuple:
        """Snapshot a 2-row table, truncate it, write one row after that, and hard-link the
        snapshot into the live dir at `generation` (a careless 3.11 restore). Returns (live dir,
        snapshot dir, the snapshot's prefix, the dropped prefix)."""
        directory = new_table(lab, name)
        lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "s", "-kt", f"ks.{name}")
        lab.cql("dc1-n1", f"TRUNCATE ks.{name}; INSERT INTO ks.{name} (id, v) VALUES (9, 'after')")
        snapshot = os.path.join(directory, "snapshots", "s")
        old = sstable_files(snapshot)[0].rsplit("-", 1)[0]
        version = old.split("-")[0]
        new = f"{version}-{generation}-big"
        for name_ in sstable_files(snapshot):
            os.link(os.path.join(snapshot, name_), os.path.join(directory, new + name_[len(old):]))
        return directory, snapshot, old, new

    def test_next_generation_is_overwritten_by_a_flush(self):
        for version in ("3.11", "4.0"):
            lab = self.labs[version]
            with self.subTest(version=version):
                # generation 1 is the snapshot's (truncated away), so the next flush writes 2
                directory, snapshot, old, dropped = self.drop_in(lab, "clobber", 2)
                lab.ok("dc1-n1", "nodetool", "flush", "ks", "clobber")
                lab.ok("dc1-n1", "nodetool", "refresh", "ks", "clobber")
                self.assertEqual(lab.select_rows("dc1-n1", "SELECT * FROM ks.clobber"), [["9", "after"]])
                held = sstable.read_fragments(os.path.join(directory, dropped + "-Data.db"))
                self.assertEqual([f["k"] for f in held], [[9]])  # the flush's row, not the restored ones
                # the snapshot shared the inode: it was overwritten too
                self.assertEqual([f["k"] for f in sstable.read_fragments(os.path.join(snapshot, old + "-Data.db"))],
                                 [[9]])

    def test_generations_far_above_survive_until_refresh(self):
        for version in ("3.11", "4.0"):
            lab = self.labs[version]
            with self.subTest(version=version):
                directory, _, _, dropped = self.drop_in(lab, "far", 1000)
                lab.ok("dc1-n1", "nodetool", "flush", "ks", "far")
                lab.ok("dc1-n1", "nodetool", "refresh", "ks", "far")
                self.assertEqual(sorted(lab.select_rows("dc1-n1", "SELECT * FROM ks.far")),
                                 [["0", "v0"], ["1", "v1"], ["9", "after"]])
                self.assertFalse(os.path.exists(os.path.join(directory, dropped + "-Data.db")))  # renamed down

    def test_41_flushes_around_a_dropped_file(self):
        lab = self.labs["4.1"]
        directory, _, _, dropped = self.drop_in(lab, "around", 2)
        lab.ok("dc1-n1", "nodetool", "flush", "ks", "around")
        self.assertIn("nb-3-big-Data.db", sstable_files(directory))
        lab.ok("dc1-n1", "nodetool", "refresh", "ks", "around")
        self.assertEqual(sorted(lab.select_rows("dc1-n1", "SELECT * FROM ks.around")),
                         [["0", "v0"], ["1", "v1"], ["9", "after"]])


class CommitLog(unittest.TestCase):
    """cassandra-behaviour.md §13.1: unflushed writes live in the commit log directory only; a
    crash keeps them for replay, deleting the segments of a stopped node loses exactly them."""

    def setUp(self):
        self.lab = Lab([("dc1-n1", "dc1", "rack1", "4.1")])
        self.addCleanup(self.lab.close)
        self.lab.cql("dc1-n1", KEYSPACE + "; CREATE TABLE ks.a (id int PRIMARY KEY, v text);"
                                          "CREATE TABLE ks.b (id int PRIMARY KEY, v text)")
        self.commitlog = self.lab.node_dir("dc1-n1", "commitlog")

    def records(self) -> list:
        """Table directory names of the records in the commit log segments."""
        found = []
        for name in sorted(os.listdir(self.commitlog)):
            self.assertRegex(name, r"^CommitLog-7-\d{13}\.log$")
            with open(os.path.join(self.commitlog, name), "rb") as f:
                found += [line.split(b"\t")[0].decode().split("/")[1].split("-")[0]
                          for line in f.read()[1024:].splitlines()]
        return found

    def rows(self, table: str) -> list:
        return sorted(self.lab.select_rows("dc1-n1", f"SELECT * FROM ks.{table}"))

    def test_writes_wait_in_the_commit_log_until_flushed(self):
        self.lab.cql("dc1-n1", "INSERT INTO ks.a (id, v) VALUES (1, 'a'); INSERT INTO ks.b (id, v) VALUES (1, 'b')")
        self.assertEqual(self.records(), ["a", "b"])
        self.assertFalse(os.path.exists(self.lab.node_dir("dc1-n1", "state", "memtables")))
        self.lab.ok("dc1-n1", "nodetool", "flush", "ks", "a")
        self.assertEqual(self.records(), ["b"])  # only the flushed table's records go
        self.assertEqual(self.rows("b"), [["1", "b"]])  # reads merge the memtable
        self.lab.ok("dc1-n1", "cassandra-stop")  # graceful: drains
        self.assertEqual(self.records(), [])
        self.lab.ok("dc1-n1", "cassandra-start")
        self.assertEqual((self.rows("a"), self.rows("b")), ([["1", "a"]], [["1", "b"]]))

    def test_a_crash_replays_and_a_wiped_commit_log_loses_the_unflushed_writes(self):
        self.lab.cql("dc1-n1", "INSERT INTO ks.a (id, v) VALUES (1, 'flushed')")
        self.lab.ok("dc1-n1", "nodetool", "flush")
        self.lab.cql("dc1-n1", "INSERT INTO ks.a (id, v) VALUES (2, 'unflushed')")
        self.lab.ok("dc1-n1", "cassandra-stop", "--kill")
        self.lab.ok("dc1-n1", "cassandra-start")  # replay
        self.assertEqual(self.rows("a"), [["1", "flushed"], ["2", "unflushed"]])
        self.lab.cql("dc1-n1", "INSERT INTO ks.a (id, v) VALUES (3, 'lost')")
        self.lab.ok("dc1-n1", "cassandra-stop", "--kill")
        for name in os.listdir(self.commitlog):
            os.unlink(os.path.join(self.commitlog, name))
        self.lab.ok("dc1-n1", "cassandra-start")
        self.assertEqual(self.rows("a"), [["1", "flushed"], ["2", "unflushed"]])
        self.assertEqual(len(os.listdir(self.commitlog)), 1)  # a fresh segment

    def test_replay_puts_writes_back_over_a_restore_unless_the_commit_log_is_cleared(self):
        """The documented node-restart restore (cassandra-behaviour.md §16.2): without draining, a
        restored table gets its post-backup writes back from the commit log."""
        self.lab.cql("dc1-n1", "INSERT INTO ks.a (id, v) VALUES (1, 'backed up')")
        self.lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "s", "ks")
        self.lab.cql("dc1-n1", "INSERT INTO ks.a (id, v) VALUES (2, 'after the backup')")
        self.lab.ok("dc1-n1", "cassandra-stop", "--kill")
        directory = self.lab.table_dir("dc1-n1", "ks", "a")
        snapshot = os.path.join(directory, "snapshots", "s")
        for name in sstable_files(directory):
            os.unlink(os.path.join(directory, name))
        for name in sstable_files(snapshot):
            os.link(os.path.join(snapshot, name), os.path.join(directory, name))
        self.lab.ok("dc1-n1", "cassandra-start")
        self.assertEqual(self.rows("a"), [["1", "backed up"], ["2", "after the backup"]])

    def test_truncate_and_recreate_leave_nothing_to_replay(self):
        self.lab.edit_yaml("dc1-n1", "auto_snapshot", "false")
        self.lab.cql("dc1-n1", "INSERT INTO ks.a (id, v) VALUES (1, 'a'); TRUNCATE ks.a;"
                               "INSERT INTO ks.b (id, v) VALUES (1, 'b'); DROP TABLE ks.b;"
                               "CREATE TABLE ks.b (id int PRIMARY KEY, v text)")
        self.assertEqual(self.records(), [])
        self.lab.cql("dc1-n1", "INSERT INTO ks.b (id, v) VALUES (2, 'new b')")
        self.lab.ok("dc1-n1", "cassandra-stop", "--kill")
        self.lab.ok("dc1-n1", "cassandra-start")
        self.assertEqual((self.rows("a"), self.rows("b")), ([], [["2", "new b"]]))
        self.assertEqual(sstable_files(self.lab.table_dir("dc1-n1", "ks", "a")), [])  # truncate dumped, no flush

    def test_commitlog_directory_setting(self):
        elsewhere = os.path.join(self.lab.dir, "elsewhere")
        self.lab.edit_yaml("dc1-n1", "commitlog_directory", elsewhere)
        self.lab.ok("dc1-n1", "cassandra-stop")
        self.lab.ok("dc1-n1", "cassandra-start")
        self.lab.cql("dc1-n1", "INSERT INTO ks.a (id, v) VALUES (1, 'a')")
        self.lab.ok("dc1-n1", "cassandra-stop", "--kill")
        self.commitlog = elsewhere
        self.assertEqual(self.records(), ["a"])
        self.lab.ok("dc1-n1", "cassandra-start")
        self.assertEqual(self.rows("a"), [["1", "a"]])


if __name__ == "__main__":
    unittest.main()
