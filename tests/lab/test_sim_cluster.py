"""The simulated cluster end to end: cqlsh routing and reads, row merging, restore paths
(schema.cql replay, sstableloader), and seeding."""

import os
import shutil
import subprocess
import sys
import time
import unittest

from simlab import SIM, Lab, sstable_files


class Cql(unittest.TestCase):
    """Four nodes in two data centers, RF 2 in dc1 and 1 in dc2."""

    @classmethod
    def setUpClass(cls):
        cls.lab = Lab([("dc1-n1", "dc1", "rack1", "4.1"), ("dc1-n2", "dc1", "rack2", "4.1"),
                       ("dc1-n3", "dc1", "rack1", "4.1"), ("dc2-n1", "dc2", "rack1", "4.0")])
        cls.lab.cql("dc1-n1", "CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', "
                              "'dc1': 2, 'dc2': 1}")

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def memtable_rows(self, node: str, table: str) -> int:
        """Unflushed writes of ks.<table> in the node's commit log segments."""
        directory = self.lab.node_dir(node, "commitlog")
        count = 0
        for name in os.listdir(directory):
            with open(os.path.join(directory, name), "rb") as f:
                count += sum(1 for line in f.read()[1024:].splitlines() if line.startswith(f"ks/{table}-".encode()))
        return count

    def test_output_format(self):
        out = self.lab.cql("dc1-n1", "CREATE TABLE ks.fmt (id int PRIMARY KEY, v text, b boolean);"
                                     "INSERT INTO ks.fmt (id, v, b) VALUES (7, 'seven', true);"
                                     "SELECT * FROM ks.fmt; SELECT count(*) FROM ks.fmt; SELECT v FROM ks.fmt WHERE id = 8")
        self.assertEqual(out, "\n id | b    | v\n----+------+-------\n  7 | True | seven\n\n(1 rows)\n"
                              "\n count\n-------\n     1\n\n(1 rows)\n"
                              "\n v\n---\n\n\n(0 rows)\n")

    def test_writes_go_to_the_replicas_only(self):
        self.lab.cql("dc1-n1", "CREATE TABLE ks.rep (id int PRIMARY KEY, v text);" +
                     "".join(f"INSERT INTO ks.rep (id, v) VALUES ({i}, 'v');" for i in range(30)))
        counts = {n: self.memtable_rows(n, "rep") for n in ("dc1-n1", "dc1-n2", "dc1-n3", "dc2-n1")}
        self.assertEqual(counts["dc1-n1"] + counts["dc1-n2"] + counts["dc1-n3"], 60)  # RF 2 in dc1
        self.assertEqual(counts["dc2-n1"], 30)  # the only node of dc2
        endpoints = self.lab.ok("dc1-n1", "nodetool", "getendpoints", "ks", "rep", "5").split()
        self.assertEqual(len(endpoints), 3)

    def test_down_replica_misses_writes_and_reads_merge(self):
        lab = self.lab
        lab.cql("dc1-n1", "CREATE TABLE ks.down (id int PRIMARY KEY, v text); INSERT INTO ks.down (id, v) VALUES (1, 'old')")
        lab.ok("dc2-n1", "cassandra-stop")
        try:
            lab.cql("dc1-n1", "INSERT INTO ks.down (id, v) VALUES (1, 'new')")
            self.assertEqual(lab.select_rows("dc1-n2", "SELECT v FROM ks.down WHERE id = 1"), [["new"]])
            result = lab.run("dc2-n1", "cqlsh", "-e", "SELECT * FROM ks.down")
            self.assertEqual(result.returncode, 1)
            self.assertTrue(result.stderr.startswith("Connection error: ('Unable to connect to any servers'"))
        finally:
            lab.ok("dc2-n1", "cassandra-start")
        self.assertEqual(lab.select_rows("dc1-n1", "SELECT v FROM ks.down WHERE id = 1"), [["new"]])  # newest wins
        result = lab.run("dc1-n1", "cqlsh", "-e", "TRUNCATE ks.down")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_last_write_wins_and_tombstones_across_sstables(self):
        lab = self.lab
        lab.cql("dc1-n1", "CREATE TABLE ks.lww (id int, c int, v text, PRIMARY KEY (id, c));"
                          "INSERT INTO ks.lww (id, c, v) VALUES (1, 1, 'a') USING TIMESTAMP 10;"
                          "INSERT INTO ks.lww (id, c, v) VALUES (1, 2, 'b') USING TIMESTAMP 10")
        lab.ok("dc1-n1", "nodetool", "flush")
        lab.cql("dc1-n1", "INSERT INTO ks.lww (id, c, v) VALUES (1, 1, 'stale') USING TIMESTAMP 5;"
                          "UPDATE ks.lww USING TIMESTAMP 20 SET v = 'c' WHERE id = 1 AND c = 2")
        lab.ok("dc1-n2", "nodetool", "flush")
        self.assertEqual(lab.select_rows("dc1-n1", "SELECT * FROM ks.lww WHERE id = 1"), [["1", "1", "a"], ["1", "2", "c"]])
        lab.cql("dc1-n1", "DELETE FROM ks.lww USING TIMESTAMP 15 WHERE id = 1")
        self.assertEqual(lab.select_rows("dc1-n1", "SELECT * FROM ks.lww"), [["1", "2", "c"]])

    def test_errors(self):
        result = self.lab.run("dc1-n1", "cqlsh", "-e", "SELECT * FROM ks.nope; SELEKT 1; USE ks; SELECT * FROM nope")
        self.assertEqual(result.returncode, 2)
        lines = result.stderr.splitlines()
        self.assertEqual(lines[0], '<stdin>:1:InvalidRequest: Error from server: code=2200 [Invalid query] '
                                   'message="table nope does not exist"')
        self.assertTrue(lines[1].startswith("<stdin>:1:SyntaxException: "))
        result = self.lab.run("dc1-n1", "cqlsh", "-e", "CREATE KEYSPACE ks WITH replication = "
                                                     "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        self.assertEqual(result.stderr, "<stdin>:1:AlreadyExists: Keyspace 'ks' already exists\n")

    def test_schema_cql_recreates_a_dropped_table_with_its_id(self):
        lab = self.lab
        lab.cql("dc1-n1", "CREATE KEYSPACE everywhere WITH replication = {'class': 'NetworkTopologyStrategy', "
                          "'dc1': 3}; CREATE TABLE everywhere.again (id int PRIMARY KEY, v text) WITH comment = 'back';"
                          "INSERT INTO everywhere.again (id, v) VALUES (1, 'x')")
        directory = lab.table_dir("dc1-n1", "everywhere", "again")
        lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "keep", "-kt", "everywhere.again")
        lab.cql("dc1-n1", "DROP TABLE everywhere.again")
        schema = os.path.join(directory, "snapshots", "keep", "schema.cql")
        self.assertEqual(lab.run("dc1-n1", "cqlsh", "-f", schema).returncode, 0)
        self.assertEqual(lab.table_dir("dc1-n1", "everywhere", "again"), directory)  # same id, same directory
        self.assertEqual(lab.select_rows("dc1-n1", "SELECT * FROM everywhere.again"), [])
        lab.ok("dc1-n1", "nodetool", "import", "everywhere", "again", os.path.join(directory, "snapshots", "keep"))
        self.assertEqual(lab.select_rows("dc1-n1", "SELECT * FROM everywhere.again WHERE id = 1"), [["1", "x"]])

    def test_sstableloader(self):
        lab = self.lab
        lab.cql("dc1-n1", "CREATE TABLE ks.load (id int PRIMARY KEY, v text);" +
                "".join(f"INSERT INTO ks.load (id, v) VALUES ({i}, 'v{i}');" for i in range(10)))
        lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "l1", "-kt", "ks.load")
        source = os.path.join(lab.dir, "restore", "ks", "load")
        shutil.copytree(os.path.join(lab.table_dir("dc1-n1", "ks", "load"), "snapshots", "l1"), source)
        lab.cql("dc1-n1", "TRUNCATE ks.load")
        lab.ok("dc2-n1", "nodetool", "enablebackup")
        result = lab.run("dc1-n1", "sstableloader", "-d", lab.addresses["dc1-n2"], "--no-progress", source)
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[:2], ["Established connection to initial hosts",
                                     "Opening sstables and calculating sections to stream"])
        self.assertRegex(lines[2], r"^Streaming relevant part of " + source + r"/nb-1-big-Data.db  to \[/[0-9.]+:7000")
        from cassandra_sim import sstable
        held = sstable.read_fragments(os.path.join(source, "nb-1-big-Data.db"))
        rows = lab.select_rows("dc1-n1", "SELECT * FROM ks.load")
        self.assertEqual(sorted(int(r[0]) for r in rows), sorted(f["k"][0] for f in held))
        dc2 = lab.table_dir("dc2-n1", "ks", "load")
        self.assertEqual(len(sstable_files(dc2)), 8)
        self.assertEqual(len(sstable_files(os.path.join(dc2, "backups"))), 8)  # streamed sstables are backed up
        lab.ok("dc2-n1", "nodetool", "disablebackup")

    def test_sstableloader_errors(self):
        lab = self.lab
        result = lab.run("dc1-n1", "sstableloader", "/nonexistent/ks/t")
        self.assertEqual((result.returncode, result.stderr), (1, "Unknown directory: /nonexistent/ks/t\n"))
        result = lab.run("dc1-n1", "sstableloader", lab.dir)
        self.assertEqual((result.returncode, result.stderr), (1, "Initial hosts must be specified (-d)\n"))
        result = lab.run("dc1-n1", "sstableloader")
        self.assertEqual((result.returncode, result.stderr), (1, "Missing sstable directory argument\n"))
        empty = os.path.join(lab.dir, "loadme", "ks", "nope")
        os.makedirs(empty)
        with open(os.path.join(empty, "nb-1-big-Data.db"), "w") as f:
            f.write("x")
        with open(os.path.join(empty, "nb-1-big-Index.db"), "w") as f:
            f.write("x")
        result = lab.run("dc1-n1", "sstableloader", "-d", "127.0.0.1", empty)
        self.assertIn("Skipping file nb-1-big-Data.db: table ks.nope doesn't exist\n", result.stdout)
        self.assertIn("\nSummary statistics: \n   Connections per host    : 1         \n", result.stdout)


class Seeding(unittest.TestCase):
    def test_seed(self):
        lab = Lab([("dc1-n1", "dc1", "rack1", "3.11"), ("dc1-n2", "dc1", "rack1", "4.1"),
                   ("dc2-n1", "dc2", "rack1", "5.0")])
        try:
            began = time.monotonic()
            result = subprocess.run([sys.executable, SIM, "seed", "--lab", lab.dir, "--keyspaces", "2", "--tables", "3",
                                     "--sstables", "2", "--size", "64K"], capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertLess(time.monotonic() - began, 10)
            self.assertIn("seeded 3 nodes: 2 keyspaces, 6 tables, 36 sstables", result.stdout)
            for node, fmt in (("dc1-n1", "me"), ("dc1-n2", "nb"), ("dc2-n1", "nb")):
                directory = lab.table_dir(node, "ks2", "t3")
                data = os.path.join(directory, f"{fmt}-2-big-Data.db")
                self.assertEqual(len(sstable_files(directory)), 16)
                self.assertEqual(os.path.getsize(data), 64 * 1024)
                self.assertFalse(os.path.exists(os.path.join(directory, "backups")))
            rows = lab.select_rows("dc1-n2", "SELECT count(*) FROM ks1.t1")
            self.assertGreaterEqual(int(rows[0][0]), 8)
            status = lab.ok("dc1-n1", "nodetool", "status")
            self.assertIn(" KiB", status)
        finally:
            lab.close()


if __name__ == "__main__":
    unittest.main()
