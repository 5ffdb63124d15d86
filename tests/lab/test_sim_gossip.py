"""nodetool gossipinfo of the simulator, run through bin/nodetool: the entry of every node of a
two-DC lab per version (field names, order, formats, values), shut-down, drained, killed and
saved-endpoint entries, -r/-pp, and agreement with `nodetool info` and `nodetool version`."""

import re
import time
import unittest

from simlab import Lab

VERSIONS = ("3.11", "4.0", "4.1", "5.0")
RELEASES = {"3.11": "3.11.18", "4.0": "4.0.13", "4.1": "4.1.6", "5.0": "5.0.3"}
HELP = "See 'nodetool help' or 'nodetool help <command>'.\n"
NODES = ("dc1-n1", "dc1-n2", "dc2-n1")

# State names in ApplicationState order, as each line prints the states a node publishes.
LOCAL_311 = ["STATUS", "LOAD", "SCHEMA", "DC", "RACK", "RELEASE_VERSION", "INTERNAL_IP", "RPC_ADDRESS",
             "NET_VERSION", "HOST_ID", "RPC_READY", "SSTABLE_VERSIONS"]
LOCAL_40 = LOCAL_311[:-1] + ["INTERNAL_ADDRESS_AND_PORT", "NATIVE_ADDRESS_AND_PORT", "STATUS_WITH_PORT",
                             "SSTABLE_VERSIONS"]
# a 4.0+ node that knows no 3.x node drops its peers' legacy states
PEER_40 = [name for name in LOCAL_40 if name not in ("STATUS", "INTERNAL_IP", "RPC_ADDRESS")]


def parse(text: str) -> list:
    """[{"endpoint", "generation", "heartbeat", "states": [(name, version, value)], "tokens"}]
    in output order; asserts the line shapes."""
    assert text.endswith("\n\n"), repr(text[-40:])
    entries = []
    for line in text[:-2].split("\n"):
        if not line.startswith("  "):
            entries.append({"endpoint": line, "states": [], "tokens": None})
            continue
        entry = entries[-1]
        match = re.fullmatch(r"  (generation|heartbeat):(\d+)", line)
        if match:
            assert match.group(1) not in entry and not entry["states"], line
            entry[match.group(1)] = int(match.group(2))
            continue
        assert "heartbeat" in entry and entry["tokens"] is None, line  # TOKENS comes last
        match = re.fullmatch(r"  TOKENS:(\d+):<hidden>|  TOKENS: not present", line)
        if match:
            entry["tokens"] = int(match.group(1)) if match.group(1) else "not present"
            continue
        match = re.fullmatch(r"  ([A-Z0-9_]+):(\d+):(.*)", line)
        assert match, line
        entry["states"].append((match.group(1), int(match.group(2)), match.group(3)))
    assert all(e["tokens"] is not None for e in entries)
    return entries


def by_address(entries: list) -> dict:
    return {e["endpoint"].lstrip("/").split(":")[0]: e for e in entries}


def states(entry: dict) -> dict:
    return {name: (version, value) for name, version, value in entry["states"]}


def java_order(version: str, addresses: list) -> list:
    """ConcurrentHashMap order of a few keys (16 bins, no resize): bin of the spread hash, then
    insertion order."""
    def bucket(address):
        ip = 0
        for part in address.split("."):
            ip = ip * 256 + int(part)
        h = {"3.11": ip, "4.0": 31 * ip + 7000}.get(version, ip + 7000) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & 15
    return sorted(addresses, key=bucket)


class PerVersion(unittest.TestCase):
    """One lab per version: dc1-n1 (rack1), dc1-n2 (rack2), dc2-n1 (rack1)."""

    @classmethod
    def setUpClass(cls):
        cls.labs = {v: Lab([("dc1-n1", "dc1", "rack1", v), ("dc1-n2", "dc1", "rack2", v),
                            ("dc2-n1", "dc2", "rack1", v)]) for v in VERSIONS}

    @classmethod
    def tearDownClass(cls):
        for lab in cls.labs.values():
            lab.close()

    def gossip(self, lab, node="dc1-n1", *args) -> list:
        return parse(lab.ok(node, "nodetool", *args, "gossipinfo"))

    def assertBadUse(self, result, message):
        self.assertEqual((result.returncode, result.stderr), (1, ""))
        self.assertEqual(result.stdout, f"nodetool: {message}\n{HELP}")

    def restart(self, lab, node):
        lab.ok(node, "cassandra-stop")
        lab.ok(node, "cassandra-start")

    def test_every_node_with_its_fields_in_order(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                ring = lab.ring()
                entries = self.gossip(lab)
                addresses = [lab.addresses[n] for n in NODES]
                self.assertEqual([e["endpoint"] for e in entries],
                                 ["/" + a for a in java_order(version, [addresses[0]] + addresses[1:])])
                for name in NODES:
                    node = ring["nodes"][name]
                    entry = by_address(entries)[node["address"]]
                    local = name == "dc1-n1"
                    expected = LOCAL_311 if version == "3.11" else LOCAL_40 if local else PEER_40
                    self.assertEqual([s[0] for s in entry["states"]], expected)
                    self.assertEqual(entry["generation"], lab.node_state(name)["generation"])
                    got = states(entry)
                    self.assertEqual(got["DC"][1], node["dc"])
                    self.assertEqual(got["RACK"][1], node["rack"])
                    self.assertEqual(got["HOST_ID"][1], node["host_id"])
                    self.assertEqual(got["RELEASE_VERSION"][1], RELEASES[version])
                    self.assertEqual(got["SCHEMA"][1], ring["schema"]["version"])
                    self.assertEqual(got["NET_VERSION"][1], "11" if version == "3.11" else "12")
                    self.assertEqual(got["RPC_READY"][1], "true")
                    self.assertEqual(got["SSTABLE_VERSIONS"][1], "big-me" if version == "3.11" else "big-nb")
                    self.assertRegex(got["LOAD"][1], r"^\d+\.\d+(E\d+)?$")
                    status = got["STATUS" if version == "3.11" else "STATUS_WITH_PORT"][1]
                    self.assertRegex(status, r"^NORMAL,-?\d+$")
                    self.assertIn(int(status.split(",")[1]), node["tokens"])
                    if version != "3.11":
                        self.assertEqual(got["INTERNAL_ADDRESS_AND_PORT"][1], node["address"] + ":7000")
                        self.assertEqual(got["NATIVE_ADDRESS_AND_PORT"][1], node["address"] + ":9042")
                    if version == "3.11" or local:
                        self.assertEqual(got["INTERNAL_IP"][1], node["address"])
                        self.assertEqual(got["RPC_ADDRESS"][1], node["address"])
                        self.assertEqual(got["STATUS"][1], status)
                    versions = [v for _, v, _ in entry["states"]] + [entry["tokens"]]
                    self.assertEqual(len(set(versions)), len(versions))  # one counter per node
                    self.assertGreater(entry["heartbeat"], max(versions))

    def test_heartbeat_moves_and_the_rest_stays(self):
        lab = self.labs["4.1"]
        first = by_address(self.gossip(lab))
        time.sleep(1.1)
        second = by_address(self.gossip(lab, "dc2-n1"))
        for address, entry in first.items():
            self.assertGreater(second[address]["heartbeat"], entry["heartbeat"])
            self.assertEqual(second[address]["generation"], entry["generation"])
            self.assertEqual(states(second[address])["HOST_ID"], states(entry)["HOST_ID"])
            self.assertEqual(states(second[address])["DC"], states(entry)["DC"])
            self.assertEqual(second[address]["tokens"], entry["tokens"])

    def test_own_entry_agrees_with_info_and_version(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                for name in ("dc1-n2", "dc2-n1"):
                    info = dict(re.findall(r"^(.*?) *: (.*)$", lab.ok(name, "nodetool", "info"), re.M))
                    release = lab.ok(name, "nodetool", "version").split(": ")[1].strip()
                    own = states(by_address(self.gossip(lab, name))[lab.addresses[name]])
                    self.assertEqual(own["HOST_ID"][1], info["ID"])
                    self.assertEqual(own["DC"][1], info["Data Center"])
                    self.assertEqual(own["RACK"][1], info["Rack"])
                    self.assertEqual(own["RELEASE_VERSION"][1], release)
                    self.assertEqual(by_address(self.gossip(lab, name))[lab.addresses[name]]["generation"],
                                     int(info["Generation No"]))

    def test_shut_down_node(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                before = by_address(self.gossip(lab))[lab.addresses["dc1-n2"]]
                lab.ok("dc1-n2", "cassandra-stop")
                try:
                    result = lab.nodetool("dc1-n2", "gossipinfo")  # every command fails before running
                    refused = "Connection refused (Connection refused)" if version == "3.11" else "Connection refused"
                    self.assertEqual((result.returncode, result.stdout, result.stderr),
                                     (1, "", f"nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: "
                                             f"'{refused}'.\n"))
                    entry = by_address(self.gossip(lab))[lab.addresses["dc1-n2"]]
                    got = states(entry)
                    self.assertEqual(entry["heartbeat"], 2147483647)
                    self.assertEqual(entry["generation"], before["generation"])
                    self.assertEqual(got["STATUS"][1], "shutdown,true")
                    self.assertEqual(got["RPC_READY"], (got["STATUS"][0] + 1, "false"))
                    if version == "3.11":
                        self.assertEqual([s[0] for s in entry["states"]], LOCAL_311)
                    else:
                        # markAsShutdown puts STATUS back next to STATUS_WITH_PORT, with the
                        # observer's versions
                        self.assertEqual([s[0] for s in entry["states"]], ["STATUS"] + PEER_40)
                        self.assertEqual(got["STATUS_WITH_PORT"], (got["STATUS"][0] - 1, "shutdown,true"))
                    self.assertGreater(got["STATUS"][0], max(v for n, v, _ in before["states"]))
                    self.assertEqual(got["HOST_ID"], states(before)["HOST_ID"])
                    self.assertEqual(entry["tokens"], before["tokens"])
                    # the other data center's node tells the same story
                    other = by_address(self.gossip(lab, "dc2-n1"))[lab.addresses["dc1-n2"]]
                    self.assertEqual(other["heartbeat"], 2147483647)
                finally:
                    lab.ok("dc1-n2", "cassandra-start")
                entry = by_address(self.gossip(lab))[lab.addresses["dc1-n2"]]
                self.assertGreaterEqual(entry["generation"], before["generation"])
                self.assertEqual(states(entry)["RPC_READY"][1], "true")

    def test_killed_node(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                lab.ok("dc2-n1", "cassandra-stop", "--kill")
                try:
                    entry = by_address(self.gossip(lab))[lab.addresses["dc2-n1"]]
                    got = states(entry)
                    self.assertEqual(got["STATUS" if version == "3.11" else "STATUS_WITH_PORT"][1][:7], "NORMAL,")
                    self.assertEqual(got["RPC_READY"][1], "true")
                    self.assertEqual([s[0] for s in entry["states"]], LOCAL_311 if version == "3.11" else PEER_40)
                    self.assertLess(entry["heartbeat"], 2147483647)
                    time.sleep(1.1)
                    again = by_address(self.gossip(lab, "dc1-n2"))[lab.addresses["dc2-n1"]]
                    self.assertEqual((again["generation"], again["heartbeat"]),
                                     (entry["generation"], entry["heartbeat"]))
                    self.assertEqual(again["states"], entry["states"])
                finally:
                    lab.ok("dc2-n1", "cassandra-start")

    def test_drained_node(self):
        lab = self.labs["4.0"]
        try:
            lab.ok("dc2-n1", "nodetool", "drain")
            own = by_address(self.gossip(lab, "dc2-n1"))[lab.addresses["dc2-n1"]]
            got = states(own)
            self.assertEqual([s[0] for s in own["states"]], LOCAL_40)
            self.assertEqual(got["STATUS"][1], "shutdown,true")
            self.assertEqual(got["STATUS_WITH_PORT"], (got["STATUS"][0] - 1, "shutdown,true"))
            self.assertEqual(got["RPC_READY"], (got["STATUS"][0] - 2, "false"))
            self.assertEqual(own["heartbeat"], got["RPC_READY"][0] - 1)  # the gossip task stopped
            time.sleep(1.1)
            later = by_address(self.gossip(lab, "dc2-n1"))[lab.addresses["dc2-n1"]]
            self.assertEqual(later["heartbeat"], own["heartbeat"])
            peer = by_address(self.gossip(lab))[lab.addresses["dc2-n1"]]
            self.assertEqual(peer["heartbeat"], 2147483647)
            self.assertEqual(states(peer)["STATUS_WITH_PORT"][1], "shutdown,true")
        finally:
            self.restart(lab, "dc2-n1")

    def test_saved_endpoint_after_restarts(self):
        lab = self.labs["5.0"]
        lab.ok("dc1-n2", "cassandra-stop")
        try:
            self.restart(lab, "dc1-n1")  # dc2-n1 saw dc1-n2 go down and tells dc1-n1
            self.assertEqual(by_address(self.gossip(lab))[lab.addresses["dc1-n2"]]["heartbeat"], 2147483647)
            self.restart(lab, "dc2-n1")  # now no live node saw it
            for observer in ("dc1-n1", "dc2-n1"):
                entries = by_address(self.gossip(lab, observer))
                saved = entries[lab.addresses["dc1-n2"]]
                self.assertEqual((saved["generation"], saved["heartbeat"], saved["states"], saved["tokens"]),
                                 (0, 0, [], "not present"))
                # a node of unknown release might be a 3.x one: peers keep their legacy states
                peer = entries[lab.addresses["dc2-n1" if observer == "dc1-n1" else "dc1-n1"]]
                self.assertEqual([s[0] for s in peer["states"]], LOCAL_40)
        finally:
            lab.ok("dc1-n2", "cassandra-start")

    def test_resolve_ip_only_on_41_and_later(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                for flag in ("-r", "--resolve-ip"):
                    result = lab.nodetool("dc1-n1", "gossipinfo", flag)
                    if version in ("3.11", "4.0"):
                        self.assertBadUse(result, f"Found unexpected parameters: [{flag}]")
                        continue
                    self.assertEqual(result.returncode, 0)
                    endpoints = [e["endpoint"] for e in parse(result.stdout)]
                    self.assertEqual(sorted(endpoints), sorted(lab.addresses.values()))  # no name: the address
                    with_port = [e["endpoint"] for e in parse(lab.ok("dc1-n1", "nodetool", "-pp", "gossipinfo", flag))]
                    self.assertEqual(with_port, [e + ":7000" for e in endpoints])

    def test_print_port_and_bad_arguments(self):
        for version, lab in self.labs.items():
            with self.subTest(version=version):
                self.assertBadUse(lab.nodetool("dc1-n1", "gossipinfo", "extra"), "Found unexpected parameters: [extra]")
                if version == "3.11":
                    self.assertBadUse(lab.nodetool("dc1-n1", "-pp", "gossipinfo"), 'For input string: "p"')
                    continue
                plain = [e["endpoint"] for e in self.gossip(lab)]
                self.assertEqual([e["endpoint"] for e in self.gossip(lab, "dc1-n1", "-pp")],
                                 [e + ":7000" for e in plain])
                self.assertBadUse(lab.nodetool("dc1-n1", "gossipinfo", "-pp"), "Found unexpected parameters: [-pp]")


class Mixed(unittest.TestCase):
    def test_mixed_versions(self):
        lab = Lab([("dc1-n1", "dc1", "rack1", "3.11.10"), ("dc1-n2", "dc1", "rack1", "4.0"),
                   ("dc2-n1", "dc2", "rack1", "5.0")])
        try:
            entries = by_address(parse(lab.ok("dc1-n1", "nodetool", "gossipinfo")))
            own = entries[lab.addresses["dc1-n1"]]
            self.assertNotIn("SSTABLE_VERSIONS", states(own))  # published from 3.11.11 on
            self.assertEqual(states(own)["RELEASE_VERSION"][1], "3.11.10")
            peer = entries[lab.addresses["dc1-n2"]]  # 3.11 names 4.0's new states by its own enum
            self.assertEqual([s[0] for s in peer["states"]], LOCAL_311[:-1] + ["X1", "X2", "X3", "SSTABLE_VERSIONS"])
            self.assertEqual(states(peer)["X1"][1], lab.addresses["dc1-n2"] + ":7000")
            # a 4.0+ node keeps its peers' legacy states while a 3.x node is around
            entries = by_address(parse(lab.ok("dc2-n1", "nodetool", "gossipinfo")))
            self.assertEqual([s[0] for s in entries[lab.addresses["dc1-n2"]]["states"]], LOCAL_40)
            self.assertEqual(states(entries[lab.addresses["dc1-n1"]])["RELEASE_VERSION"][1], "3.11.10")
        finally:
            lab.close()

    def test_50_shutdown_on_messaging_13_keeps_the_senders_state(self):
        lab = Lab([("dc1-n1", "dc1", "rack1", "5.0"), ("dc2-n1", "dc2", "rack1", "5.0")])
        try:
            for name in ("dc1-n1", "dc2-n1"):
                lab.edit_yaml(name, "storage_compatibility_mode", "NONE")
                lab.ok(name, "cassandra-stop")
                lab.ok(name, "cassandra-start")
            peer = by_address(parse(lab.ok("dc1-n1", "nodetool", "gossipinfo")))[lab.addresses["dc2-n1"]]
            self.assertEqual(states(peer)["NET_VERSION"][1], "13")
            self.assertEqual(states(peer)["SSTABLE_VERSIONS"][1], "big-oa")
            lab.ok("dc2-n1", "cassandra-stop")
            entry = by_address(parse(lab.ok("dc1-n1", "nodetool", "gossipinfo")))[lab.addresses["dc2-n1"]]
            got = states(entry)
            self.assertEqual(entry["heartbeat"], 2147483647)
            self.assertEqual([s[0] for s in entry["states"]], LOCAL_40)  # legacy states included
            self.assertEqual(got["RPC_READY"][1], "false")
            self.assertEqual((got["STATUS_WITH_PORT"][0], got["STATUS"][0]),
                             (got["RPC_READY"][0] + 1, got["RPC_READY"][0] + 2))  # the sender's own versions
        finally:
            lab.close()


if __name__ == "__main__":
    unittest.main()
