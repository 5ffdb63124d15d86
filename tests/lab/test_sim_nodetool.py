"""nodetool of the simulator, run through bin/nodetool: output texts, streams and exit codes per
version as docs/cassandra-behaviour.md gives them (§2-§8)."""

import os
import re
import time
import unittest

from simlab import Lab

VERSIONS = ("3.11", "4.0", "4.1", "5.0")
HELP = "See 'nodetool help' or 'nodetool help <command>'.\n"


class PerVersion(unittest.TestCase):
    """One two-node lab per version (dc1-n1 of rack1, dc2-n1 of rack1 in dc2)."""

    @classmethod
    def setUpClass(cls):
        cls.labs = {}
        for version in VERSIONS:
            lab = Lab([("dc1-n1", "dc1", "rack1", version), ("dc2-n1", "dc2", "rack1", version)])
            lab.cql("dc1-n1", "CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', "
                              "'dc1': 1, 'dc2': 1}; CREATE TABLE ks.t (id int PRIMARY KEY, v text); "
                              "CREATE TABLE ks.u (id int PRIMARY KEY, v text); "
                              "INSERT INTO ks.t (id, v) VALUES (1, 'one')")
            cls.labs[version] = lab

    @classmethod
    def tearDownClass(cls):
        for lab in cls.labs.values():
            lab.close()


    def assertBadUse(self, result, message):
        self.assertEqual((result.returncode, result.stderr), (1, ""))
        self.assertTrue(result.stdout.endswith(f"nodetool: {message}\n{HELP}"), result.stdout)

    def assertServerError(self, result, message, java_class="java.io.IOException"):
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        lines = result.stderr.splitlines()
        self.assertEqual(lines[:3], [f"error: {message}", "-- StackTrace --", f"{java_class}: {message}"])
        self.assertTrue(lines[3].startswith("\tat "))

    # --- general ------------------------------------------------------------------------------
    def test_version(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                release = {"3.11": "3.11.18", "4.0": "4.0.13", "4.1": "4.1.6", "5.0": "5.0.3"}[version]
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "version"), f"ReleaseVersion: {release}\n")

    def test_unknown_command_falls_back_to_help(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                self.assertBadUse(lab.nodetool("dc1-n1", "nosuch", "arg"), "Found unexpected parameters: [nosuch, arg]")

    def test_import_is_unknown_to_311(self):
        result = self.labs["3.11"].nodetool("dc1-n1", "import", "ks", "t", "/tmp")
        self.assertBadUse(result, "Found unexpected parameters: [import, ks, t, /tmp]")

    def test_global_option_after_command_is_a_positional(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                self.assertBadUse(lab.nodetool("dc1-n1", "drain", "-h", "127.0.0.1"),
                                  "Found unexpected parameters: [-h, 127.0.0.1]")

    def test_missing_option_value(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                self.assertBadUse(lab.nodetool("dc1-n1", "snapshot", "-t"), "Required values for option 'tag' not provided")

    def test_global_options_before_command(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                result = lab.nodetool("dc1-n1", "-h", "127.0.0.1", "-p", "7199", "-u", "monitor", "-pw", "secret",
                                      "statusbackup")
                self.assertEqual((result.returncode, result.stdout), (0, "not running\n"))

    def test_help_needs_no_connection(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                result = lab.nodetool("dc1-n1")
                self.assertEqual(result.returncode, 0)
                self.assertIn("usage: nodetool", result.stdout)

    def test_history_hides_password(self):
        lab = self.labs["4.1"]
        lab.nodetool("dc1-n1", "-u", "u", "-pw", "hunter2", "version")
        with open(os.path.join(lab.home_dir, ".cassandra", "nodetool.history")) as f:
            history = f.read()
        self.assertRegex(history, r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}: -u u -pw <hidden> version\n")
        self.assertNotIn("hunter2", history)

    def test_connection_refused_when_stopped(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                lab.ok("dc2-n1", "cassandra-stop")
                try:
                    result = lab.nodetool("dc2-n1", "status")
                    refused = "Connection refused (Connection refused)" if version == "3.11" else "Connection refused"
                    self.assertEqual((result.returncode, result.stdout), (1, ""))
                    self.assertEqual(result.stderr, f"nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: "
                                                    f"'{refused}'.\n")
                    status = lab.ok("dc1-n1", "nodetool", "status")
                    self.assertRegex(status, r"\nDN  " + re.escape(lab.addresses["dc2-n1"]))
                finally:
                    lab.ok("dc2-n1", "cassandra-start")

    def test_wrong_port_and_bad_port(self):
        lab = self.labs["4.0"]
        result = lab.nodetool("dc1-n1", "-p", "7200", "version")
        self.assertEqual(result.stderr, "nodetool: Failed to connect to '127.0.0.1:7200' - ConnectException: "
                                        "'Connection refused'.\n")
        self.assertBadUse(lab.nodetool("dc1-n1", "-p", "x", "version"), 'For input string: "x"')

    def test_jmx_authentication(self):
        lab = self.labs["4.1"]
        password_file = lab.node_dir("dc1-n1", "conf", "jmxremote.password")
        with open(password_file, "w") as f:
            f.write("monitor s3cret\n")
        try:
            result = lab.nodetool("dc1-n1", "version")
            self.assertEqual(result.stderr, "nodetool: Failed to connect to '127.0.0.1:7199' - SecurityException: "
                                            "'Authentication failed! Credentials required'.\n")
            result = lab.nodetool("dc1-n1", "-u", "monitor", "-pw", "wrong", "version")
            self.assertIn("'Authentication failed! Invalid username or password'.", result.stderr)
            self.assertEqual(lab.nodetool("dc1-n1", "-u", "monitor", "-pw", "s3cret", "version").returncode, 0)
            self.assertEqual(lab.nodetool("dc1-n1", "-u", "monitor", "-pwf", password_file, "version").returncode, 0)
        finally:
            os.unlink(password_file)

    # --- status and friends -----------------------------------------------------------------------
    def test_status_311_printf_format(self):
        lab = self.labs["3.11"]
        lines = lab.ok("dc1-n1", "nodetool", "status").split("\n")
        addr1, addr2 = lab.addresses["dc1-n1"], lab.addresses["dc2-n1"]
        width = max(len(addr1), len(addr2))
        header = "--  " + "Address".ljust(width) + "  Load       Tokens       Owns (effective)  " + "Host ID".ljust(36) + "  Rack"
        self.assertEqual(lines[:5], ["Datacenter: dc1", "===============", "Status=Up/Down",
                                     "|/ State=Normal/Leaving/Joining/Moving", header])
        self.assertRegex(lines[5], r"^UN  " + re.escape(addr1.ljust(width)) +
                         r"  \d+(\.\d+)? (KiB|bytes) *  256          100\.0%            [0-9a-f-]{36}  rack1$")
        self.assertEqual(lines[6], "Datacenter: dc2")  # no blank line between data centers in 3.11
        self.assertEqual(lines[-3:], [lines[-3], "", ""])

    def test_status_40_table_builder(self):
        for version in ("4.0", "4.1", "5.0"):
            lab = self.labs[version]
            with self.subTest(version=version):
                out = lab.ok("dc1-n1", "nodetool", "status")
                blocks = out.split("\n\n")
                self.assertEqual(len(blocks), 3)  # dc1, dc2 (blank line between), then the final %n
                first = blocks[0].split("\n")
                self.assertEqual(first[:4], ["Datacenter: dc1", "===============", "Status=Up/Down",
                                             "|/ State=Normal/Leaving/Joining/Moving"])
                self.assertRegex(first[4], r"^--  Address +Load +Tokens  Owns \(effective\)  Host ID +Rack $")
                self.assertRegex(first[5], r"^UN  \S+ +\S+ \S+ +16      100\.0%            [0-9a-f-]{36}  rack1$")
                self.assertEqual(len(first[4]), len(first[5]))
                second = blocks[1].split("\n")
                self.assertEqual(second[0], "Datacenter: dc2")
                self.assertEqual(len(second[4]), len(first[4]))  # widths shared across data centers
                self.assertEqual(blocks[2], "")

    def test_status_with_unknown_keyspace(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                result = lab.nodetool("dc1-n1", "status", "nope")
                self.assertEqual((result.returncode, result.stdout), (1, "\nError: The keyspace nope, does not exist\n"))

    def test_status_note_when_replication_differs(self):
        lab = self.labs["4.1"]
        lab.cql("dc1-n1", "CREATE KEYSPACE other WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try:
            out = lab.ok("dc1-n1", "nodetool", "status")
            self.assertTrue(out.endswith("\nNote: Non-system keyspaces don't have the same replication settings, "
                                         "effective ownership information is meaningless\n"), out)
            self.assertRegex(out, r"--  Address +Load +Tokens  Owns  Host ID")
            self.assertRegex(out, r"UN  \S+ +\S+ \S+ +16      \?     ")
        finally:
            lab.cql("dc1-n1", "DROP KEYSPACE other")

    def test_info(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                lines = lab.ok("dc1-n1", "nodetool", "info").splitlines()
                labels = [line[:23].rstrip() for line in lines]
                self.assertEqual(lines[0], "ID                     : " + lab.node_state("dc1-n1")["host_id"])
                self.assertEqual("Thrift active" in labels, version == "3.11")
                self.assertEqual("Network Cache" in labels, version != "3.11")
                self.assertEqual("Uncompressed load" in labels, version == "5.0")
                self.assertIn("Data Center            : dc1", lines)
                self.assertIn("Rack                   : rack1", lines)
                tokens = 256 if version == "3.11" else 16
                self.assertIn(f"Token                  : (invoke with -T/--tokens to see all {tokens} tokens)", lines)

    def test_describecluster(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                out = lab.ok("dc1-n1", "nodetool", "describecluster")
                schema = lab.ring()["schema"]["version"]
                addresses = f"[{lab.addresses['dc1-n1']}, {lab.addresses['dc2-n1']}]"
                self.assertTrue(out.startswith("Cluster Information:\n\tName: Test Cluster\n\tSnitch: "
                                               "org.apache.cassandra.locator.GossipingPropertyFileSnitch\n"
                                               "\tDynamicEndPointSnitch: enabled\n\tPartitioner: "
                                               "org.apache.cassandra.dht.Murmur3Partitioner\n\tSchema versions:\n"
                                               f"\t\t{schema}: {addresses}\n\n"), out)
                if version == "3.11":
                    self.assertNotIn("Stats for all nodes", out)
                else:
                    self.assertIn("\nData Centers: \n\tdc1 #Nodes: 1 #Down: 0\n\tdc2 #Nodes: 1 #Down: 0\n", out)
                    self.assertIn("\tks -> Replication class: NetworkTopologyStrategy {dc1=1, dc2=1}\n", out)

    def test_ring(self):
        lab = self.labs["4.1"]
        out = lab.ok("dc1-n1", "nodetool", "ring")
        self.assertTrue(out.startswith("\nDatacenter: dc1\n==========\nAddress"), out[:80])
        self.assertIn('  Warning: "nodetool ring" is used to output all the tokens of a node.\n', out)
        self.assertTrue(out.endswith("\n  "))

    def test_datapaths(self):
        lab = self.labs["4.1"]
        out = lab.ok("dc1-n1", "nodetool", "datapaths", "ks.t")
        self.assertEqual(out, f"Keyspace: ks\n\tTable: t\n\tPaths:\n\t\t{os.path.realpath(lab.table_dir('dc1-n1', 'ks', 't'))}\n\n")
        self.assertBadUse(lab.nodetool("dc1-n1", "datapaths", "-F", "xml"), "arguments for -F are yaml and json only.")
        self.assertBadUse(self.labs["4.0"].nodetool("dc1-n1", "datapaths"), "Found unexpected parameters: [datapaths]")

    # --- flush --------------------------------------------------------------------------------------
    def test_flush_errors(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                self.assertBadUse(lab.nodetool("dc1-n1", "flush", "nope"), "Keyspace [nope] does not exist.")
                self.assertServerError(lab.nodetool("dc1-n1", "flush", "ks", "nope"), "Unknown keyspace/cf pair (ks.nope)",
                                       "java.lang.IllegalArgumentException")
                result = lab.nodetool("dc1-n1", "flush")
                self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "", ""))

    def test_flush_all_keyspaces_or_one_after_double_dash(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                directory = lab.table_dir("dc1-n1", "ks", "u")
                before = len(os.listdir(directory))
                lab.cql("dc1-n1", "INSERT INTO ks.u (id, v) VALUES (1, 'a')")
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "flush", "--", "ks"), "")
                self.assertEqual(len(os.listdir(directory)), before + 8)
                lab.cql("dc1-n1", "INSERT INTO ks.u (id, v) VALUES (2, 'b')")
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "flush"), "")  # no argument: every keyspace
                self.assertEqual(len(os.listdir(directory)), before + 16)

    def test_double_dash_before_refresh_and_import_arguments(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                deprecated = "" if version == "3.11" else "nodetool refresh is deprecated, use nodetool import instead\n"
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "refresh", "--", "ks", "t"), deprecated)
                if version != "3.11":
                    empty = os.path.join(lab.dir, "empty-dash")
                    os.makedirs(empty, exist_ok=True)
                    self.assertEqual(lab.ok("dc1-n1", "nodetool", "import", "--copy-data", "--", "ks", "t", empty), "")

    # --- snapshot -----------------------------------------------------------------------------------
    def test_snapshot_output(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                out = lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "out1", "ks")
                self.assertEqual(out, "Requested creating snapshot(s) for [ks] with snapshot name [out1] and options "
                                      "{skipFlush=false}\nSnapshot directory: out1\n")
                out = lab.ok("dc1-n1", "nodetool", "snapshot", "-kt", "ks.t, ks.u", "-t", "out2", "-sf")
                self.assertEqual(out, "Requested creating snapshot(s) for [ks.t,ks.u] with snapshot name [out2] and "
                                      "options {skipFlush=true}\nSnapshot directory: out2\n")
                out = lab.ok("dc1-n1", "nodetool", "snapshot", "--table", "t", "-t", "out3", "ks")
                self.assertIn("for [ks] with snapshot name [out3]", out)
                before = int(time.time() * 1000)
                out = lab.ok("dc1-n1", "nodetool", "snapshot", "ks")
                tag = re.fullmatch(r"Requested creating snapshot\(s\) for \[ks\] with snapshot name \[(\d+)\] and options "
                                   r"\{skipFlush=false\}\nSnapshot directory: (\d+)\n", out)
                self.assertIsNotNone(tag, out)
                self.assertTrue(before - 1000 <= int(tag.group(1)) <= before + 5000)
                lab.ok("dc1-n1", "nodetool", "clearsnapshot", *([] if version == "3.11" else ["--all"]))

    def test_snapshot_all_keyspaces(self):
        lab = self.labs["4.0"]
        out = lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "everything")
        self.assertTrue(out.startswith("Requested creating snapshot(s) for [all keyspaces] with snapshot name "
                                       "[everything] and options {skipFlush=false}\n"))
        for keyspace in ("system", "system_schema", "system_auth", "system_distributed", "system_traces", "ks"):
            tables = os.listdir(os.path.join(lab.data_dir("dc1-n1"), keyspace))
            self.assertTrue(all(os.path.isdir(os.path.join(lab.data_dir("dc1-n1"), keyspace, t, "snapshots",
                                                           "everything")) for t in tables), keyspace)
        lab.ok("dc1-n1", "nodetool", "clearsnapshot", "-t", "everything")

    def test_snapshot_already_exists(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "dup", "ks")
                result = lab.nodetool("dc1-n1", "snapshot", "-t", "dup", "ks")
                self.assertEqual(result.stdout, "Requested creating snapshot(s) for [ks] with snapshot name [dup] and "
                                                "options {skipFlush=false}\n")  # printed before the server call
                self.assertServerError(result, "Snapshot dup already exists.")
                result = lab.nodetool("dc1-n1", "snapshot", "-t", "dup", "-kt", "ks.t")
                self.assertServerError(result, "Snapshot dup already exists.")
                lab.ok("dc1-n1", "nodetool", "clearsnapshot", "-t", "dup")

    def test_snapshot_unknown_keyspace(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                result = lab.nodetool("dc1-n1", "snapshot", "-t", "x", "nope")
                if version == "3.11":
                    self.assertServerError(result, "Keyspace nope does not exist")
                else:
                    self.assertBadUse(result, "Keyspace nope does not exist")
                    self.assertTrue(result.stdout.startswith("Requested creating snapshot(s) for [nope]"))

    def test_snapshot_virtual_keyspace(self):
        self.assertBadUse(self.labs["4.1"].nodetool("dc1-n1", "snapshot", "-t", "x", "system_views"),
                          "Cannot perform any operations against virtual keyspace system_views")

    def test_snapshot_unknown_table(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                self.assertBadUse(lab.nodetool("dc1-n1", "snapshot", "-t", "x", "-cf", "nope", "ks"),
                                  "Unknown keyspace/cf pair (ks.nope)")
                self.assertBadUse(lab.nodetool("dc1-n1", "snapshot", "-t", "x", "-kt", "ks.nope"),
                                  "Unknown keyspace/cf pair (ks.nope)")
                self.assertBadUse(lab.nodetool("dc1-n1", "snapshot", "-t", "x", "-kt", "ks.t.idx"),
                                  "Cannot take a snapshot on secondary index or invalid column family name. You must "
                                  "supply a column family name in the form of keyspace.columnfamily")

    def test_snapshot_table_needs_one_keyspace(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                self.assertServerError(lab.nodetool("dc1-n1", "snapshot", "-t", "x", "-cf", "t"),
                                       "When specifying the table for a snapshot, you must specify one and only one keyspace")

    def test_snapshot_kt_with_keyspaces(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                result = lab.nodetool("dc1-n1", "snapshot", "-t", "x", "-kt", "ks.t", "ks")
                if version == "3.11":
                    message = ("When specifying the Keyspace columfamily list for a snapshot, you should not specify "
                               "columnfamily")
                else:
                    message = ("When specifying the Keyspace table list (using -kt,--kt-list,-kc,--kc.list), you must not "
                               "also specify keyspaces to snapshot")
                self.assertServerError(result, message)
                self.assertEqual(result.stdout, "")  # a client-side check: nothing printed before

    def test_snapshot_tag_separator(self):
        lab = self.labs["3.11"]
        lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "a:b", "ks")
        lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "n/ested", "ks")
        self.assertTrue(os.path.isdir(os.path.join(lab.table_dir("dc1-n1", "ks", "t"), "snapshots", "n", "ested")))
        lab.ok("dc1-n1", "nodetool", "clearsnapshot")
        self.assertServerError(self.labs["4.0"].nodetool("dc1-n1", "snapshot", "-t", "a:b", "ks"),
                               "Snapshot name cannot contain :")
        self.labs["4.0"].ok("dc1-n1", "nodetool", "snapshot", "-t", "a/b", "ks")  # 4.0 still accepts '/'
        self.labs["4.0"].ok("dc1-n1", "nodetool", "clearsnapshot", "-t", "a/b")
        for version in ("4.1", "5.0"):
            result = self.labs[version].nodetool("dc1-n1", "snapshot", "-t", "a/b", "ks")
            self.assertServerError(result, "Snapshot name cannot contain /")

    def test_snapshot_empty_tag(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                result = lab.nodetool("dc1-n1", "snapshot", "-t", "", "ks")
                self.assertServerError(result, "You must supply a snapshot name.")
                self.assertEqual(result.stdout, "Requested creating snapshot(s) for [ks] and options {skipFlush=false}\n")

    def test_snapshot_ttl(self):
        for version in ("4.1", "5.0"):
            lab = self.labs[version]
            out = lab.ok("dc1-n1", "nodetool", "snapshot", "--ttl", "5h", "-t", "ttl", "ks")
            self.assertEqual(out, "Requested creating snapshot(s) for [ks] with snapshot name [ttl] and options "
                                  "{skipFlush=false, ttl=5h}\nSnapshot directory: ttl\n")
            result = lab.nodetool("dc1-n1", "snapshot", "--ttl", "30s", "-t", "short", "ks")
            self.assertBadUse(result, "ttl for snapshot must be at least 60 seconds")
            self.assertTrue(result.stdout.startswith("Requested creating snapshot(s)"))
            result = lab.nodetool("dc1-n1", "snapshot", "--ttl", "infinity", "-t", "x", "ks")
            self.assertEqual(result.returncode, 1)
            self.assertTrue(result.stdout.startswith("nodetool: Invalid duration: infinity Accepted units:"))
            listed = lab.ok("dc1-n1", "nodetool", "listsnapshots")
            self.assertIn("ttl ", listed)
            self.assertNotIn("ttl ", lab.ok("dc1-n1", "nodetool", "listsnapshots", "-nt"))
            lab.ok("dc1-n1", "nodetool", "clearsnapshot", "-t", "ttl")

    def test_expired_snapshot_is_removed(self):
        lab = self.labs["4.1"]
        lab.ok("dc1-n1", "nodetool", "snapshot", "--ttl", "60s", "-t", "soon", "ks")
        path = lab.node_dir("dc1-n1", "state", "ttl_snapshots.json")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:  # pretend a minute went by
            f.write(re.sub(r'"expires_at": \d+', '"expires_at": 1', text))
        lab.ok("dc1-n1", "nodetool", "version")
        self.assertFalse(os.path.exists(os.path.join(lab.table_dir("dc1-n1", "ks", "t"), "snapshots", "soon")))

    # --- clearsnapshot ------------------------------------------------------------------------------
    def test_clearsnapshot_311(self):
        lab = self.labs["3.11"]
        lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "c1", "ks")
        self.assertEqual(lab.ok("dc1-n1", "nodetool", "clearsnapshot", "-t", "c1", "ks", "other"),
                         "Requested clearing snapshot(s) for [ks, other] with snapshot name [c1]\n")
        lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "c2", "ks")
        self.assertEqual(lab.ok("dc1-n1", "nodetool", "clearsnapshot"),
                         "Requested clearing snapshot(s) for [all keyspaces]\n")  # everything goes
        self.assertFalse(os.path.exists(os.path.join(lab.table_dir("dc1-n1", "ks", "t"), "snapshots")))

    def test_clearsnapshot_40_and_41(self):
        for version in ("4.0", "4.1"):
            lab = self.labs[version]
            self.assertServerError(lab.nodetool("dc1-n1", "clearsnapshot"), "Specify snapshot name or --all",
                                   "java.lang.RuntimeException")
            self.assertServerError(lab.nodetool("dc1-n1", "clearsnapshot", "-t", "x", "--all"),
                                   "Specify only one of snapshot name or --all", "java.lang.RuntimeException")
            self.assertEqual(lab.ok("dc1-n1", "nodetool", "clearsnapshot", "--all", "ks"),
                             "Requested clearing snapshot(s) for [ks] with [all snapshots]\n")
            self.assertEqual(lab.ok("dc1-n1", "nodetool", "clearsnapshot", "-t", "nope"),
                             "Requested clearing snapshot(s) for [all keyspaces] with snapshot name [nope]\n")

    def test_clearsnapshot_50(self):
        lab = self.labs["5.0"]
        self.assertBadUse(lab.nodetool("dc1-n1", "clearsnapshot"), "Specify snapshot name or --all")
        self.assertBadUse(lab.nodetool("dc1-n1", "clearsnapshot", "-t", "x", "--all"),
                          "Specify only one of snapshot name or --all")
        self.assertBadUse(lab.nodetool("dc1-n1", "clearsnapshot", "--all", "--older-than", "1h",
                                       "--older-than-timestamp", "2024-01-01T00:00:00Z"),
                          "Specify only one of --older-than or --older-than-timestamp")
        self.assertBadUse(lab.nodetool("dc1-n1", "clearsnapshot", "-t", "x", "--older-than", "1h"),
                          "Specifying snapshot name together with --older-than flag is not allowed")
        self.assertBadUse(lab.nodetool("dc1-n1", "clearsnapshot", "--all", "--older-than-timestamp", "yesterday"),
                          "Parameter --older-than-timestamp has to be a valid instant in ISO format.")
        result = lab.nodetool("dc1-n1", "clearsnapshot", "--all", "--older-than", "3k")
        self.assertTrue(result.stdout.startswith("nodetool: Invalid duration: 3k "), result.stdout)
        lab.ok("dc1-n1", "nodetool", "snapshot", "-t", "young", "ks")
        self.assertEqual(lab.ok("dc1-n1", "nodetool", "clearsnapshot", "--all", "--older-than", "1h"),
                         "Requested clearing snapshot(s) for [all keyspaces] with [all snapshots] older than 3600 seconds.\n")
        self.assertTrue(os.path.isdir(os.path.join(lab.table_dir("dc1-n1", "ks", "t"), "snapshots", "young")))
        self.assertEqual(lab.ok("dc1-n1", "nodetool", "clearsnapshot", "--all", "--older-than-timestamp",
                                "2100-01-01T00:00:00Z"),
                         "Requested clearing snapshot(s) for [all keyspaces] with [all snapshots] older than timestamp "
                         "2100-01-01T00:00:00Z\n")
        self.assertFalse(os.path.isdir(os.path.join(lab.table_dir("dc1-n1", "ks", "t"), "snapshots", "young")))

    # --- listsnapshots --------------------------------------------------------------------------------
    def test_listsnapshots_empty(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                lab.ok("dc2-n1", "nodetool", "clearsnapshot", *([] if version == "3.11" else ["--all"]))
                self.assertEqual(lab.ok("dc2-n1", "nodetool", "listsnapshots"), "Snapshot Details: \nThere are no snapshots\n")

    def test_listsnapshots_table(self):
        headers = {
            "3.11": "Snapshot name Keyspace name Column family name True size Size on disk",
            "4.0": "Snapshot name Keyspace name Column family name True size Size on disk",
            "4.1": "Snapshot name Keyspace name Column family name True size Size on disk Creation time            "
                   "Expiration time",
            "5.0": "Snapshot name Keyspace name Column family name True size Size on disk Creation time            "
                   "Expiration time",
        }
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                lab.ok("dc2-n1", "nodetool", "snapshot", "-t", "listed", "ks")
                out = lab.ok("dc2-n1", "nodetool", "listsnapshots")
                lines = out.split("\n")
                self.assertEqual(lines[0], "Snapshot Details: ")
                self.assertEqual(lines[1], headers[version])
                rows = lines[2:lines.index("")]
                self.assertEqual(sorted(r.split()[2] for r in rows), ["t", "u"])
                self.assertTrue(all(len(r) == len(lines[1]) for r in rows), rows)  # padded, trailing spaces
                self.assertRegex(out, r"\n\nTotal TrueDiskSpaceUsed: 0 bytes\n\n$")
                true_size = rows[0].split()[3:5]
                if version in ("3.11", "4.0"):
                    self.assertEqual(true_size, ["0", "bytes"])  # every file still live
                else:
                    self.assertEqual(true_size[1], "bytes" if int(float(true_size[0])) > 2 else "KiB")  # manifest+schema
                    self.assertNotEqual(true_size, ["0", "bytes"])
                lab.ok("dc2-n1", "nodetool", "clearsnapshot", "-t", "listed")

    def test_listsnapshots_311_hides_local_system_keyspaces(self):
        for version in ("3.11", "4.0"):
            lab = self.labs[version]
            lab.ok("dc2-n1", "nodetool", "snapshot", "-t", "sys", "system")
            out = lab.ok("dc2-n1", "nodetool", "listsnapshots")
            if version == "3.11":
                self.assertEqual(out, "Snapshot Details: \nThere are no snapshots\n")
            else:
                self.assertIn("sys           system", out)
            lab.ok("dc2-n1", "nodetool", "clearsnapshot", "-t", "sys")

    def test_listsnapshots_50_ephemeral_column(self):
        lab = self.labs["5.0"]
        lab.ok("dc2-n1", "nodetool", "snapshot", "-t", "eph", "ks")
        out = lab.ok("dc2-n1", "nodetool", "listsnapshots", "-e")
        self.assertIn(" Expiration time Ephemeral\n", out)
        self.assertRegex(out, r"\neph +ks +t .*Z {17}false    \n")
        lab.ok("dc2-n1", "nodetool", "clearsnapshot", "-t", "eph")

    # --- backups, refresh, import, drain ---------------------------------------------------------------
    def test_backup_toggles(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "statusbackup"), "not running\n")
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "enablebackup"), "")
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "statusbackup"), "running\n")
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "disablebackup"), "")
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "statusbackup"), "not running\n")

    def test_refresh_messages(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                deprecated = "" if version == "3.11" else "nodetool refresh is deprecated, use nodetool import instead\n"
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "refresh", "ks", "t"), deprecated)
                result = lab.nodetool("dc1-n1", "refresh", "ks")
                self.assertEqual((result.returncode, result.stdout),
                                 (1, deprecated + "nodetool: refresh requires ks and cf args\n" + HELP))
                self.assertBadUse(lab.nodetool("dc1-n1", "refresh", "ks", "nope"), "Unknown keyspace/cf pair (ks.nope)")
                result = lab.nodetool("dc1-n1", "refresh", "nope", "t")
                if version == "3.11":
                    self.assertServerError(result, "Unknown keyspace nope", "java.lang.AssertionError")
                else:
                    self.assertBadUse(result, "Keyspace nope does not exist")

    def test_import_messages(self):
        for version in ("4.0", "4.1", "5.0"):
            lab = self.labs[version]
            with self.subTest(version=version):
                self.assertBadUse(lab.nodetool("dc1-n1", "import", "ks", "t"),
                                  "import requires keyspace, table name and directories")
                result = lab.nodetool("dc1-n1", "import", "ks", "nope", "/tmp")
                self.assertEqual((result.returncode, result.stdout, result.stderr),
                                 (1, "", "ColumnFamilyStore for ks/nope not found.\n"))
                self.assertServerError(lab.nodetool("dc1-n1", "import", "ks", "t", "/does/not/exist"),
                                       "Directory /does/not/exist does not exist", "java.lang.RuntimeException")
                empty = os.path.join(lab.dir, "empty")
                os.makedirs(empty, exist_ok=True)
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "import", "-q", "ks", "t", empty),
                                 "Doing a quick import - skipping sstable verification and row cache invalidation\n")
                self.assertEqual(lab.ok("dc1-n1", "nodetool", "import", "ks", "t", empty), "")

    def test_drain(self):
        lab = self.labs["4.0"]
        try:
            self.assertEqual(lab.ok("dc2-n1", "nodetool", "drain"), "")
            self.assertEqual(lab.ok("dc2-n1", "nodetool", "drain"), "")  # again: still exit 0
            self.assertRegex(lab.ok("dc1-n1", "nodetool", "status"), r"\nDN  " + re.escape(lab.addresses["dc2-n1"]))
            self.assertEqual(lab.ok("dc2-n1", "nodetool", "statusbinary"), "not running\n")
        finally:
            lab.ok("dc2-n1", "cassandra-stop")
            lab.ok("dc2-n1", "cassandra-start")


if __name__ == "__main__":
    unittest.main()
