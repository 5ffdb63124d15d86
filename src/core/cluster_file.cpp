// SPDX-License-Identifier: Apache-2.0
// The cluster file: YAML in, a validated Cluster out. Every error names the file, the line and
// the key path, and says what was expected, because operators keep these files for years and
// fix them from the message alone.

#include <ringsnap/cluster.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace ringsnap {

namespace {

// A node of the YAML tree with its key path, for messages.
struct Field {
    const YAML::Node& node;
    std::string path;
};

class Reader {
public:
    explicit Reader(std::string file_name) : m_file_name(std::move(file_name)) {}

    Error error(const YAML::Node& node, const std::string& path, const std::string& message) const
    {
        int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
        std::string where = line > 0 ? fmt::format("{}:{}", m_file_name, line) : m_file_name;
        return make_error(ErrorKind::config, fmt::format("{}: {}: {}", where, path, message));
    }

    // Refuses keys outside `known`, so that a typo cannot silently fall back to a default.
    Status check_keys(const Field& map, std::initializer_list<const char*> known) const
    {
        if (!map.node.IsMap()) {
            return error(map.node, map.path, fmt::format("expected a mapping with keys {}", join(known)));
        }
        for (const auto& entry : map.node) {
            std::string key = entry.first.Scalar();
            if (std::none_of(known.begin(), known.end(), [&](const char* name) { return key == name; })) {
                return error(entry.first, child_path(map.path, key),
                             fmt::format("unknown key; known keys: {}", join(known)));
            }
        }
        return {};
    }

    Result<std::string> text(const Field& field) const
    {
        if (!field.node.IsScalar() || field.node.Scalar().empty()) {
            return error(field.node, field.path, "expected a non-empty text value");
        }
        const std::string& value = field.node.Scalar();
        if (value.find_first_of("\n\r") != std::string::npos || value.find('\0') != std::string::npos) {
            return error(field.node, field.path, "must be a single line");
        }
        return value;
    }

    Result<int> whole_number(const Field& field, int min, int max) const
    {
        auto value = text(field);
        if (!value) {
            return value.error();
        }
        try {
            std::size_t used = 0;
            long parsed = std::stol(*value, &used);
            if (used == value->size() && parsed >= min && parsed <= max) {
                return static_cast<int>(parsed);
            }
        } catch (const std::exception&) {
        }
        return error(field.node, field.path,
                     fmt::format("expected a whole number from {} to {}, got \"{}\"", min, max, *value));
    }

    Result<Duration> duration(const Field& field) const
    {
        auto value = text(field);
        if (!value) {
            return value.error();
        }
        auto parsed = parse_duration(*value);
        if (!parsed) {
            return error(field.node, field.path, parsed.error().message);
        }
        return *parsed;
    }

    // Names that end up in paths or command lines: letters, digits and `_.-`, no leading dot.
    Result<std::string> safe_name(const Field& field, const char* what) const
    {
        auto value = text(field);
        if (!value) {
            return value.error();
        }
        bool safe = std::all_of(value->begin(), value->end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
        });
        if (!safe || value->front() == '.' || value->front() == '-') {
            return error(field.node, field.path,
                         fmt::format("invalid {} \"{}\": use letters, digits, '_', '.' and '-', not starting "
                                     "with '.' or '-'",
                                     what, *value));
        }
        return *value;
    }

    Result<std::string> absolute_path(const Field& field) const
    {
        auto value = text(field);
        if (value && value->front() != '/') {
            return error(field.node, field.path, fmt::format("expected an absolute path, got \"{}\"", *value));
        }
        return value;
    }

    static std::string child_path(const std::string& parent, const std::string& key)
    {
        return parent.empty() ? key : parent + "." + key;
    }

    const std::string& file_name() const { return m_file_name; }

private:
    static std::string join(std::initializer_list<const char*> names)
    {
        std::string joined;
        for (const char* name : names) {
            joined += joined.empty() ? name : std::string(", ") + name;
        }
        return joined;
    }

    std::string m_file_name;
};

std::string expand_home(const std::string& path)
{
    if (path == "~" || path.rfind("~/", 0) == 0) {
        if (const char* home = std::getenv("HOME")) {
            return std::string(home) + path.substr(1);
        }
    }
    return path;
}

// A name or an address ssh can connect to. libssh refuses '_' in names and "host:port".
Status check_host(const Reader& reader, const Field& field, const std::string& host)
{
    auto is_name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; };
    auto is_ipv6_char = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == '%'; };
    bool ipv6 = host.find(':') != std::string::npos;
    if (!ipv6 && host.find('_') != std::string::npos) {
        return reader.error(field.node, field.path,
                            fmt::format("\"{}\": libssh refuses '_' in host names; use the node's address or a "
                                        "name without '_'",
                                        host));
    }
    bool valid = ipv6 ? std::all_of(host.begin(), host.end(), is_ipv6_char)
                      : std::all_of(host.begin(), host.end(), is_name_char);
    if (!valid || host.front() == '-' || host.front() == '.') {
        return reader.error(field.node, field.path,
                            fmt::format("\"{}\" is not a host name or IP address (set the port with `port:`)", host));
    }
    return {};
}

#define RINGSNAP_ASSIGN(target, expression)      \
    do {                                         \
        auto assigned_value = (expression);      \
        if (!assigned_value) {                   \
            return assigned_value.error();       \
        }                                        \
        target = std::move(*assigned_value);     \
    } while (false)

Result<SshSettings> read_ssh(const Reader& reader, const Field& map)
{
    SshSettings ssh;
    if (auto status = reader.check_keys(map, {"user", "port", "identity_file", "known_hosts", "connect_timeout",
                                              "command_timeout", "sudo", "connect_retries"});
        !status) {
        return status.error();
    }
    for (const auto& entry : map.node) {
        std::string key = entry.first.Scalar();
        Field field{entry.second, Reader::child_path(map.path, key)};
        if (key == "user") {
            RINGSNAP_ASSIGN(ssh.user, reader.safe_name(field, "user name"));
        } else if (key == "port") {
            RINGSNAP_ASSIGN(ssh.port, reader.whole_number(field, 1, 65535));
        } else if (key == "identity_file") {
            RINGSNAP_ASSIGN(ssh.identity_file, reader.text(field));
            ssh.identity_file = expand_home(*ssh.identity_file);
        } else if (key == "known_hosts") {
            RINGSNAP_ASSIGN(ssh.known_hosts, reader.text(field));
            ssh.known_hosts = expand_home(*ssh.known_hosts);
        } else if (key == "connect_timeout") {
            RINGSNAP_ASSIGN(ssh.connect_timeout, reader.duration(field));
        } else if (key == "command_timeout") {
            RINGSNAP_ASSIGN(ssh.command_timeout, reader.duration(field));
        } else if (key == "sudo") {
            RINGSNAP_ASSIGN(ssh.sudo, reader.safe_name(field, "sudo user"));
        } else if (key == "connect_retries") {
            RINGSNAP_ASSIGN(ssh.connect_retries, reader.whole_number(field, 0, 10));
        }
    }
    return ssh;
}

Result<std::vector<std::string>> read_data_dirs(const Reader& reader, const Field& field)
{
    if (!field.node.IsSequence() || field.node.size() == 0) {
        return reader.error(field.node, field.path, "expected a list of absolute paths, e.g. [/var/lib/cassandra/data]");
    }
    std::vector<std::string> dirs;
    for (std::size_t i = 0; i < field.node.size(); ++i) {
        std::string path;
        RINGSNAP_ASSIGN(path, reader.absolute_path(Field{field.node[i], fmt::format("{}[{}]", field.path, i)}));
        dirs.push_back(std::move(path));
    }
    return dirs;
}

Result<CassandraSettings> read_cassandra(const Reader& reader, const Field& map)
{
    CassandraSettings cassandra;
    if (auto status = reader.check_keys(map, {"nodetool", "jmx_user", "jmx_password_file", "data_dirs",
                                              "commitlog_dir", "sstableloader", "stop_command", "start_command"});
        !status) {
        return status.error();
    }
    for (const auto& entry : map.node) {
        std::string key = entry.first.Scalar();
        Field field{entry.second, Reader::child_path(map.path, key)};
        if (key == "nodetool") {
            RINGSNAP_ASSIGN(cassandra.nodetool, reader.text(field));
        } else if (key == "jmx_user") {
            RINGSNAP_ASSIGN(cassandra.jmx_user, reader.safe_name(field, "JMX user"));
        } else if (key == "jmx_password_file") {
            RINGSNAP_ASSIGN(cassandra.jmx_password_file, reader.absolute_path(field));
        } else if (key == "data_dirs") {
            RINGSNAP_ASSIGN(cassandra.data_dirs, read_data_dirs(reader, field));
        } else if (key == "commitlog_dir") {
            RINGSNAP_ASSIGN(cassandra.commitlog_dir, reader.absolute_path(field));
        } else if (key == "sstableloader") {
            RINGSNAP_ASSIGN(cassandra.sstableloader, reader.text(field));
        } else if (key == "stop_command") {
            RINGSNAP_ASSIGN(cassandra.stop_command, reader.text(field));
        } else if (key == "start_command") {
            RINGSNAP_ASSIGN(cassandra.start_command, reader.text(field));
        }
    }
    return cassandra;
}

// The `ssh:` and `cassandra:` blocks of a mapping, whichever are present.
Status read_settings(const Reader& reader, const Field& map, SshSettings& ssh, CassandraSettings& cassandra)
{
    if (const auto& block = map.node["ssh"]) {
        RINGSNAP_ASSIGN(ssh, read_ssh(reader, Field{block, Reader::child_path(map.path, "ssh")}));
    }
    if (const auto& block = map.node["cassandra"]) {
        RINGSNAP_ASSIGN(cassandra, read_cassandra(reader, Field{block, Reader::child_path(map.path, "cassandra")}));
    }
    return {};
}

Result<Node> read_node(const Reader& reader, const Field& field, const std::string& datacenter)
{
    Node node;
    node.datacenter = datacenter;
    if (field.node.IsScalar()) {  // `- 10.0.1.11`: a node that needs nothing but its host
        RINGSNAP_ASSIGN(node.host, reader.text(field));
        if (auto status = check_host(reader, field, node.host); !status) {
            return status.error();
        }
        return node;
    }
    if (auto status = reader.check_keys(field, {"host", "rack", "ssh", "cassandra"}); !status) {
        return status.error();
    }
    if (!field.node["host"]) {
        return reader.error(field.node, field.path, "missing `host:` (the name or address ssh connects to)");
    }
    Field host{field.node["host"], field.path + ".host"};
    RINGSNAP_ASSIGN(node.host, reader.text(host));
    if (auto status = check_host(reader, host, node.host); !status) {
        return status.error();
    }
    if (const auto& rack = field.node["rack"]) {
        RINGSNAP_ASSIGN(node.rack, reader.safe_name(Field{rack, field.path + ".rack"}, "rack"));
    }
    if (auto status = read_settings(reader, field, node.ssh, node.cassandra); !status) {
        return status.error();
    }
    return node;
}

Status read_datacenters(const Reader& reader, const Field& map, Cluster& cluster)
{
    if (!map.node.IsMap()) {
        return reader.error(map.node, map.path, "expected a mapping of data center names, e.g. dc1: {nodes: [...]}");
    }
    std::map<std::string, std::string> seen_at;  // "host:port" -> where it was listed
    for (const auto& entry : map.node) {
        std::string datacenter;
        Field name{entry.first, map.path};
        RINGSNAP_ASSIGN(datacenter, reader.safe_name(name, "data center name"));
        Field dc{entry.second, "datacenters." + datacenter};
        if (auto status = reader.check_keys(dc, {"nodes", "ssh", "cassandra"}); !status) {
            return status;
        }
        SshSettings dc_ssh;
        CassandraSettings dc_cassandra;
        if (auto status = read_settings(reader, dc, dc_ssh, dc_cassandra); !status) {
            return status;
        }
        const auto& nodes = dc.node["nodes"];
        if (!nodes || !nodes.IsSequence() || nodes.size() == 0) {
            return reader.error(nodes ? nodes : dc.node, dc.path + ".nodes",
                                "expected a non-empty list of nodes, e.g. [{host: 10.0.1.11, rack: rack1}]");
        }
        dc_ssh.inherit(cluster.ssh);
        dc_cassandra.inherit(cluster.cassandra);
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            Field field{nodes[i], fmt::format("{}.nodes[{}]", dc.path, i)};
            Node node;
            RINGSNAP_ASSIGN(node, read_node(reader, field, datacenter));
            node.ssh.inherit(dc_ssh);
            node.cassandra.inherit(dc_cassandra);
            std::string endpoint = fmt::format("{}:{}", node.host, node.ssh.port.value_or(22));
            if (auto [it, fresh] = seen_at.emplace(endpoint, field.path); !fresh) {
                return reader.error(field.node, field.path,
                                    fmt::format("{} is listed twice (also at {})", endpoint, it->second));
            }
            cluster.nodes.push_back(std::move(node));
        }
    }
    return {};
}

Result<Cluster> read_cluster(const Reader& reader, const YAML::Node& root)
{
    Field top{root, "(top level)"};
    if (!root.IsMap()) {
        return reader.error(root, top.path, "expected a mapping with at least `cluster:` and `datacenters:`");
    }
    Field keys{root, ""};
    if (auto status = reader.check_keys(keys, {"cluster", "catalog", "ssh", "cassandra", "datacenters"}); !status) {
        return status.error();
    }
    Cluster cluster;
    if (!root["cluster"]) {
        return reader.error(root, "cluster", "missing: every cluster file names its cluster (cluster: prod-main)");
    }
    RINGSNAP_ASSIGN(cluster.name, reader.safe_name(Field{root["cluster"], "cluster"}, "cluster name"));
    std::string catalog = "~/.local/share/ringsnap";
    if (const auto& node = root["catalog"]) {
        RINGSNAP_ASSIGN(catalog, reader.text(Field{node, "catalog"}));
    }
    cluster.catalog = expand_home(catalog);
    if (auto status = read_settings(reader, keys, cluster.ssh, cluster.cassandra); !status) {
        return status.error();
    }
    if (const auto& datacenters = root["datacenters"]) {
        if (auto status = read_datacenters(reader, Field{datacenters, "datacenters"}, cluster); !status) {
            return status.error();
        }
    }
    return cluster;
}

#undef RINGSNAP_ASSIGN

template <class T>
void inherit_value(std::optional<T>& value, const std::optional<T>& parent)
{
    if (!value && parent) {
        value = parent;
    }
}

} // namespace

void SshSettings::inherit(const SshSettings& parent)
{
    inherit_value(user, parent.user);
    inherit_value(port, parent.port);
    inherit_value(identity_file, parent.identity_file);
    inherit_value(known_hosts, parent.known_hosts);
    inherit_value(connect_timeout, parent.connect_timeout);
    inherit_value(command_timeout, parent.command_timeout);
    inherit_value(sudo, parent.sudo);
    inherit_value(connect_retries, parent.connect_retries);
}

void CassandraSettings::inherit(const CassandraSettings& parent)
{
    inherit_value(nodetool, parent.nodetool);
    inherit_value(jmx_user, parent.jmx_user);
    inherit_value(jmx_password_file, parent.jmx_password_file);
    inherit_value(data_dirs, parent.data_dirs);
    inherit_value(commitlog_dir, parent.commitlog_dir);
    inherit_value(sstableloader, parent.sstableloader);
    inherit_value(stop_command, parent.stop_command);
    inherit_value(start_command, parent.start_command);
}

Result<Cluster> parse_cluster_yaml(const std::string& text, const std::string& name)
{
    Reader reader(name);
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& error) {
        return make_error(ErrorKind::config,
                          fmt::format("{}:{}: not valid YAML: {}", name, error.mark.line + 1, error.msg));
    }
    return read_cluster(reader, root);
}

Result<Cluster> load_cluster_file(const std::filesystem::path& path)
{
    std::ifstream in(path);
    if (!in) {
        return make_error(ErrorKind::config, fmt::format("cannot read cluster file {}", path.string()));
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto cluster = parse_cluster_yaml(buffer.str(), path.string());
    if (cluster) {
        cluster->source_file = path;
    }
    return cluster;
}

Node make_discovered_node(const Cluster& cluster, std::string host, std::string datacenter, std::string rack)
{
    Node node;
    node.host = std::move(host);
    node.datacenter = std::move(datacenter);
    node.rack = std::move(rack);
    node.ssh = cluster.ssh;
    node.cassandra = cluster.cassandra;
    return node;
}

Result<std::vector<Node>> select_nodes(const std::vector<Node>& nodes, const NodeSelection& selection)
{
    auto known = [&](auto member) {
        std::set<std::string> values;
        for (const auto& node : nodes) {
            values.insert(node.*member);
        }
        return values;
    };
    auto check = [&](const std::vector<std::string>& wanted, const std::set<std::string>& existing,
                     const char* what) -> Status {
        for (const auto& name : wanted) {
            if (!existing.count(name)) {
                return make_error(ErrorKind::usage, fmt::format("unknown {} \"{}\"; the cluster has: {}", what, name,
                                                                fmt::join(existing, ", ")));
            }
        }
        return {};
    };
    if (auto status = check(selection.datacenters, known(&Node::datacenter), "data center"); !status) {
        return status.error();
    }
    if (auto status = check(selection.hosts, known(&Node::host), "host"); !status) {
        return status.error();
    }
    auto wanted = [](const std::vector<std::string>& list, const std::string& value) {
        return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
    };
    std::vector<Node> selected;
    for (const auto& node : nodes) {
        if (wanted(selection.datacenters, node.datacenter) && wanted(selection.hosts, node.host)) {
            selected.push_back(node);
        }
    }
    if (selected.empty()) {
        return make_error(ErrorKind::usage, "--dc and --hosts together select no node");
    }
    return selected;
}

} // namespace ringsnap
