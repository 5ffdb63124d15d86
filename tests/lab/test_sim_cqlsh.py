"""cqlsh of the simulator against real cqlsh (bin/cqlsh.py of each line and its Python driver):
options, cqlshrc and credentials files, PasswordAuthenticator logins and their error texts,
TRUNCATE across the cluster, and what restores do to rows (cassandra-behaviour.md §17)."""

import os
import unittest

from simlab import Lab, sstable_files

VERSIONS = {"dc1-n1": "3.11", "dc1-n2": "4.0", "dc1-n3": "4.1", "dc1-n4": "5.0"}
CQLSH = {"3.11": "5.0.1", "4.0": "6.0.0", "4.1": "6.1.0", "5.0": "6.2.0"}
PASSWORD_WARNING = ("\nWarning: Using a password on the command line interface can be insecure.\n"
                    "Recommendation: use the credentials file to securely provide the password.\n\n")
CQLSHRC_NOTICE = ("\nNotice: Credentials in the cqlshrc file is deprecated and will be ignored in the future.\n"
                  "Please use a credentials file to specify the username and password.\n\n")


def refused(version: str, address: str = "127.0.0.1") -> str:
    detail = f"\"Tried connecting to [('{address}', 9042)]. Last error: Connection refused\""
    if version == "3.11":
        return f"Connection error: ('Unable to connect to any servers', {{'{address}': error(111, {detail})}})\n"
    return (f"Connection error: ('Unable to connect to any servers', {{'{address}:9042': "
            f"ConnectionRefusedError(111, {detail})}})\n")


def auth_failed(version: str, message: str) -> str:
    if version == "3.11":
        return f"Connection error: ('Unable to connect to any servers', {{'127.0.0.1': AuthenticationFailed('{message}',)}})\n"
    return f"Connection error: ('Unable to connect to any servers', {{'127.0.0.1:9042': AuthenticationFailed('{message}')}})\n"


def bad_credentials(version: str, user: str, text: str = None) -> str:
    endpoint = "127.0.0.1" if version == "3.11" else "127.0.0.1:9042"
    text = text or f"Provided username {user} and/or password are incorrect"
    return auth_failed(version, f"Failed to authenticate to {endpoint}: Error from server: code=0100 "
                                f'[Bad credentials] message="{text}"')


class OneNodePerLine(unittest.TestCase):
    """A 4-node ring with one node of each line, RF 1: each cqlsh talks to its own node."""

    @classmethod
    def setUpClass(cls):
        cls.lab = Lab([(name, "dc1", "rack1", version) for name, version in VERSIONS.items()])
        cls.lab.cql("dc1-n3", "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 4};"
                              "CREATE TABLE ks.t (id int PRIMARY KEY, v text); INSERT INTO ks.t (id, v) VALUES (1, 'one')")

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def enable_auth(self, node: str, yaml_text: str = "authenticator: PasswordAuthenticator") -> None:
        """Switch the node to PasswordAuthenticator (a restart, as cassandra.yaml needs)."""
        path = self.lab.node_dir(node, "conf", "cassandra.yaml")
        with open(path) as f:
            original = f.read()
        self.addCleanup(self.restore_yaml, node, path, original)
        with open(path, "w") as f:
            f.write(original.replace("authenticator: AllowAllAuthenticator", yaml_text))
        self.lab.ok(node, "cassandra-stop")
        self.lab.ok(node, "cassandra-start")

    def restore_yaml(self, node: str, path: str, text: str) -> None:
        with open(path, "w") as f:
            f.write(text)
        self.lab.ok(node, "cassandra-stop")
        self.lab.ok(node, "cassandra-start")

    def write_file(self, name: str, text: str, mode: int = 0o600) -> str:
        path = os.path.join(self.lab.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        self.addCleanup(os.unlink, path)
        return path

    # --- options ------------------------------------------------------------------------------
    def test_version(self):
        for node, version in VERSIONS.items():
            with self.subTest(version=version):
                self.assertEqual(self.lab.ok(node, "cqlsh", "--version"), f"cqlsh {CQLSH[version]}\n")
                result = self.lab.run(node, "cqlsh", "-v")
                if version == "3.11":  # optparse: only --version
                    self.assertEqual(result.returncode, 2)
                    self.assertIn("no such option: -v", result.stderr)
                else:
                    self.assertEqual(result.stdout, f"cqlsh {CQLSH[version]}\n")

    def test_execute_file_and_stdin(self):
        script = self.write_file("select.cql", "SELECT v FROM ks.t WHERE id = 1;\nSELECT * FROM ks.nope;\n")
        expected = "\n v\n-----\n one\n\n(1 rows)\n"
        for node in VERSIONS:
            with self.subTest(node=node):
                self.assertEqual(self.lab.ok(node, "cqlsh", "-e", "SELECT v FROM ks.t WHERE id = 1"), expected)
                result = self.lab.run(node, "cqlsh", "-f", script)
                self.assertEqual((result.returncode, result.stdout), (2, expected))
                self.assertTrue(result.stderr.startswith(f"{script}:2:InvalidRequest: "), result.stderr)
                result = self.lab.run(node, "cqlsh", stdin="SELECT v FROM ks.t WHERE id = 1;\n")
                self.assertEqual((result.returncode, result.stdout), (0, expected))

    def test_system_schema_columns_lists_a_tables_columns(self):
        query = "SELECT table_name, column_name, type FROM system_schema.columns WHERE keyspace_name = 'ks'"
        expected = ("\n table_name | column_name | type\n------------+-------------+------\n"
                    "          t |          id |  int\n          t |           v | text\n\n(2 rows)\n")
        for node in VERSIONS:
            with self.subTest(node=node):
                self.assertEqual(self.lab.ok(node, "cqlsh", "-e", query), expected)
        nothing = self.lab.ok("dc1-n1", "cqlsh", "-e", query.replace("'ks'", "'missing'"))
        self.assertIn("(0 rows)", nothing)

    def test_file_errors(self):
        """-f opens a path: `-f -` is a file named '-', never stdin (main(): codecs.open)."""
        for node in VERSIONS:
            with self.subTest(node=node):
                for name in ("/nonexistent.cql", "-"):
                    result = self.lab.run(node, "cqlsh", "-f", name, stdin="SELECT * FROM ks.t;")
                    self.assertEqual((result.returncode, result.stdout, result.stderr),
                                     (1, "", f"Can't open '{name}': [Errno 2] No such file or directory: '{name}'\n"))

    def test_connection_refused(self):
        self.lab.ok("dc1-n1", "cassandra-stop")
        self.lab.ok("dc1-n2", "cassandra-stop")
        try:
            for node in ("dc1-n1", "dc1-n2"):
                version = VERSIONS[node]
                with self.subTest(version=version):
                    result = self.lab.run(node, "cqlsh", "-e", "SELECT * FROM ks.t")
                    self.assertEqual((result.returncode, result.stdout, result.stderr), (1, "", refused(version)))
        finally:
            self.lab.ok("dc1-n1", "cassandra-start")
            self.lab.ok("dc1-n2", "cassandra-start")

    def test_host_and_port_sources(self):
        n4 = self.lab.addresses["dc1-n4"]
        rc = self.write_file("connection.cqlshrc", f"[connection]\nhostname = {n4}\nport = 9042\n")
        expected = "WARNING: cqlsh was built against 4.1.6, but this server is 5.0.3.  All features may not work!\n"
        self.assertTrue(self.lab.ok("dc1-n3", "cqlsh", "--cqlshrc", rc, "-e", "USE ks").startswith(expected))
        result = self.lab.run("dc1-n3", "cqlsh", "-e", "USE ks", env={"CQLSH_HOST": n4})
        self.assertEqual(result.stdout, expected)
        result = self.lab.run("dc1-n3", "cqlsh", n4, "9043", "-e", "USE ks")
        self.assertEqual((result.returncode, result.stderr), (1, refused("4.1", n4).replace("9042", "9043")))
        self.assertEqual(self.lab.ok("dc1-n1", "cqlsh", self.lab.addresses["dc1-n4"], "-e", "USE ks"), "")  # 3.11: no check

    def test_missing_cqlshrc_falls_back_with_a_warning(self):
        home = os.path.join(self.lab.home_dir, ".cassandra")
        for node, version in VERSIONS.items():
            with self.subTest(version=version):
                result = self.lab.run(node, "cqlsh", "--cqlshrc", "/nonexistent/rc", "-e", "USE ks")
                shown = os.path.join(home, "cqlshrc") if version in ("4.1", "5.0") else home
                self.assertEqual(result.stdout, f"\nWarning: Specified cqlshrc location `/nonexistent/rc` does not "
                                                 f"exist.  Using `{shown}` instead.\n\n")

    # --- authentication -------------------------------------------------------------------------
    def test_password_authenticator_refuses_anonymous_and_bad_logins(self):
        for node, version in VERSIONS.items():
            with self.subTest(version=version):
                self.enable_auth(node)
                result = self.lab.run(node, "cqlsh", "-e", "SELECT * FROM ks.t")
                message = "Remote end requires authentication" + ("." if version == "3.11" else "")
                self.assertEqual((result.returncode, result.stdout, result.stderr), (1, "", auth_failed(version, message)))
                result = self.lab.run(node, "cqlsh", "-u", "cassandra", "-p", "wrong", "-e", "SELECT * FROM ks.t")
                warning = PASSWORD_WARNING if version in ("4.1", "5.0") else ""
                self.assertEqual((result.returncode, result.stderr), (1, warning + bad_credentials(version, "cassandra")))
                result = self.lab.run(node, "cqlsh", "-u", "cassandra", "-p", "cassandra", "-e", "SELECT v FROM ks.t")
                self.assertEqual((result.returncode, result.stderr), (0, warning))
                self.assertIn(" one\n", result.stdout)

    def test_the_exact_texts_of_the_brief(self):
        """The 3.11 text (cqlsh 5.0.1, Python 2.7) of a wrong password, quoted whole."""
        self.enable_auth("dc1-n1")
        result = self.lab.run("dc1-n1", "cqlsh", "-u", "cassandra", "-p", "nope", "-e", "SELECT * FROM ks.t")
        self.assertEqual(result.stderr,
                         "Connection error: ('Unable to connect to any servers', {'127.0.0.1': AuthenticationFailed("
                         "'Failed to authenticate to 127.0.0.1: Error from server: code=0100 [Bad credentials] "
                         "message=\"Provided username cassandra and/or password are incorrect\"',)})\n")

    def test_users_file_and_50_class_name_form(self):
        self.enable_auth("dc1-n4", "authenticator:\n  class_name: org.apache.cassandra.auth.PasswordAuthenticator")
        users = self.lab.node_dir("dc1-n4", "conf", "cql_users")
        with open(users) as f:
            self.assertEqual(f.read(), "cassandra cassandra\n")
        self.addCleanup(self.write_users, users, "cassandra cassandra\n")
        self.write_users(users, "backup s3cret\n")
        login = ("-u", "backup", "-p", "s3cret", "--insecure-password-without-warning", "-e", "USE ks")
        self.assertEqual(self.lab.run("dc1-n4", "cqlsh", *login).stderr, "")
        result = self.lab.run("dc1-n4", "cqlsh", "-u", "cassandra", "-p", "cassandra", "-e", "USE ks")
        self.assertEqual(result.stderr, PASSWORD_WARNING + bad_credentials("5.0", "cassandra"))

    @staticmethod
    def write_users(path: str, text: str) -> None:
        with open(path, "w") as f:
            f.write(text)

    def test_cqlshrc_credentials(self):
        rc = self.write_file("auth.cqlshrc", "[authentication]\nusername = cassandra\npassword = cassandra\n")
        insecure = self.write_file("open.cqlshrc", "[authentication]\nusername = cassandra\npassword = cassandra\n",
                                   0o644)
        for node, version in VERSIONS.items():
            with self.subTest(version=version):
                self.enable_auth(node)
                result = self.lab.run(node, "cqlsh", "--cqlshrc", rc, "-e", "USE ks")
                notice = CQLSHRC_NOTICE if version in ("4.1", "5.0") else ""
                self.assertEqual((result.returncode, result.stderr), (0, notice))
                result = self.lab.run(node, "cqlsh", "--cqlshrc", insecure, "-e", "USE ks")
                if version in ("4.1", "5.0"):
                    notice = ("\nWarning: Password is found in an insecure cqlshrc file. The file is owned or readable "
                              "by other users on the system." + CQLSHRC_NOTICE)
                self.assertEqual((result.returncode, result.stderr), (0, notice))

    def test_default_cqlshrc_and_credentials_file(self):
        directory = os.path.join(self.lab.home_dir, ".cassandra")
        os.makedirs(directory, exist_ok=True)
        credentials = os.path.join(directory, "credentials")
        with open(credentials, "w") as f:
            f.write("[plain_text_auth]\nusername = cassandra\npassword = cassandra\n")
        os.chmod(credentials, 0o600)
        self.addCleanup(os.unlink, credentials)
        for node in ("dc1-n3", "dc1-n4"):  # the credentials file is 4.1+
            with self.subTest(node=node):
                self.enable_auth(node)
                result = self.lab.run(node, "cqlsh", "-e", "USE ks")
                self.assertEqual((result.returncode, result.stderr), (0, ""))
        self.enable_auth("dc1-n2")
        result = self.lab.run("dc1-n2", "cqlsh", "-e", "USE ks")
        self.assertEqual(result.stderr, auth_failed("4.0", "Remote end requires authentication"))

    def test_username_without_password_is_prompted(self):
        self.enable_auth("dc1-n3")
        result = self.lab.run("dc1-n3", "cqlsh", "-u", "cassandra", "-e", "USE ks", stdin="cassandra\n")
        self.assertEqual((result.returncode, result.stderr), (0, "Password: "))
        result = self.lab.run("dc1-n3", "cqlsh", "-u", "cassandra", "-e", "USE ks", stdin="")
        self.assertEqual(result.stderr, "Password: " + bad_credentials("4.1", "", "Password must not be null"))


class Truncate(unittest.TestCase):
    """cassandra-behaviour.md §17.2: TRUNCATE needs every node up and covers the whole cluster."""

    @classmethod
    def setUpClass(cls):
        cls.labs = {v: Lab([(f"dc1-n{i}", "dc1", "rack1", v) for i in (1, 2, 3)]) for v in ("3.11", "4.1")}
        for lab in cls.labs.values():
            lab.cql("dc1-n1", "CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2}")

    @classmethod
    def tearDownClass(cls):
        for lab in cls.labs.values():
            lab.close()

    def fill(self, lab, table: str) -> None:
        lab.cql("dc1-n1", f"CREATE TABLE ks.{table} (id int PRIMARY KEY, v text);" +
                "".join(f"INSERT INTO ks.{table} (id, v) VALUES ({i}, 'v{i}');" for i in range(12)))
        lab.ok("dc1-n2", "nodetool", "flush")  # one node flushed, the others hold memtables
        lab.cql("dc1-n1", f"INSERT INTO ks.{table} (id, v) VALUES (100, 'unflushed')")

    def test_refused_while_a_node_is_down(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                self.fill(lab, "down")
                lab.ok("dc1-n3", "cassandra-stop")
                try:
                    result = lab.run("dc1-n1", "cqlsh", "-e", "TRUNCATE ks.down")
                finally:
                    lab.ok("dc1-n3", "cassandra-start")
                info = ("{'required_replicas': 3, 'alive_replicas': 2, 'consistency': 'ALL'}" if version == "3.11"
                        else "{'consistency': 'ALL', 'required_replicas': 3, 'alive_replicas': 2}")
                self.assertEqual((result.returncode, result.stdout, result.stderr),
                                 (2, "", "<stdin>:1:Unavailable: Error from server: code=1000 [Unavailable exception] "
                                         f'message="Cannot achieve consistency level ALL" info={info}\n'))
                self.assertEqual(len(lab.select_rows("dc1-n1", "SELECT * FROM ks.down")), 13)
                for node in ("dc1-n1", "dc1-n2", "dc1-n3"):
                    self.assertFalse(os.path.exists(os.path.join(lab.table_dir(node, "ks", "down"), "snapshots")))

    def test_cluster_wide_with_snapshots_on_every_node(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                self.fill(lab, "all")
                lab.cql("dc1-n3", "TRUNCATE ks.all")
                self.assertEqual(lab.select_rows("dc1-n1", "SELECT * FROM ks.all"), [])
                for node in ("dc1-n1", "dc1-n2", "dc1-n3"):
                    directory = lab.table_dir(node, "ks", "all")
                    self.assertEqual(sstable_files(directory), [])
                    tags = os.listdir(os.path.join(directory, "snapshots"))
                    self.assertEqual(len(tags), 1)
                    self.assertRegex(tags[0], r"^truncated-\d{13}-all$")
                    # with RF 2 of 3 every node held rows, flushed or not: all are in its snapshot
                    self.assertGreaterEqual(len(sstable_files(os.path.join(directory, "snapshots", tags[0]))), 8)
                    lab.ok(node, "cassandra-stop", "--kill")  # nothing left to replay either
                    lab.ok(node, "cassandra-start")
                self.assertEqual(lab.select_rows("dc1-n1", "SELECT * FROM ks.all"), [])


class RowsThroughRestores(unittest.TestCase):
    """cassandra-behaviour.md §17.1: restored cells keep their timestamps, so a newer tombstone
    still shadows them unless the table was truncated first."""

    @classmethod
    def setUpClass(cls):
        cls.lab = Lab([("dc1-n1", "dc1", "rack1", "4.1"), ("dc1-n2", "dc1", "rack1", "4.1")])
        cls.lab.cql("dc1-n1", "CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2}")

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def snapshot_and_stage(self, table: str) -> dict:
        """Snapshot every node, hard-link each snapshot into <lab>/stage-<table>/<node>/ks/<table>."""
        staged = {}
        for node in ("dc1-n1", "dc1-n2"):
            self.lab.ok(node, "nodetool", "snapshot", "-t", "backup", "-kt", f"ks.{table}")
            snapshot = os.path.join(self.lab.table_dir(node, "ks", table), "snapshots", "backup")
            target = os.path.join(self.lab.dir, f"stage-{table}", node, "ks", table)
            os.makedirs(target)
            for name in sstable_files(snapshot):
                os.link(os.path.join(snapshot, name), os.path.join(target, name))
            staged[node] = target
        return staged

    def import_all(self, table: str, staged: dict) -> None:
        for node, directory in staged.items():
            self.lab.ok(node, "nodetool", "import", "ks", table, directory)

    def rows(self, table: str) -> list:
        return sorted(self.lab.select_rows("dc1-n1", f"SELECT * FROM ks.{table}"))

    def fill(self, table: str) -> None:
        self.lab.cql("dc1-n1", f"CREATE TABLE ks.{table} (id int PRIMARY KEY, v text);" +
                     "".join(f"INSERT INTO ks.{table} (id, v) VALUES ({i}, 'v{i}');" for i in range(4)))

    def test_a_delete_after_the_backup_still_wins_without_truncate(self):
        self.fill("shadow")
        staged = self.snapshot_and_stage("shadow")
        self.lab.cql("dc1-n1", "DELETE FROM ks.shadow WHERE id = 1; UPDATE ks.shadow SET v = 'newer' WHERE id = 2")
        self.import_all("shadow", staged)
        self.assertEqual(self.rows("shadow"), [["0", "v0"], ["2", "newer"], ["3", "v3"]])

    def test_truncate_then_restore_gives_the_rows_back(self):
        self.fill("back")
        staged = self.snapshot_and_stage("back")
        self.lab.cql("dc1-n1", "DELETE FROM ks.back WHERE id = 1; UPDATE ks.back SET v = 'newer' WHERE id = 2;"
                               "INSERT INTO ks.back (id, v) VALUES (9, 'after the backup'); TRUNCATE ks.back")
        self.assertEqual(self.rows("back"), [])
        self.import_all("back", staged)
        self.assertEqual(self.rows("back"), [["0", "v0"], ["1", "v1"], ["2", "v2"], ["3", "v3"]])


if __name__ == "__main__":
    unittest.main()
