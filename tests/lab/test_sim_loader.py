"""sstableloader across clusters: a backup of one lab loaded into another lab, as ringsnap's
restore check does (loader run on the source cluster's nodes, -d naming target nodes), and the
messaging-version rule between loader and receivers (docs/cassandra-behaviour.md §14).

`LoaderAcrossLabs` starts real labs with the launcher (they register in /tmp/ringsnap-labs/, which
is how the loader finds a -d host of another lab) and drives the tools over SSH as ringsnap does.
`StreamingVersions` needs no sshd: one throw-away simulator lab of mixed versions.
"""

import glob
import os
import re
import shlex
import shutil
import unittest
from concurrent.futures import ThreadPoolExecutor

from simlab import Lab as SimLab, sstable_files
from test_launcher import SSHD, run_lab, start_lab

from cassandra_sim import sstable

NO_LAB_ADDRESS = "127.200.1.11"  # index 190: no lab ever owns it (indexes are 1..99)


def cql_rows(stdout: str) -> list:
    """Rows of a cqlsh SELECT as lists of cell strings."""
    rows = []
    for line in stdout.splitlines()[3:]:  # blank, header, separator
        if not line:
            break
        rows.append([c.strip() for c in line.split("|")])
    return rows


class Cluster:
    """A running lab (test_launcher.Lab) driven over SSH."""

    def __init__(self, lab):
        self.lab = lab
        self.dir = str(lab.dir)

    def addr(self, name: str) -> str:
        return self.lab.address(name)

    def names(self) -> list:
        return [n["name"] for n in self.lab.nodes]

    def run(self, name: str, *argv: str):
        return self.lab.ssh(self.addr(name), " ".join(shlex.quote(a) for a in argv))

    def ok(self, name: str, *argv: str) -> str:
        result = self.run(name, *argv)
        if result.returncode != 0:
            raise AssertionError(f"{argv} on {name} failed ({result.returncode}): {result.stdout}{result.stderr}")
        return result.stdout

    def cql(self, name: str, statements: str, *options: str) -> str:
        return self.ok(name, "cqlsh", *options, "-e", statements)

    def table_dir(self, name: str, keyspace: str, table: str) -> str:
        found = glob.glob(os.path.join(self.dir, "nodes", name, "data", keyspace, table + "-*"))
        assert len(found) == 1, found
        return found[0]

    def keys_on(self, name: str, keyspace: str, table: str) -> set:
        """Partition keys held by the live sstables of the table on that node."""
        directory = self.table_dir(name, keyspace, table)
        keys = set()
        for data in glob.glob(os.path.join(directory, "*-Data.db")):
            keys |= {f["k"][0] for f in sstable.read_fragments(data)}
        return keys

    def snapshot_for_loader(self, name: str, keyspace: str, table: str, tag: str) -> str:
        """Snapshot the table on the node and link it as <dir>/<ks>/<table>, the path shape the
        loader takes keyspace and table from (the docs' `ln -s <snapshot folder>`)."""
        self.ok(name, "nodetool", "snapshot", "-t", tag, "-kt", f"{keyspace}.{table}")
        load_dir = os.path.join(self.dir, "restore", name, tag, keyspace)
        os.makedirs(load_dir)
        os.symlink(os.path.join(self.table_dir(name, keyspace, table), "snapshots", tag),
                   os.path.join(load_dir, table))
        return os.path.join(load_dir, table)

    def set_authenticator(self, value: str) -> None:
        for name in self.names():
            path = os.path.join(self.dir, "nodes", name, "conf", "cassandra.yaml")
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(re.sub(r"(?m)^authenticator: .*$", f"authenticator: {value}", text))


@unittest.skipUnless(os.path.exists(SSHD), "OpenSSH server not installed")
class LoaderAcrossLabs(unittest.TestCase):
    """A: 2 nodes 4.1 (the backup's cluster, RF 1). B: 2 nodes 4.0 (a scratch cluster, RF 1, other
    tokens). C: dc1-n1 3.11, dc1-n2 4.1 (RF 2) for the messaging-version rule."""

    @classmethod
    def setUpClass(cls):
        specs = [("--versions", "4.1,4.1"), ("--versions", "4.0,4.0"), ("--versions", "3.11,4.1")]
        with ThreadPoolExecutor(max_workers=3) as pool:
            labs = list(pool.map(lambda spec: start_lab(cls, "--nodes", "2", *spec, add_cleanup=cls.addClassCleanup),
                                 specs))
        cls.a, cls.b, cls.c = (Cluster(lab) for lab in labs)
        for cluster, rf in ((cls.a, 1), (cls.b, 1), (cls.c, 2)):
            cluster.cql("dc1-n1", "CREATE KEYSPACE ks WITH replication = "
                                  f"{{'class': 'NetworkTopologyStrategy', 'dc1': {rf}}}")

    def make_table(self, table: str, *targets) -> None:
        """ks.<table> in A with 20 rows, and empty in the target labs."""
        for cluster in (self.a, *targets):
            cluster.cql("dc1-n1", f"CREATE TABLE ks.{table} (id int PRIMARY KEY, v text)")
        self.a.cql("dc1-n1", "".join(f"INSERT INTO ks.{table} (id, v) VALUES ({i}, 'v{i}');" for i in range(20)))

    def load(self, source: Cluster, node: str, directory: str, *options: str):
        return source.run(node, "sstableloader", *options, "--no-progress", directory)

    def test_a_backup_of_lab_a_loads_into_lab_b_on_b_replicas(self):
        self.make_table("moved", self.b)
        for name in self.a.names():  # each source node loads its own snapshot, as a restore does
            directory = self.a.snapshot_for_loader(name, "ks", "moved", "bk1")
            result = self.load(self.a, name, directory, "-d", self.b.addr("dc1-n1"))
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            b_endpoints = ", ".join(f"/{self.b.addr(n)}:7000" for n in self.b.names())
            self.assertIn(f"  to [{b_endpoints}]\n", result.stdout)

        rows = cql_rows(self.b.cql("dc1-n2", "SELECT * FROM ks.moved"))
        self.assertEqual(sorted((int(r[0]), r[1]) for r in rows), [(i, f"v{i}") for i in range(20)])
        for name in self.b.names():  # every row on the replica B's own tokens give it (RF 1)
            for key in self.b.keys_on(name, "ks", "moved"):
                owner = self.b.ok("dc1-n1", "nodetool", "getendpoints", "ks", "moved", str(key)).split()
                self.assertEqual(owner, [self.b.addr(name)], key)
            self.assertTrue(sstable_files(self.b.table_dir(name, "ks", "moved")))
        self.assertEqual(set().union(*(self.a.keys_on(n, "ks", "moved") for n in self.a.names())), set(range(20)))

    def test_table_missing_on_the_target_is_skipped(self):
        self.make_table("only_a")  # exists in A only
        directory = self.a.snapshot_for_loader("dc1-n1", "ks", "only_a", "bk2")
        result = self.load(self.a, "dc1-n1", directory, "-d", self.b.addr("dc1-n2"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"Skipping file nb-\d+-big-Data.db: table ks.only_a doesn't exist\n")

    def test_target_credentials_are_the_target_clusters(self):
        self.make_table("locked", self.b)
        self.b.set_authenticator("PasswordAuthenticator")
        self.addCleanup(self.b.set_authenticator, "AllowAllAuthenticator")
        directory = self.a.snapshot_for_loader("dc1-n1", "ks", "locked", "bk3")
        target = self.b.addr("dc1-n1")
        result = self.load(self.a, "dc1-n1", directory, "-d", target)
        self.assertEqual(result.returncode, 1)
        self.assertIn("com.datastax.driver.core.exceptions.AuthenticationException: Authentication error on host "
                      f"/{target}:9042: Host /{target}:9042 requires authentication, but no authenticator found in "
                      "Cluster configuration\n", result.stderr)
        result = self.load(self.a, "dc1-n1", directory, "-d", target, "-u", "cassandra", "-pw", "nope")
        self.assertEqual(result.returncode, 1)
        self.assertIn("Provided username cassandra and/or password are incorrect\n", result.stderr)
        result = self.load(self.a, "dc1-n1", directory, "-d", target, "-u", "cassandra", "-pw", "cassandra")
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = cql_rows(self.b.cql("dc1-n1", "SELECT count(*) FROM ks.locked", "-u", "cassandra", "-p", "cassandra"))
        self.assertEqual(int(rows[0][0]), len(self.a.keys_on("dc1-n1", "ks", "locked")))

    def test_unknown_or_down_initial_host_fails_to_connect(self):
        self.make_table("probe")
        directory = self.a.snapshot_for_loader("dc1-n1", "ks", "probe", "bk4")
        result = self.load(self.a, "dc1-n1", directory, "-d", NO_LAB_ADDRESS)
        self.assertEqual((result.returncode, result.stdout), (1, ""))
        self.assertEqual(result.stderr.splitlines()[:2], [
            "Error while connecting to initial hosts",
            "com.datastax.driver.core.exceptions.NoHostAvailableException: All host(s) tried for query failed "
            f"(tried: /{NO_LAB_ADDRESS}:9042 (com.datastax.driver.core.exceptions.TransportException: "
            f"[/{NO_LAB_ADDRESS}:9042] Cannot connect))"])

        self.addCleanup(run_lab, "start-node", "dc1-n2", "--dir", self.b.dir, check=False)
        run_lab("stop-node", "dc1-n2", "--dir", self.b.dir)
        down = self.b.addr("dc1-n2")
        result = self.load(self.a, "dc1-n1", directory, "-d", down)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"(tried: /{down}:9042 (com.datastax.driver.core.exceptions.TransportException: "
                      f"[/{down}:9042] Cannot connect))\n", result.stderr)
        # A host that does not answer is passed over for one that does.
        result = self.load(self.a, "dc1-n1", directory, "-d", f"{NO_LAB_ADDRESS},{down},{self.b.addr('dc1-n1')}")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_initial_hosts_of_two_clusters_load_into_one_of_them(self):
        self.make_table("either", self.b)
        directory = self.a.snapshot_for_loader("dc1-n1", "ks", "either", "bk5")
        rings = {f"[{', '.join(f'/{c.addr(n)}:7000' for n in c.names())}]" for c in (self.a, self.b)}
        for _ in range(3):  # the driver shuffles its contact points: either cluster, never a mix
            result = self.load(self.a, "dc1-n1", directory, "-d", f"{self.a.addr('dc1-n2')},{self.b.addr('dc1-n2')}")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn(re.search(r"  to (\[.*\])\n", result.stdout).group(1), rings)

    def test_receivers_refuse_another_messaging_version(self):
        self.make_table("versions", self.c)
        directory = self.a.snapshot_for_loader("dc1-n1", "ks", "versions", "bk6")
        sent = self.a.keys_on("dc1-n1", "ks", "versions")
        # 4.1 loader into C: the 4.1 node takes its data, the 3.11 node terminates the stream.
        result = self.load(self.a, "dc1-n1", directory, "-d", self.c.addr("dc1-n2"))
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr.splitlines()[:2], ["Streaming to the following hosts failed:",
                                                          f"[/{self.c.addr('dc1-n1')}:7000]"])
        self.assertIn("\tat org.apache.cassandra.tools.BulkLoader", result.stderr)
        self.assertEqual(self.c.keys_on("dc1-n2", "ks", "versions"), sent)
        self.assertEqual(self.c.keys_on("dc1-n1", "ks", "versions"), set())

        # 3.11 loader (C's dc1-n1) into 4.0 nodes: every receiver refuses (3.11 prints no port).
        self.b.cql("dc1-n1", "CREATE TABLE ks.old (id int PRIMARY KEY, v text)")
        self.c.cql("dc1-n1", "CREATE TABLE ks.old (id int PRIMARY KEY, v text); INSERT INTO ks.old (id, v) VALUES (1, 'x')")
        directory = self.c.snapshot_for_loader("dc1-n1", "ks", "old", "bk7")
        result = self.load(self.c, "dc1-n1", directory, "-d", self.b.addr("dc1-n1"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("Streaming to the following hosts failed:\n[/", result.stderr)
        self.assertNotIn(":7000", result.stderr)
        self.assertEqual(cql_rows(self.b.cql("dc1-n1", "SELECT * FROM ks.old")), [])


class StreamingVersions(unittest.TestCase):
    """One simulator lab, RF 3 over a 3.11, a 4.1 and a 5.0 node (5.0 in its default
    storage_compatibility_mode CASSANDRA_4, so messaging version 12). The backup comes from the
    3.11 node (`me` files, which every loader line reads)."""

    @classmethod
    def setUpClass(cls):
        cls.lab = SimLab([("dc1-n1", "dc1", "rack1", "3.11"), ("dc1-n2", "dc1", "rack1", "4.1"),
                          ("dc1-n3", "dc1", "rack1", "5.0")])
        cls.lab.cql("dc1-n2", "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', "
                              "'replication_factor': 3}; CREATE TABLE ks.t (id int PRIMARY KEY, v text);"
                              "INSERT INTO ks.t (id, v) VALUES (1, 'one')")
        cls.lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "s", "-kt", "ks.t")
        cls.source = os.path.join(cls.lab.dir, "restore", "ks", "t")
        shutil.copytree(os.path.join(cls.lab.table_dir("dc1-n1", "ks", "t"), "snapshots", "s"), cls.source)

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def live(self, node: str) -> int:
        return len([f for f in sstable_files(self.lab.table_dir(node, "ks", "t")) if f.endswith("-Data.db")])

    def load_from(self, loader_node: str) -> tuple:
        before = {n: self.live(n) for n in ("dc1-n1", "dc1-n2", "dc1-n3")}
        result = self.lab.run(loader_node, "sstableloader", "-d", "127.0.0.1", "--no-progress", self.source)
        got = sorted(n for n in before if self.live(n) > before[n])
        return result, got

    def failed_hosts(self, result) -> set:
        """The hosts of the failure report (a Java set: its order is no contract)."""
        lines = result.stderr.splitlines()
        listed = lines[lines.index("Streaming to the following hosts failed:") + 1]
        self.assertTrue(listed.startswith("[") and listed.endswith("]"), listed)
        return set(listed[1:-1].split(", "))

    def test_a_4x_loader_reaches_4x_and_compatible_5_0_nodes_not_3_11(self):
        result, got = self.load_from("dc1-n2")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(self.failed_hosts(result), {f"/{self.lab.addresses['dc1-n1']}:7000"})
        self.assertEqual(got, ["dc1-n2", "dc1-n3"])

    def test_a_3_11_loader_reaches_3_11_nodes_only(self):
        result, got = self.load_from("dc1-n1")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(self.failed_hosts(result),
                         {f"/{self.lab.addresses['dc1-n2']}", f"/{self.lab.addresses['dc1-n3']}"})
        self.assertEqual(got, ["dc1-n1"])

    def test_a_5_0_loader_takes_versions_12_and_13(self):
        result, got = self.load_from("dc1-n3")
        self.assertEqual(self.failed_hosts(result), {f"/{self.lab.addresses['dc1-n1']}:7000"})
        self.assertEqual(got, ["dc1-n2", "dc1-n3"])
        self.lab.edit_yaml("dc1-n3", "storage_compatibility_mode", "NONE")  # now messaging version 13
        self.addCleanup(self.lab.edit_yaml, "dc1-n3", "storage_compatibility_mode", "CASSANDRA_4")
        _, got = self.load_from("dc1-n3")
        self.assertEqual(got, ["dc1-n2", "dc1-n3"])
        result, got = self.load_from("dc1-n2")  # a 4.x loader (12) no longer reaches it
        self.assertEqual(self.failed_hosts(result),
                         {f"/{self.lab.addresses['dc1-n1']}:7000", f"/{self.lab.addresses['dc1-n3']}:7000"})
        self.assertEqual(got, ["dc1-n2"])


if __name__ == "__main__":
    unittest.main()
