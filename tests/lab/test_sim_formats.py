"""Simulator building blocks checked against the verbatim examples of
docs/cassandra-behaviour.md (in-process: formatting, ids, tokens, manifests, schema.cql,
airline parsing)."""

import unittest

import simlab  # noqa: F401  (puts cassandra_sim on sys.path)
from cassandra_sim import airline, formatting, jsonlite, murmur3, schema_cql, snapshots, sstable
from cassandra_sim.schema import Table
from cassandra_sim.versions import Version, system_table_id


class StringifyFileSize(unittest.TestCase):
    def test_examples_of_facts_section_4(self):
        self.assertEqual(formatting.stringify_file_size(0), "0 bytes")
        self.assertEqual(formatting.stringify_file_size(896), "896 bytes")
        self.assertEqual(formatting.stringify_file_size(5837), "5.7 KiB")
        self.assertEqual(formatting.stringify_file_size(45076), "44.02 KiB")
        self.assertEqual(formatting.stringify_file_size(int(1.1 * (1 << 30))), "1.1 GiB")

    def test_half_even_rounding(self):
        self.assertEqual(formatting.stringify_file_size(1152), "1.12 KiB")  # 1.125 -> even
        self.assertEqual(formatting.stringify_file_size(1176), "1.15 KiB")  # 1.1484375
        self.assertEqual(formatting.stringify_file_size(1024), "1 KiB")
        self.assertEqual(formatting.stringify_file_size(1 << 40), "1 TiB")


class TableBuilder(unittest.TestCase):
    def test_every_column_is_padded_even_the_last(self):
        rows = [["Snapshot name", "Keyspace name", "Column family name", "True size", "Size on disk",
                 "Creation time", "Expiration time"],
                ["vrbacsnapshot", "vrabac", "users", "1.45 KiB", "6.67 KiB", "2025-11-11T18:22:10.361Z", None]]
        header, row = formatting.table_lines(rows)
        # cassandra-behaviour.md §5.1, real 4.1/5.0 output
        self.assertEqual(header, "Snapshot name Keyspace name Column family name True size Size on disk "
                                 "Creation time            Expiration time")
        self.assertEqual(row, "vrbacsnapshot vrabac        users              1.45 KiB  6.67 KiB     "
                              "2025-11-11T18:22:10.361Z " + " " * len("Expiration time"))

    def test_docs_example_of_40(self):
        rows = [["Snapshot name", "Keyspace name", "Column family name", "True size", "Size on disk"],
                ["multi-table", "cqlkeyspace", "t2", "4.86 KiB", "5.67 KiB"],
                ["catalog-ks", "catalogkeyspace", "journal", "4.9 KiB", "5.73 KiB"]]
        lines = formatting.table_lines(rows)
        self.assertEqual([line.rstrip() for line in lines], [
            "Snapshot name Keyspace name   Column family name True size Size on disk",
            "multi-table   cqlkeyspace     t2                 4.86 KiB  5.67 KiB",
            "catalog-ks    catalogkeyspace journal            4.9 KiB   5.73 KiB"])
        self.assertEqual({len(line) for line in lines}, {len(lines[0])})

    def test_shared_widths_across_tables(self):
        widths = formatting.shared_widths([[["a", "bb"]], [["ccc", "d"]]])
        self.assertEqual(widths, [3, 2])


class JavaNumbers(unittest.TestCase):
    def test_percent(self):
        self.assertEqual(formatting.percent(1 / 3, 1), "33.3%")
        self.assertEqual(formatting.percent(1.0, 1), "100.0%")
        self.assertEqual(formatting.percent(0.5, 2), "50.00%")

    def test_instant(self):
        self.assertEqual(formatting.iso_instant(1700117329071), "2023-11-16T06:48:49.071Z")
        self.assertEqual(formatting.iso_instant(1700117329000), "2023-11-16T06:48:49Z")
        self.assertEqual(formatting.iso_instant(1700117329100), "2023-11-16T06:48:49.100Z")
        self.assertEqual(formatting.parse_iso_instant("2023-11-16T06:48:49.071Z"), 1700117329071)
        self.assertIsNone(formatting.parse_iso_instant("2023-11-16 06:48:49"))


class Identifiers(unittest.TestCase):
    def test_system_table_ids_of_facts_section_8_1(self):
        expected = {
            ("system", "local"): "7ad54392bcdd35a684174e047860b377",
            ("system", "peers"): "37f71aca7dc2383ba70672528af04d4f",
            ("system", "peers_v2"): "c4325fbb8e5e3bafbd070f9250ed818e",
            ("system", "compaction_history"): "b4dbb7b4dc493fb5b3bfce6e434832ca",
            ("system", "size_estimates"): "618f817b005f3678b8a453f3930b8e86",
            ("system_schema", "keyspaces"): "abac5682dea631c5b535b3d6cffd0fb6",
            ("system_schema", "tables"): "afddfb9dbc1e30688056eed6c302ba09",
            ("system_auth", "roles"): "5bc52802de2535edaeab188eecebb090",
            ("system_distributed", "repair_history"): "759fffad624b318180eefa9a52d1f627",
            ("system_traces", "sessions"): "c5e99f1686773914b17e960613512345",
            ("system_traces", "events"): "8826e8e9e16a372887533bc1fc713c25",
        }
        for (keyspace, table), table_id in expected.items():
            self.assertEqual(system_table_id(keyspace, table), table_id)

    def test_uuid_sstable_id_of_descriptor_test(self):
        # nb-3g1m_0nuf_3vj5m2k1125165rxa7-big-Index.db decodes to 2022-12-09 08:35:03.651 UTC
        def b36(text):
            return int(text, 36)
        days, secs, hundred_ns, lsb = b36("3g1m"), b36("0nuf"), b36("3vj5m"), b36("2k1125165rxa7")
        ticks = (days * 86400 + secs) * 10_000_000 + hundred_ns - 122192928000000000
        self.assertEqual(ticks % 10, 0)
        self.assertEqual(sstable.uuid_sstable_id(ticks // 10, lsb), "3g1m_0nuf_3vj5m2k1125165rxa7")
        self.assertEqual(formatting.iso_instant(ticks // 10_000), "2022-12-09T08:35:03.651Z")
        parsed = sstable.parse_filename("nb-3g1m_0nuf_3vj5m2k1125165rxa7-big-Index.db")
        self.assertEqual((parsed[0].version, parsed[0].format, parsed[1]), ("nb", "big", "Index.db"))

    def test_sstable_names(self):
        descriptor, component = sstable.parse_filename("me-12-big-Data.db")
        self.assertEqual((descriptor.prefix, descriptor.generation, component), ("me-12-big", 12, "Data.db"))
        self.assertEqual(sstable.parse_filename("da-1-bti-Partitions.db")[1], "Partitions.db")
        for name in ("manifest.json", "schema.cql", "nb-1-big", "ks-cf-jb-1-Data.db", "nb_txn_flush_x.log"):
            self.assertIsNone(sstable.parse_filename(name), name)

    def test_murmur3_token_of_int_key(self):
        self.assertEqual(murmur3.token((1).to_bytes(4, "big")), -4069959284402364209)


class Manifests(unittest.TestCase):
    def test_311_and_40_json_simple(self):
        for major in ("3.11", "4.0"):
            text = snapshots.manifest_text(Version(major), ["mc-1-big-Data.db", "mc-2-big-Data.db"], 0)
            self.assertEqual(text, '{"files":["mc-1-big-Data.db","mc-2-big-Data.db"]}\n')
            self.assertEqual(snapshots.manifest_text(Version(major), [], 0), '{"files":[]}\n')
        self.assertEqual(len(snapshots.manifest_text(Version("4.0"), ["na-1-big-Data.db"], 0)), 31)  # docs: 31 bytes
        self.assertEqual(snapshots.manifest_text(Version("3.11"), [".tbl_v_idx/mc-1-big-Data.db"], 0),
                         '{"files":[".tbl_v_idx\\/mc-1-big-Data.db"]}\n')

    def test_41_jackson_compact(self):
        text = snapshots.manifest_text(Version("4.1"), ["nb-1-big-Data.db"], 1700117329071)
        self.assertEqual(text, '{"files":["nb-1-big-Data.db"],"created_at":"2023-11-16T06:48:49.071Z",'
                               '"expires_at":null}')
        text = snapshots.manifest_text(Version("4.1"), ["nb-1-big-Data.db"], 1700117329071, 1700117329071 + 3600000)
        self.assertIn('"expires_at":"2023-11-16T07:48:49.071Z"', text)

    def test_50_jackson_pretty(self):
        text = snapshots.manifest_text(Version("5.0"), ["nb-1-big-Data.db"], 1729418400123)
        self.assertEqual(text, '{\n  "files" : [ "nb-1-big-Data.db" ],\n  "created_at" : "2024-10-20T10:00:00.123Z",\n'
                               '  "expires_at" : null,\n  "ephemeral" : false\n}')
        self.assertIn('"files" : [ ],', snapshots.manifest_text(Version("5.0"), [], 0))


SCHEMA_311 = """CREATE TABLE IF NOT EXISTS ks.t (
\tid int PRIMARY KEY,
\tv text)
\tWITH ID = d132e240-c217-11e9-bbee-19821dcea330
\tAND bloom_filter_fp_chance = 0.01
\tAND dclocal_read_repair_chance = 0.1
\tAND crc_check_chance = 1.0
\tAND default_time_to_live = 0
\tAND gc_grace_seconds = 864000
\tAND min_index_interval = 128
\tAND max_index_interval = 2048
\tAND memtable_flush_period_in_ms = 0
\tAND read_repair_chance = 0.0
\tAND speculative_retry = '99PERCENTILE'
\tAND comment = ''
\tAND caching = { 'keys': 'ALL', 'rows_per_partition': 'NONE' }
\tAND compaction = { 'max_threshold': '32', 'min_threshold': '4', 'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy' }
\tAND compression = { 'chunk_length_in_kb': '64', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor' }
\tAND cdc = false
\tAND extensions = {  };
"""

SCHEMA_40 = """CREATE TABLE IF NOT EXISTS ks.t (
    id int PRIMARY KEY,
    v text
) WITH ID = d132e240-c217-11e9-bbee-19821dcea330
    AND additional_write_policy = '99p'
    AND bloom_filter_fp_chance = 0.01
    AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}
    AND cdc = false
    AND comment = ''
    AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}
    AND compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}
    AND crc_check_chance = 1.0
    AND default_time_to_live = 0
    AND extensions = {}
    AND gc_grace_seconds = 864000
    AND max_index_interval = 2048
    AND memtable_flush_period_in_ms = 0
    AND min_index_interval = 128
    AND read_repair = 'BLOCKING'
    AND speculative_retry = '99p';
"""


class SchemaCql(unittest.TestCase):
    table = Table("ks", "t", {"id": "d132e240c21711e9bbee19821dcea330", "columns": [["id", "int"], ["v", "text"]],
                              "partition_key": ["id"]})

    def test_311_style(self):
        self.assertEqual(schema_cql.render(self.table, Version("3.11")), SCHEMA_311)

    def test_40_style(self):
        self.assertEqual(schema_cql.render(self.table, Version("4.0")), SCHEMA_40)

    def test_41_adds_memtable_after_compression(self):
        expected = SCHEMA_40.replace("    AND crc_check_chance", "    AND memtable = 'default'\n    AND crc_check_chance")
        self.assertEqual(schema_cql.render(self.table, Version("4.1")), expected)

    def test_50_adds_auto_snapshot_and_incremental_backups(self):
        text = schema_cql.render(self.table, Version("5.0"))
        self.assertIn("    AND additional_write_policy = '99p'\n    AND allow_auto_snapshot = true\n", text)
        self.assertIn("    AND gc_grace_seconds = 864000\n    AND incremental_backups = true\n", text)

    def test_compound_key(self):
        table = Table("ks", "e", {"id": "d132e240c21711e9bbee19821dcea330",
                                  "columns": [["a", "int"], ["b", "text"], ["c", "int"], ["v", "text"]],
                                  "partition_key": ["a", "b"], "clustering": [["c", "DESC"]]})
        text = schema_cql.render(table, Version("4.1"))
        self.assertIn("    v text,\n    PRIMARY KEY ((a, b), c)\n) WITH ID = d132e240-c217-11e9-bbee-19821dcea330\n"
                      "    AND CLUSTERING ORDER BY (c DESC)\n    AND additional_write_policy", text)
        text = schema_cql.render(table, Version("3.11"))
        self.assertIn("\tv text,\n\tPRIMARY KEY ((a, b), c))\n\tWITH ID = d132e240-c217-11e9-bbee-19821dcea330\n"
                      "\tAND CLUSTERING ORDER BY (c DESC)\n\tAND bloom_filter_fp_chance", text)


class JsonLite(unittest.TestCase):
    samples = [{"a": [1, 2.5, None, True, "x\u00e9\"/"], "b": {}, "c": [], "d": {"e": -3}}, [], "s", 1e100,
               {"k": [[1], [2, {"z": None}]]}, {"tables": {"ks/t-0": {"gen": 3, "live": [[0, "nb-1-big", 10]]}}}]

    def test_same_text_as_the_json_module(self):
        import json
        for value in self.samples:
            self.assertEqual(jsonlite.dumps(value), json.dumps(value))
            self.assertEqual(jsonlite.dumps(value, compact=True), json.dumps(value, separators=(",", ":")))
            self.assertEqual(jsonlite.dumps(value, indent=2), json.dumps(value, indent=2))
            self.assertEqual(jsonlite.loads(json.dumps(value, indent=2) + "\n"), value)

    def test_errors(self):
        with self.assertRaises(ValueError):
            jsonlite.loads('{"a": 1} x')
        with self.assertRaises(TypeError):
            jsonlite.dumps({"a": object()})


class AirlineParsing(unittest.TestCase):
    def setUp(self):
        O = airline.Option
        self.globals = [O(("-h", "--host"), "host"), O(("-p", "--port"), "port")]
        self.commands = {
            "help": airline.Command("help", arguments="command"),
            "snapshot": airline.Command("snapshot", options=[O(("-t", "--tag"), "tag"), O(("-sf", "--skip-flush"), "skip-flush", 0),
                                                             O(("-cf",), "table")], arguments="keyspaces"),
            "drain": airline.Command("drain"),
            "import": airline.Command("import", options=[O(("-p", "--copy-data"), "copy_data", 0),
                                                         O(("-q",), "quick", 0)], arguments="args"),
        }

    def parse(self, *argv):
        return airline.parse(self.globals, self.commands, "help", argv)

    def test_globals_before_the_command(self):
        parsed = self.parse("-h", "10.0.0.1", "-p", "7199", "snapshot", "-t", "x", "ks")
        self.assertEqual(parsed.globals, {"host": "10.0.0.1", "port": "7199"})
        self.assertEqual((parsed.options, parsed.args), ({"tag": "x"}, ["ks"]))

    def test_globals_after_the_command_are_positionals(self):
        parsed = self.parse("snapshot", "-t", "x", "-h", "host", "ks")
        self.assertEqual(parsed.args, ["-h", "host", "ks"])
        with self.assertRaisesRegex(airline.ParseError, r"^Found unexpected parameters: \[-h, host\]$"):
            self.parse("drain", "-h", "host")

    def test_option_forms(self):
        self.assertEqual(self.parse("snapshot", "--tag=x").options, {"tag": "x"})
        self.assertEqual(self.parse("snapshot", "-tx").options, {"tag": "x"})
        self.assertEqual(self.parse("snapshot", "-t=x").options, {"tag": "x"})
        self.assertEqual(self.parse("snapshot", "ks1", "-sf", "ks2").args, ["ks1", "ks2"])
        self.assertEqual(self.parse("snapshot", "-t", "a", "-t", "b").options, {"tag": "b"})
        self.assertEqual(self.parse("snapshot", "--", "-t", "x").args, ["-t", "x"])
        self.assertEqual(self.parse("import", "-pq", "ks").options, {"copy_data": True, "quick": True})
        self.assertEqual(self.parse("import", "-p", "ks").options, {"copy_data": True})  # not the port

    def test_errors(self):
        with self.assertRaisesRegex(airline.ParseError, r"^Found unexpected parameters: \[nosuch, x\]$"):
            self.parse("nosuch", "x")
        with self.assertRaisesRegex(airline.ParseError, r"^Required values for option 'tag' not provided$"):
            self.parse("snapshot", "-t")
        with self.assertRaisesRegex(airline.ParseError, r"^Required values for option 'host' not provided$"):
            self.parse("-h")
        self.assertEqual(self.parse().command.name, "help")


if __name__ == "__main__":
    unittest.main()
