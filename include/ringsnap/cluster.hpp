// SPDX-License-Identifier: Apache-2.0
#pragma once

// The cluster file (design.md, "Cluster file"): how to reach every node of every data center.
// Its keys are a contract with users. Settings under `ssh:` and `cassandra:` cascade
// cluster -> data center -> node; a node's own value wins.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/duration.hpp>
#include <ringsnap/result.hpp>

namespace ringsnap {

// `ssh:` settings. Unset values stay unset so that ~/.ssh/config (and then libssh's own
// defaults) can supply them; see ssh/session.cpp for the order.
struct SshSettings
{
    std::optional<std::string> user;
    std::optional<int> port;
    std::optional<std::string> identity_file;
    std::optional<std::string> known_hosts;
    std::optional<Duration> connect_timeout;
    std::optional<Duration> command_timeout;
    std::optional<std::string> sudo; // run nodetool and file work as `sudo -n -u <sudo>`
    std::optional<int> connect_retries;

    // Fills every unset field of *this from `parent` (the cascade step).
    void inherit(const SshSettings& parent);
};

// `cassandra:` settings.
struct CassandraSettings
{
    std::optional<std::string> nodetool;
    std::optional<std::string> jmx_user;
    std::optional<std::string> jmx_password_file; // a file on the node, never its content
    std::optional<std::vector<std::string>> data_dirs;
    std::optional<std::string> commitlog_dir;
    std::optional<std::string> sstableloader;
    std::optional<std::string> stop_command;
    std::optional<std::string> start_command;
    std::optional<std::string> config_file; // cassandra.yaml on the node
    std::optional<std::string> cqlsh;       // restore: TRUNCATE through CQL on one node
    std::optional<std::string> cql_user;
    std::optional<std::string> cql_password_file; // on the operator host; its content goes through stdin

    void inherit(const CassandraSettings& parent);
};

// `archive:` settings: where the nodes copy their files off with rclone (docs/archive.md).
struct ArchiveSettings
{
    std::optional<std::string> remote;        // an rclone "remote:path", or an absolute path (a mount)
    std::optional<std::string> rclone;        // the program on the node
    std::optional<std::string> rclone_config; // on the operator host; its content reaches nodes on stdin
    std::optional<std::string> bwlimit;       // rclone's --bwlimit, per node ("50M", "10M:off", a timetable)
    std::optional<int> transfers;             // files in flight per node
    void inherit(const ArchiveSettings& parent);
};

// Defaults applied after the cascade, for values ~/.ssh/config does not own.
inline constexpr Duration k_default_connect_timeout = std::chrono::seconds(10);
inline constexpr Duration k_default_command_timeout = std::chrono::minutes(30);
inline constexpr int k_default_connect_retries = 2;
inline constexpr const char* k_default_nodetool = "nodetool";
inline constexpr const char* k_default_data_dir = "/var/lib/cassandra/data";
inline constexpr const char* k_default_config_file = "/etc/cassandra/cassandra.yaml"; // Debian/RPM packages
inline constexpr const char* k_default_cqlsh = "cqlsh";
inline constexpr const char* k_default_sstableloader = "sstableloader";
inline constexpr const char* k_default_rclone = "rclone";
inline constexpr int k_default_transfers = 4;

// One node with its settings already cascaded (cluster -> data center -> node).
struct Node
{
    std::string host;       // what ssh connects to: a name or an address
    std::string datacenter; // from the file, or from `nodetool status` with --seed
    std::string rack;       // may be empty when the file does not say
    SshSettings ssh;
    CassandraSettings cassandra;
    ArchiveSettings archive;

    Duration connect_timeout() const { return ssh.connect_timeout.value_or(k_default_connect_timeout); }
    Duration command_timeout() const { return ssh.command_timeout.value_or(k_default_command_timeout); }
    std::string nodetool() const { return cassandra.nodetool.value_or(k_default_nodetool); }
    std::string config_file() const { return cassandra.config_file.value_or(k_default_config_file); }
    std::string cqlsh() const { return cassandra.cqlsh.value_or(k_default_cqlsh); }
    std::string sstableloader() const { return cassandra.sstableloader.value_or(k_default_sstableloader); }
    std::vector<std::string> data_dirs() const
    {
        return cassandra.data_dirs.value_or(std::vector<std::string>{k_default_data_dir});
    }
    bool archived() const { return archive.remote.has_value(); }
    std::string rclone() const { return archive.rclone.value_or(k_default_rclone); }
    int transfers() const { return archive.transfers.value_or(k_default_transfers); }
};

// Commands run on the operator host around a run (docs/automation.md); empty: none.
struct Hooks
{
    std::string pre;  // before any node is touched; failing, it stops the run (exit 2)
    std::string post; // after the run, told how it went in RINGSNAP_* variables
};

struct Cluster
{
    std::string name;
    std::filesystem::path catalog;                     // default ~/.local/share/ringsnap
    std::optional<std::filesystem::path> metrics_file; // metrics_file: the default of --metrics-file
    Hooks hooks;                                       // hooks: the defaults of --pre-hook, --post-hook
    std::filesystem::path source_file;                 // the file it was read from
    SshSettings ssh;                                   // cluster level, kept for nodes found later (--seed)
    CassandraSettings cassandra;
    ArchiveSettings archive;
    std::vector<Node> nodes; // file order, data centers in file order
};

// Reads and validates a cluster file. Errors are ErrorKind::config and name the file, the line
// and the key, and say what was expected ("cluster.yaml:12: datacenters.dc1.nodes[0].host: ...").
// A file without `datacenters:` is valid (the topology then comes from --seed). Relative paths on
// the operator host start at the file's directory; ssh.identity_file and ssh.known_hosts must
// exist and be readable.
Result<Cluster> load_cluster_file(const std::filesystem::path& path);

// The same from text, for tests; `name` stands in for the file name in messages, and its
// directory is where relative paths start. The files it names are not checked.
Result<Cluster> parse_cluster_yaml(const std::string& text, const std::string& name);

// A node built from cluster-level settings only (for --seed discovery).
Node make_discovered_node(const Cluster& cluster, std::string host, std::string datacenter, std::string rack);

// --dc and --hosts. Empty lists select everything. An unknown data center or host is an
// ErrorKind::usage error naming it and listing what exists.
struct NodeSelection
{
    std::vector<std::string> datacenters;
    std::vector<std::string> hosts;
};
Result<std::vector<Node>> select_nodes(const std::vector<Node>& nodes, const NodeSelection& selection);

} // namespace ringsnap
