"""On-disk effects of the simulator, file by file (cassandra-behaviour.md §9-§12, §15): node
layout, sstable components, generations, snapshots (hard links, manifest.json, schema.cql),
backups/, refresh/import renames, truncate/drop snapshots, restarts."""

import json
import os
import unittest

from simlab import Lab, sstable_files

BIG = ["CompressionInfo.db", "Data.db", "Digest.crc32", "Filter.db", "Index.db", "Statistics.db", "Summary.db",
       "TOC.txt"]
BIG_TOC = "CompressionInfo.db\nIndex.db\nTOC.txt\nFilter.db\nSummary.db\nStatistics.db\nDigest.crc32\nData.db\n"


def components(prefix: str) -> list:
    return [f"{prefix}-{c}" for c in BIG]


class CreateNode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab([("dc1-n1", "dc1", "rack1", "3.11"), ("dc1-n2", "dc1", "rack2", "4.1"),
                       ("dc2-n1", "dc2", "rack1", "5.0", 4)])

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def test_layout_and_tools(self):
        for name in ("dc1-n1", "dc1-n2", "dc2-n1"):
            for part in ("bin", "conf", "data", "commitlog", "state"):
                self.assertTrue(os.path.isdir(self.lab.node_dir(name, part)), part)
            for tool in ("nodetool", "cqlsh", "sstableloader", "cassandra-start", "cassandra-stop"):
                path = self.lab.node_dir(name, "bin", tool)
                self.assertTrue(os.access(path, os.X_OK), path)
                with open(path) as f:
                    script = f.read()
                self.assertIn(self.lab.node_dir(name), script)  # absolute node home baked in

    def test_ring_registration(self):
        ring = self.lab.ring()
        self.assertEqual(sorted(ring["nodes"]), ["dc1-n1", "dc1-n2", "dc2-n1"])
        self.assertEqual(len(ring["nodes"]["dc1-n1"]["tokens"]), 256)
        self.assertEqual(len(ring["nodes"]["dc1-n2"]["tokens"]), 16)
        self.assertEqual(len(ring["nodes"]["dc2-n1"]["tokens"]), 4)
        self.assertEqual(ring["nodes"]["dc2-n1"]["release_version"], "5.0.3")
        for node in ring["nodes"].values():
            self.assertTrue(all(-(1 << 63) < t < (1 << 63) for t in node["tokens"]))
            self.assertEqual(node["host_id"], self.lab.node_state(node["name"])["host_id"])
            self.assertTrue(self.lab.node_state(node["name"])["running"])

    def test_system_table_directories(self):
        data = self.lab.data_dir("dc1-n1")
        self.assertTrue(os.path.isdir(os.path.join(data, "system", "local-7ad54392bcdd35a684174e047860b377")))
        self.assertTrue(os.path.isdir(os.path.join(data, "system", "peers-37f71aca7dc2383ba70672528af04d4f")))
        self.assertFalse(os.path.exists(os.path.join(data, "system", "peers_v2-c4325fbb8e5e3bafbd070f9250ed818e")))
        self.assertTrue(os.path.isdir(os.path.join(self.lab.data_dir("dc1-n2"), "system",
                                                   "peers_v2-c4325fbb8e5e3bafbd070f9250ed818e")))
        self.assertTrue(os.path.isdir(os.path.join(self.lab.data_dir("dc2-n1"), "system_auth",
                                                   "roles-5bc52802de2535edaeab188eecebb090")))
        self.assertFalse(os.path.exists(os.path.join(data, "system_views")))
        local = os.path.join(data, "system", "local-7ad54392bcdd35a684174e047860b377")
        self.assertEqual(sstable_files(local), components("me-1-big"))
        with open(os.path.join(local, "me-1-big-TOC.txt")) as f:
            self.assertEqual(f.read(), BIG_TOC)

    def test_cassandra_yaml(self):
        with open(self.lab.node_dir("dc2-n1", "conf", "cassandra.yaml")) as f:
            text = f.read()
        for line in ("incremental_backups: false", "num_tokens: 4", "uuid_sstable_identifiers_enabled: false",
                     "storage_compatibility_mode: CASSANDRA_4", f"    - {self.lab.data_dir('dc2-n1')}",
                     f"commitlog_directory: {self.lab.node_dir('dc2-n1', 'commitlog')}"):
            self.assertIn(line + "\n", text)

    def test_create_node_again_is_harmless(self):
        import subprocess
        import sys
        from simlab import SIM
        before = self.lab.ring()
        subprocess.run([sys.executable, SIM, "create-node", "--lab", self.lab.dir, "--name", "dc1-n1", "--address",
                        self.lab.addresses["dc1-n1"], "--dc", "dc1", "--rack", "rack1", "--version", "3.11"], check=True)
        self.assertEqual(self.lab.ring()["nodes"], before["nodes"])



class InitialToken(unittest.TestCase):
    """A node built to take the place of another one (restore into a new cluster node for node)
    gets that node's tokens through cassandra.yaml initial_token, and their count as num_tokens."""

    def test_initial_token_fixes_the_tokens(self):
        import subprocess
        import sys
        import tempfile
        from simlab import SIM
        with tempfile.TemporaryDirectory(prefix="simlab-") as lab:
            result = subprocess.run([sys.executable, SIM, "create-node", "--lab", lab, "--name", "dc1-n1",
                                     "--address", "127.29.1.11", "--dc", "dc1", "--rack", "rack1", "--version", "4.1",
                                     "--initial-token", "5,-3,9000000000000000000"], capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(os.path.join(lab, "ring.json")) as f:
                self.assertEqual(json.load(f)["nodes"]["dc1-n1"]["tokens"], [-3, 5, 9000000000000000000])
            with open(os.path.join(lab, "nodes", "dc1-n1", "conf", "cassandra.yaml")) as f:
                text = f.read()
            self.assertIn("num_tokens: 3\n", text)
            self.assertIn("initial_token: -3,5,9000000000000000000\n", text)

class DataFiles(unittest.TestCase):
    """One node per version; each test uses its own table."""

    @classmethod
    def setUpClass(cls):
        cls.labs = {v: Lab([("dc1-n1", "dc1", "rack1", v)]) for v in ("3.11", "4.0", "4.1", "5.0")}
        for lab in cls.labs.values():
            lab.cql("dc1-n1", "CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1}")

    @classmethod
    def tearDownClass(cls):
        for lab in cls.labs.values():
            lab.close()


    @staticmethod
    def fmt(version):
        return {"3.11": "me", "4.0": "nb", "4.1": "nb", "5.0": "nb"}[version]

    def new_table(self, lab, name, rows=1):
        inserts = "".join(f"; INSERT INTO ks.{name} (id, v) VALUES ({i}, 'v{i}')" for i in range(rows))
        lab.cql("dc1-n1", f"CREATE TABLE ks.{name} (id int PRIMARY KEY, v text){inserts}")
        return lab.table_dir("dc1-n1", "ks", name)

    def test_flush_generations(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                directory = self.new_table(lab, "gen")
                self.assertEqual(sstable_files(directory), [])  # still in the memtable
                lab.ok("dc1-n1", "nodetool", "flush", "ks", "gen")
                lab.ok("dc1-n1", "nodetool", "flush", "ks", "gen")  # empty memtable: no new sstable
                lab.cql("dc1-n1", "INSERT INTO ks.gen (id, v) VALUES (9, 'nine')")
                lab.ok("dc1-n1", "nodetool", "flush")
                f = self.fmt(version)
                self.assertEqual(sstable_files(directory), sorted(components(f"{f}-1-big") + components(f"{f}-2-big")))
                self.assertFalse(os.path.exists(os.path.join(directory, "backups")))

    def test_snapshot_links_manifest_and_schema(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                directory = self.new_table(lab, "snap")
                lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "s1", "ks")
                snap = os.path.join(directory, "snapshots", "s1")
                f = self.fmt(version)
                files = sstable_files(snap)
                self.assertEqual(files, components(f"{f}-1-big"))
                for name in files:  # hard links of the live files
                    self.assertEqual(os.stat(os.path.join(snap, name)).st_ino, os.stat(os.path.join(directory, name)).st_ino)
                    self.assertGreaterEqual(os.stat(os.path.join(snap, name)).st_nlink, 2)
                with open(os.path.join(snap, "manifest.json")) as m:
                    manifest = m.read()
                if version in ("3.11", "4.0"):
                    self.assertEqual(manifest, f'{{"files":["{f}-1-big-Data.db"]}}\n')
                elif version == "4.1":
                    self.assertRegex(manifest, r'^\{"files":\["nb-1-big-Data.db"\],"created_at":"[-0-9T:.]+Z",'
                                               r'"expires_at":null\}$')
                else:
                    self.assertRegex(manifest, r'^\{\n  "files" : \[ "nb-1-big-Data.db" \],\n  "created_at" : "[-0-9T:.]+Z",'
                                               r'\n  "expires_at" : null,\n  "ephemeral" : false\n\}$')
                with open(os.path.join(snap, "schema.cql")) as s:
                    self.assertTrue(s.read().startswith("CREATE TABLE IF NOT EXISTS ks.snap ("))

    def test_empty_tables_get_manifest_only(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                directory = self.new_table(lab, "empty", rows=0)
                lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "e1", "ks")
                snap = os.path.join(directory, "snapshots", "e1")
                self.assertEqual(sorted(os.listdir(snap)), ["manifest.json", "schema.cql"])

    def test_no_schema_cql_for_system_keyspaces(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "sys1", "system", "system_auth")
                local = os.path.join(lab.data_dir("dc1-n1"), "system", "local-7ad54392bcdd35a684174e047860b377",
                                     "snapshots", "sys1")
                self.assertIn("manifest.json", os.listdir(local))
                self.assertNotIn("schema.cql", os.listdir(local))
                lab.ok("dc1-n1", "nodetool", "clearsnapshot", "-t", "sys1")

    def test_skip_flush(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                directory = self.new_table(lab, "skip")
                lab.ok("dc1-n1", "nodetool", "snapshot", "-sf", "-t", "sf", "-kt", "ks.skip")
                self.assertEqual(sstable_files(os.path.join(directory, "snapshots", "sf")), [])
                self.assertEqual(sstable_files(directory), [])

    def test_incremental_backups(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                directory = self.new_table(lab, "inc")
                lab.ok("dc1-n1", "nodetool", "enablebackup")
                lab.ok("dc1-n1", "nodetool", "flush", "ks", "inc")
                f = self.fmt(version)
                backups = os.path.join(directory, "backups")
                self.assertEqual(sstable_files(backups), components(f"{f}-1-big"))
                self.assertEqual(os.stat(os.path.join(backups, f"{f}-1-big-Data.db")).st_ino,
                                 os.stat(os.path.join(directory, f"{f}-1-big-Data.db")).st_ino)
                lab.cql("dc1-n1", "INSERT INTO ks.inc (id, v) VALUES (7, 'x')")
                lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "inc1", "-kt", "ks.inc")  # its flush is backed up too
                self.assertIn(f"{f}-2-big-Data.db", os.listdir(backups))
                lab.ok("dc1-n1", "nodetool", "clearsnapshot", *([] if version == "3.11" else ["--all"]))
                self.assertIn(f"{f}-2-big-Data.db", os.listdir(backups))  # clearsnapshot leaves backups alone
                lab.ok("dc1-n1", "nodetool", "disablebackup")

    def test_restart_resets_backup_flag_and_resumes_generations(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                directory = self.new_table(lab, "restart")
                lab.ok("dc1-n1", "nodetool", "enablebackup")
                lab.ok("dc1-n1", "nodetool", "flush", "ks", "restart")
                f = self.fmt(version)
                for name in components(f"{f}-1-big"):  # live files gone, only backups/ remember generation 1
                    os.unlink(os.path.join(directory, name))
                lab.ok("dc1-n1", "cassandra-stop")
                self.assertFalse(lab.node_state("dc1-n1")["running"])
                lab.ok("dc1-n1", "cassandra-start")
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "statusbackup"), "not running\n")  # back to the yaml value
                lab.cql("dc1-n1", "INSERT INTO ks.restart (id, v) VALUES (5, 'x')")
                lab.ok("dc1-n1", "nodetool", "flush", "ks", "restart")
                self.assertEqual(sstable_files(directory), components(f"{f}-2-big"))

    def test_stop_flushes_and_kill_replays(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                directory = self.new_table(lab, "crash")
                lab.ok("dc1-n1", "cassandra-stop", "--kill")
                self.assertEqual(sstable_files(directory), [])
                lab.ok("dc1-n1", "cassandra-start")  # commit log replay flushes
                self.assertEqual(len(sstable_files(directory)), 8)
                lab.cql("dc1-n1", "INSERT INTO ks.crash (id, v) VALUES (2, 'y')")
                lab.ok("dc1-n1", "cassandra-stop")  # a drain flushes
                self.assertEqual(len(sstable_files(directory)), 16)
                lab.ok("dc1-n1", "cassandra-start")
                self.assertEqual(len(lab.select_rows("dc1-n1", "SELECT * FROM ks.crash")), 2)

    def test_truncate_and_drop_snapshots(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                directory = self.new_table(lab, "gone", rows=2)
                lab.cql("dc1-n1", "TRUNCATE ks.gone")
                tags = os.listdir(os.path.join(directory, "snapshots"))
                self.assertEqual(len(tags), 1)
                self.assertRegex(tags[0], r"^truncated-\d{13}-gone$")
                self.assertEqual(len(sstable_files(os.path.join(directory, "snapshots", tags[0]))), 8)  # flushed first
                self.assertEqual(sstable_files(directory), [])
                self.assertEqual(lab.select_rows("dc1-n1", "SELECT * FROM ks.gone"), [])
                lab.cql("dc1-n1", "INSERT INTO ks.gone (id, v) VALUES (3, 'z'); DROP TABLE ks.gone")
                tags = sorted(os.listdir(os.path.join(directory, "snapshots")))
                self.assertRegex(tags[0], r"^dropped-\d{13}-gone$")
                self.assertTrue(os.path.isdir(directory))
                self.assertNotIn("gone", lab.ring()["schema"]["keyspaces"]["ks"]["tables"])
                if version != "3.11" and version != "4.0":  # 4.1+ lists snapshots of dropped tables
                    self.assertIn("dropped-", lab.ok("dc1-n1", "nodetool", "listsnapshots"))

    def test_restore_by_copy_and_refresh(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                directory = self.new_table(lab, "restore", rows=3)
                lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "r1", "-kt", "ks.restore")
                lab.cql("dc1-n1", "INSERT INTO ks.restore (id, v) VALUES (100, 'later')")
                lab.ok("dc1-n1", "nodetool", "flush", "ks", "restore")
                lab.cql("dc1-n1", "TRUNCATE ks.restore")
                snap = os.path.join(directory, "snapshots", "r1")
                import shutil
                for name in sstable_files(snap):
                    shutil.copy(os.path.join(snap, name), directory)
                f = self.fmt(version)
                self.assertEqual(lab.select_rows("dc1-n1", "SELECT * FROM ks.restore"), [])  # not live before refresh
                lab.ok("dc1-n1", "nodetool", "refresh", "ks", "restore")
                # generations 1 (snapshot) and 2 (later flush) are taken: the copy of 1 becomes 3
                self.assertEqual(sstable_files(directory), components(f"{f}-3-big"))
                rows = lab.select_rows("dc1-n1", "SELECT * FROM ks.restore")
                self.assertEqual(sorted(r[0] for r in rows), ["0", "1", "2"])

    def test_import_moves_or_copies(self):
        for version in ("4.0", "4.1", "5.0"):
            lab = self.labs[version]
            with self.subTest(version=version):
                directory = self.new_table(lab, "imp", rows=2)
                lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "i1", "-kt", "ks.imp")
                lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "i2", "-kt", "ks.imp")
                lab.cql("dc1-n1", "TRUNCATE ks.imp")
                lab.ok("dc1-n1", "nodetool", "enablebackup")
                snap1 = os.path.join(directory, "snapshots", "i1")
                lab.ok("dc1-n1", "nodetool", "import", "ks", "imp", snap1)
                self.assertEqual(sstable_files(snap1), [])  # moved out
                self.assertEqual(sstable_files(directory), components("nb-2-big"))
                self.assertEqual(sstable_files(os.path.join(directory, "backups")), components("nb-2-big"))
                snap2 = os.path.join(directory, "snapshots", "i2")
                lab.ok("dc1-n1", "nodetool", "import", "--copy-data", "ks", "imp", snap2)
                self.assertEqual(sstable_files(snap2), components("nb-1-big"))  # copied
                self.assertEqual(sstable_files(directory), sorted(components("nb-2-big") + components("nb-3-big")))
                self.assertEqual(len(lab.select_rows("dc1-n1", "SELECT * FROM ks.imp")), 2)
                lab.ok("dc1-n1", "nodetool", "disablebackup")

    def test_import_checks_token_ownership(self):
        lab = Lab([("dc1-n1", "dc1", "rack1", "4.1"), ("dc1-n2", "dc1", "rack1", "4.1")])
        try:
            lab.cql("dc1-n1", "CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1};"
                              "CREATE TABLE ks.t (id int PRIMARY KEY, v text)")
            lab.cql("dc1-n1", "; ".join(f"INSERT INTO ks.t (id, v) VALUES ({i}, 'x')" for i in range(20)))
            lab.ok("dc1-n2", "nodetool", "snapshot", "-t", "n2", "ks")
            snap = os.path.join(lab.table_dir("dc1-n2", "ks", "t"), "snapshots", "n2")
            result = lab.nodetool("dc1-n1", "import", "ks", "t", snap)  # n1 owns none of n2's rows
            self.assertEqual((result.returncode, result.stderr),
                             (1, f"Some directories failed to import, check server logs for details:\n{snap}\n"))
            self.assertEqual(len(sstable_files(snap)), 8)  # nothing moved
            lab.ok("dc1-n1", "nodetool", "import", "--no-tokens", "ks", "t", snap)
            self.assertEqual(sstable_files(snap), [])
        finally:
            lab.close()

    def test_refresh_refuses_newer_format(self):
        lab = self.labs["3.11"]
        directory = self.new_table(lab, "newer", rows=0)
        for name in components("nb-7-big"):
            with open(os.path.join(directory, name), "w") as f:
                f.write("x")
        result = lab.nodetool("dc1-n1", "refresh", "ks", "newer")
        self.assertEqual(result.returncode, 2)
        self.assertTrue(result.stderr.startswith(f"error: Can't open incompatible SSTable! Current version me, "
                                                 f"found file: {directory}/nb-7-big\n"), result.stderr)

    def test_uuid_sstable_identifiers(self):
        lab = Lab([("dc1-n1", "dc1", "rack1", "4.1")])
        try:
            lab.edit_yaml("dc1-n1", "uuid_sstable_identifiers_enabled", "true")
            lab.ok("dc1-n1", "cassandra-stop")
            lab.ok("dc1-n1", "cassandra-start")
            lab.cql("dc1-n1", "CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1};"
                              "CREATE TABLE ks.t (id int PRIMARY KEY, v text); INSERT INTO ks.t (id, v) VALUES (1, 'a')")
            lab.ok("dc1-n1", "nodetool", "flush")
            names = sstable_files(lab.table_dir("dc1-n1", "ks", "t"))
            self.assertEqual(len(names), 8)
            self.assertRegex(names[0], r"^nb-[0-9a-z]{4}_[0-9a-z]{4}_[0-9a-z]{18}-big-CompressionInfo\.db$")
        finally:
            lab.close()

    def test_50_formats(self):
        lab = Lab([("dc1-n1", "dc1", "rack1", "5.0")])
        try:
            lab.cql("dc1-n1", "CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1};"
                              "CREATE TABLE ks.t (id int PRIMARY KEY, v text); INSERT INTO ks.t (id, v) VALUES (1, 'a')")
            lab.ok("dc1-n1", "nodetool", "flush")
            lab.edit_yaml("dc1-n1", "storage_compatibility_mode", "NONE")
            lab.cql("dc1-n1", "INSERT INTO ks.t (id, v) VALUES (2, 'b')")
            lab.ok("dc1-n1", "nodetool", "flush")
            with open(lab.node_dir("dc1-n1", "conf", "cassandra.yaml")) as f:
                text = f.read().replace("selected_format: big", "selected_format: bti")
            with open(lab.node_dir("dc1-n1", "conf", "cassandra.yaml"), "w") as f:
                f.write(text)
            lab.cql("dc1-n1", "INSERT INTO ks.t (id, v) VALUES (3, 'c')")
            lab.ok("dc1-n1", "nodetool", "flush")
            directory = lab.table_dir("dc1-n1", "ks", "t")
            bti = ["CompressionInfo.db", "Data.db", "Digest.crc32", "Filter.db", "Partitions.db", "Rows.db",
                   "Statistics.db", "TOC.txt"]
            self.assertEqual(sstable_files(directory), sorted(components("nb-1-big") + components("oa-2-big") +
                                                              [f"da-3-bti-{c}" for c in bti]))
            with open(os.path.join(directory, "da-3-bti-TOC.txt")) as f:
                self.assertEqual(f.read().split(), ["Data.db", "Statistics.db", "Digest.crc32", "TOC.txt",
                                                    "CompressionInfo.db", "Filter.db", "Partitions.db", "Rows.db"])
            self.assertEqual(len(lab.select_rows("dc1-n1", "SELECT * FROM ks.t")), 3)
        finally:
            lab.close()

    def test_two_data_directories(self):
        lab = Lab([("dc1-n1", "dc1", "rack1", "4.0")], data_dirs=2)
        try:
            lab.cql("dc1-n1", "CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1};"
                              "CREATE TABLE ks.t (id int PRIMARY KEY, v text)")
            for i in range(2):
                lab.cql("dc1-n1", f"INSERT INTO ks.t (id, v) VALUES ({i}, 'x')")
                lab.ok("dc1-n1", "nodetool", "flush")
            lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "two", "ks")
            first = lab.table_dir("dc1-n1", "ks", "t")
            second = first.replace(os.sep + "data" + os.sep, os.sep + "data2" + os.sep)
            self.assertEqual(sstable_files(first), components("nb-1-big"))
            self.assertEqual(sstable_files(second), components("nb-2-big"))
            self.assertEqual(sorted(os.listdir(os.path.join(second, "snapshots", "two"))), components("nb-2-big"))
            with open(os.path.join(first, "snapshots", "two", "manifest.json")) as f:
                self.assertEqual(json.load(f), {"files": ["nb-1-big-Data.db", "nb-2-big-Data.db"]})
        finally:
            lab.close()


if __name__ == "__main__":
    unittest.main()
