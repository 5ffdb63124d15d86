// SPDX-License-Identifier: Apache-2.0
// The cluster file: YAML in, a validated Cluster out. Every error names the file, the line and
// the key path, and says what was expected, because operators keep these files for years and
// fix them from the message alone. Unknown keys are refused so that a typo (`prot:`) cannot
// silently fall back to a default.

#include <ringsnap/cluster.hpp>

#include <arpa/inet.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <ringsnap/local_file.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap {

namespace {

// Every key the file may hold, per mapping (design.md, "Cluster file"). A contract with users:
// add keys freely, never rename these.
const std::vector<std::string_view> k_top_keys{"cluster", "catalog",   "metrics_file", "hooks",
                                               "ssh",     "cassandra", "archive",      "datacenters"};
const std::vector<std::string_view> k_hook_keys{"pre", "post"};
const std::vector<std::string_view> k_ssh_keys{
    "user", "port", "identity_file", "known_hosts", "connect_timeout", "command_timeout", "sudo", "connect_retries"};
const std::vector<std::string_view> k_cassandra_keys{
    "nodetool",     "jmx_user",      "jmx_password_file", "data_dirs", "commitlog_dir", "sstableloader",
    "stop_command", "start_command", "config_file",       "cqlsh",     "cql_user",      "cql_password_file"};
const std::vector<std::string_view> k_archive_keys{"remote", "rclone", "rclone_config", "bwlimit", "transfers"};
const std::vector<std::string_view> k_datacenter_keys{"ssh", "cassandra", "archive", "nodes"};
const std::vector<std::string_view> k_node_keys{"host", "rack", "ssh", "cassandra", "archive"};

constexpr const char* k_default_catalog = "~/.local/share/ringsnap";
constexpr int k_max_connect_retries = 20;
constexpr int k_max_transfers = 64;
constexpr std::size_t k_max_name = 200;

// A YAML node with the key path that leads to it ("datacenters.dc1.nodes[0].ssh.port").
struct Field
{
    Field() = default;
    Field(YAML::Node node_, std::string path_, YAML::Node key_ = {})
        : node(std::move(node_)), path(std::move(path_)), key(std::move(key_))
    {
    }

    YAML::Node node;
    std::string path;
    YAML::Node key; // names the line for `key:` with no value (yaml-cpp puts that null on the next line)
};

bool is_ascii_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A key as it appears in a key path: bare when it is a short plain name, quoted (and cut) when
// not, so that a hostile or huge key cannot make every message about its subtree huge.
std::string key_for_path(std::string_view key)
{
    constexpr std::size_t k_max_bare_key = 64;
    bool plain = !key.empty() && key.size() <= k_max_bare_key && std::all_of(key.begin(), key.end(), [](char c) {
        return is_ascii_alnum(c) || c == '_' || c == '.' || c == '-';
    });
    return plain ? std::string(key) : quote_for_message(key);
}

std::string child_path(const std::string& parent, std::string_view key)
{
    return parent.empty() ? key_for_path(key) : fmt::format("{}.{}", parent, key_for_path(key));
}

std::string lowercase(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return text;
}

// Edit distance, for "did you mean" on unknown keys.
std::size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// " (did you mean port?)" for a key one or two edits away from a known one. Long keys are no
// typo of a short one, and measuring them would cost time in proportion to their length.
std::string did_you_mean(std::string_view key, const std::vector<std::string_view>& known)
{
    constexpr std::size_t k_longest_typo = 64;
    if (key.size() > k_longest_typo || known.empty()) {
        return {};
    }
    auto closest = std::min_element(known.begin(), known.end(),
                                    [&](auto a, auto b) { return edit_distance(key, a) < edit_distance(key, b); });
    return edit_distance(key, *closest) <= 2 ? fmt::format(" (did you mean {}?)", *closest) : "";
}

std::string home_directory()
{
    if (const char* home = std::getenv("HOME"); home && *home) {
        return home;
    }
    if (const passwd* entry = getpwuid(getuid()); entry && entry->pw_dir) {
        return entry->pw_dir;
    }
    return {};
}

// `~` and `~/...` on the operator host. `~user` is not expanded (refused by the caller).
std::string expand_home(const std::string& path)
{
    if (path == "~" || path.rfind("~/", 0) == 0) {
        std::string home = home_directory();
        if (!home.empty()) {
            return home + path.substr(1);
        }
    }
    return path;
}

// What a node holds, for "expected X, got <this>" messages.
std::string describe(const YAML::Node& node)
{
    switch (node.Type()) {
    case YAML::NodeType::Null:
        return "nothing";
    case YAML::NodeType::Scalar:
        return quote_for_message(node.Scalar());
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Map:
        return "a mapping";
    case YAML::NodeType::Undefined:
        break;
    }
    return "nothing";
}

// One `key: value` of a mapping; the key's node gives the line of key errors.
struct Entry
{
    std::string key;
    YAML::Node key_node;
    Field value;
};

// The keys of one mapping, checked, in file order.
class Mapping
{
  public:
    Mapping() = default;
    explicit Mapping(std::vector<Entry> entries) : m_entries(std::move(entries)) {}

    const std::vector<Entry>& entries() const { return m_entries; }

    const Field* find(std::string_view key) const
    {
        auto found = std::find_if(m_entries.begin(), m_entries.end(), [&](const Entry& e) { return e.key == key; });
        return found == m_entries.end() ? nullptr : &found->value;
    }

  private:
    std::vector<Entry> m_entries;
};

// Whether the reader checks that the files it names on the operator host exist.
enum class LocalFiles { checked, unchecked };

class ClusterFileReader
{
  public:
    ClusterFileReader(std::string file_name, std::filesystem::path directory, LocalFiles local_files)
        : m_file_name(std::move(file_name)), m_directory(std::move(directory)), m_local_files(local_files)
    {
    }

    Result<Cluster> read(const YAML::Node& root);

  private:
    Error error(const YAML::Node& node, const std::string& path, const std::string& message) const;
    Error error(const Field& field, const std::string& message) const
    {
        bool use_key = field.node.IsNull() && field.key.IsDefined() && !field.key.Mark().is_null();
        return error(use_key ? field.key : field.node, field.path, message);
    }
    std::string where(const YAML::Node& node) const;

    Result<Mapping> mapping(const Field& field, const std::vector<std::string_view>& known,
                            std::string_view example) const;
    Result<std::string> text(const Field& field) const;
    Result<int> whole_number(const Field& field, int min, int max) const;
    Result<Duration> duration(const Field& field) const;
    Result<std::string> name(const Field& field, std::string_view what, std::string_view extra_chars) const;
    Result<std::string> absolute_path(const Field& field) const;
    Result<std::string> program(const Field& field) const;
    Result<std::string> local_path(const Field& field) const;
    Result<std::string> existing_local_file(const Field& field, std::string_view if_missing) const;
    Result<std::vector<std::string>> absolute_paths(const Field& field) const;
    Result<std::string> host(const Field& field) const;

    Result<SshSettings> ssh(const Field& field) const;
    Result<CassandraSettings> cassandra(const Field& field) const;
    Result<std::string> archive_remote(const Field& field) const;
    Result<std::string> bandwidth(const Field& field) const;
    Result<ArchiveSettings> archive(const Field& field) const;
    Status settings(const Mapping& map, SshSettings& ssh_out, CassandraSettings& cassandra_out,
                    ArchiveSettings& archive_out) const;
    Status jmx_pair(const Field& field, const CassandraSettings& cassandra) const;
    Result<Node> node(const Field& field, const std::string& datacenter) const;
    Status datacenters(const Field& field, Cluster& cluster) const;

    std::string m_file_name;
    std::filesystem::path m_directory; // the file's own: relative local paths start there
    LocalFiles m_local_files;
};

// Assigns the value of a Result expression, or returns its error from the enclosing function.
#define RINGSNAP_ASSIGN_OR_RETURN(target, expression)                                                                  \
    do {                                                                                                               \
        auto assign_result = (expression);                                                                             \
        if (!assign_result) {                                                                                          \
            return assign_result.error();                                                                              \
        }                                                                                                              \
        target = std::move(*assign_result);                                                                            \
    } while (false)

#define RINGSNAP_CHECK(expression)                                                                                     \
    do {                                                                                                               \
        auto check_status = (expression);                                                                              \
        if (!check_status) {                                                                                           \
            return check_status.error();                                                                               \
        }                                                                                                              \
    } while (false)

std::string ClusterFileReader::where(const YAML::Node& node) const
{
    const YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
    return mark.is_null() ? m_file_name : fmt::format("{}:{}", m_file_name, mark.line + 1);
}

Error ClusterFileReader::error(const YAML::Node& node, const std::string& path, const std::string& message) const
{
    return make_error(ErrorKind::config,
                      fmt::format("{}: {}: {}", where(node), path.empty() ? "(top level)" : path, message));
}

// Checks that `field` is a mapping whose keys are all in `known` (any key when `known` is empty),
// each given once.
Result<Mapping> ClusterFileReader::mapping(const Field& field, const std::vector<std::string_view>& known,
                                           std::string_view example) const
{
    if (!field.node.IsMap()) {
        return error(field, fmt::format("expected a mapping like {}, got {}", example, describe(field.node)));
    }
    std::vector<Entry> entries;
    for (const auto& entry : field.node) {
        if (!entry.first.IsScalar()) {
            return error(entry.first, field.path, "keys must be plain names");
        }
        std::string key = entry.first.Scalar();
        std::string path = child_path(field.path, key);
        if (!known.empty() && std::find(known.begin(), known.end(), key) == known.end()) {
            std::string hint = did_you_mean(key, known);
            return error(entry.first, path, fmt::format("unknown key{}; known keys: {}", hint, fmt::join(known, ", ")));
        }
        auto same = [&](const Entry& seen) { return seen.key == key; };
        if (auto first = std::find_if(entries.begin(), entries.end(), same); first != entries.end()) {
            return error(entry.first, path, fmt::format("given twice (first at {})", where(first->key_node)));
        }
        entries.push_back(Entry{key, entry.first, Field{entry.second, path, entry.first}});
    }
    return Mapping(std::move(entries));
}

Result<std::string> ClusterFileReader::text(const Field& field) const
{
    if (!field.node.IsScalar() || field.node.Scalar().empty()) {
        return error(field, fmt::format("expected a text value, got {}", describe(field.node)));
    }
    const std::string& value = field.node.Scalar();
    if (value.find_first_of(std::string_view("\n\r\0", 3)) != std::string::npos) {
        return error(field, fmt::format("expected a single line, got {}", quote_for_message(value)));
    }
    return value;
}

Result<int> ClusterFileReader::whole_number(const Field& field, int min, int max) const
{
    auto expected = fmt::format("expected a whole number from {} to {}", min, max);
    if (!field.node.IsScalar()) {
        return error(field, fmt::format("{}, got {}", expected, describe(field.node)));
    }
    const std::string& value = field.node.Scalar();
    bool digits =
        !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits && value.size() <= 9) {
        int number = std::stoi(value);
        if (number >= min && number <= max) {
            return number;
        }
    }
    return error(field, fmt::format("{}, got {}", expected, quote_for_message(value)));
}

Result<Duration> ClusterFileReader::duration(const Field& field) const
{
    std::string value;
    RINGSNAP_ASSIGN_OR_RETURN(value, text(field));
    auto parsed = parse_duration(value);
    if (!parsed) {
        return error(field, parsed.error().message);
    }
    return *parsed;
}

// Names that end up in folder names, logs or command lines: ASCII letters, digits, '_', '.',
// '-' and `extra_chars`; no leading '.' (hidden, "." and "..") or '-' (read as an option).
Result<std::string> ClusterFileReader::name(const Field& field, std::string_view what,
                                            std::string_view extra_chars) const
{
    std::string value;
    RINGSNAP_ASSIGN_OR_RETURN(value, text(field));
    auto allowed = [&](char c) {
        return is_ascii_alnum(c) || c == '_' || c == '.' || c == '-' || extra_chars.find(c) != std::string_view::npos;
    };
    auto bad = std::find_if_not(value.begin(), value.end(), allowed);
    std::string rule = fmt::format("use letters, digits, '_', '.'{} and '-', not starting with '.' or '-'",
                                   extra_chars.empty() ? "" : fmt::format(", '{}'", extra_chars));
    if (bad != value.end()) {
        return error(field, fmt::format("invalid {} {}: it contains {}; {}", what, quote_for_message(value),
                                        quote_for_message(std::string(1, *bad)), rule));
    }
    if (value.front() == '.' || value.front() == '-' || value.size() > k_max_name) {
        return error(field, fmt::format("invalid {} {}: {} (at most {} characters)", what, quote_for_message(value),
                                        rule, k_max_name));
    }
    return value;
}

// A path on the node: absolute, because nothing says what the remote working directory is.
Result<std::string> ClusterFileReader::absolute_path(const Field& field) const
{
    std::string value;
    RINGSNAP_ASSIGN_OR_RETURN(value, text(field));
    if (value.front() == '~') {
        return error(field, fmt::format("expected an absolute path, got {}: `~` is not expanded on the nodes",
                                        quote_for_message(value)));
    }
    if (value.front() != '/') {
        return error(field,
                     fmt::format("expected an absolute path (starting with /), got {}", quote_for_message(value)));
    }
    while (value.size() > 1 && value.back() == '/') { // "/data1/" and "/data1" are one directory
        value.pop_back();
    }
    return value;
}

// A program on the node (nodetool, sstableloader): a full path or a name found on the PATH.
Result<std::string> ClusterFileReader::program(const Field& field) const
{
    std::string value;
    RINGSNAP_ASSIGN_OR_RETURN(value, text(field));
    if (value.front() == '~') {
        return error(field, fmt::format("expected a full path or a program name, got {}: `~` is not expanded "
                                        "on the nodes",
                                        quote_for_message(value)));
    }
    if (value.front() == '-') {
        return error(field, fmt::format("expected a full path or a program name, got {}", quote_for_message(value)));
    }
    return value;
}

// A path on the operator host; `~/` means $HOME there, and a relative path starts at the cluster
// file's directory (not at the working directory, which for a cron job is anything).
Result<std::string> ClusterFileReader::local_path(const Field& field) const
{
    std::string value;
    RINGSNAP_ASSIGN_OR_RETURN(value, text(field));
    if (value.front() == '~' && value != "~" && value.rfind("~/", 0) != 0) {
        return error(field, fmt::format("only ~/ is expanded (to $HOME), not ~user; got {}", quote_for_message(value)));
    }
    value = expand_home(value);
    if (value.front() != '/') {
        return (m_directory / value).lexically_normal().string();
    }
    return value;
}

// A file on the operator host that every connection needs (a key, known_hosts): checked once,
// when the file is read, rather than found missing node after node at authentication.
Result<std::string> ClusterFileReader::existing_local_file(const Field& field, std::string_view if_missing) const
{
    std::string path;
    RINGSNAP_ASSIGN_OR_RETURN(path, local_path(field));
    if (m_local_files == LocalFiles::unchecked) {
        return path;
    }
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (status.type() == std::filesystem::file_type::not_found) {
        return error(field, fmt::format("{} does not exist; {}", quote_for_message(path), if_missing));
    }
    if (ec) {
        return error(field, fmt::format("cannot read {}: {}", quote_for_message(path), ec.message()));
    }
    if (std::filesystem::is_directory(status)) {
        return error(field, fmt::format("{} is a directory; name a file", quote_for_message(path)));
    }
    if (::access(path.c_str(), R_OK) != 0) {
        return error(field, fmt::format("cannot read {}: {}", quote_for_message(path), std::strerror(errno)));
    }
    return path;
}

Result<std::vector<std::string>> ClusterFileReader::absolute_paths(const Field& field) const
{
    if (!field.node.IsSequence() || field.node.size() == 0) {
        return error(field, fmt::format("expected a list of absolute paths like [/var/lib/cassandra/data], got {}",
                                        field.node.IsSequence() ? "an empty list" : describe(field.node)));
    }
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < field.node.size(); ++i) {
        Field item{field.node[i], fmt::format("{}[{}]", field.path, i)};
        std::string path;
        RINGSNAP_ASSIGN_OR_RETURN(path, absolute_path(item));
        if (std::find(paths.begin(), paths.end(), path) != paths.end()) {
            return error(item, fmt::format("{} is listed twice", quote_for_message(path)));
        }
        paths.push_back(std::move(path));
    }
    return paths;
}

// The name or address ssh connects to. It reaches libssh and log lines, never a shell, but is
// held to the strict form anyway: a hostname (letters, digits, '-', dots) or an IPv4 or IPv6
// literal. libssh refuses '_' in host names, and "host:port" is not a host.
Result<std::string> ClusterFileReader::host(const Field& field) const
{
    std::string value;
    RINGSNAP_ASSIGN_OR_RETURN(value, text(field));
    auto refuse = [&](std::string_view why) {
        return error(field, fmt::format("{} is not a host name or IP address: {}", quote_for_message(value), why));
    };
    if (value.front() == '[') {
        return refuse("write an IPv6 address without brackets, and the port under ssh: {port: N}");
    }
    if (value.find(':') != std::string::npos) {
        std::string address = value.substr(0, value.find('%')); // fe80::1%eth0: a zone index
        std::string zone = value.size() > address.size() ? value.substr(address.size() + 1) : "";
        in6_addr parsed{};
        bool zone_ok = std::all_of(zone.begin(), zone.end(),
                                   [](char c) { return is_ascii_alnum(c) || c == '_' || c == '.' || c == '-'; });
        if (inet_pton(AF_INET6, address.c_str(), &parsed) == 1 && zone_ok &&
            (value.size() == address.size() || !zone.empty())) {
            return value;
        }
        if (std::count(value.begin(), value.end(), ':') == 1) {
            return refuse("set the port under ssh: {port: N}, not after the host");
        }
        return refuse("it has ':' but is not an IPv6 address");
    }
    if (value.find('_') != std::string::npos) {
        return refuse("libssh refuses '_' in host names; use the node's address, or a DNS name or "
                      "/etc/hosts alias without '_'");
    }
    auto bad =
        std::find_if_not(value.begin(), value.end(), [](char c) { return is_ascii_alnum(c) || c == '.' || c == '-'; });
    if (bad != value.end()) {
        return refuse(
            fmt::format("it contains {}; use letters, digits, '-' and '.'", quote_for_message(std::string(1, *bad))));
    }
    if (value.front() == '-') {
        return refuse("it starts with '-'");
    }
    if (value.size() > 253) {
        return refuse("it is longer than 253 characters");
    }
    std::string_view rest = value;
    if (rest.back() == '.') {
        rest.remove_suffix(1); // a fully qualified name may end with a dot
    }
    bool numeric = true;
    for (std::size_t start = 0; start <= rest.size();) {
        auto end = std::min(rest.find('.', start), rest.size());
        std::string_view label = rest.substr(start, end - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
            return refuse("each dot-separated part must be 1 to 63 letters, digits or '-', not starting or "
                          "ending with '-'");
        }
        numeric = numeric && std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
        start = end + 1;
    }
    in_addr parsed{};
    if (numeric && inet_pton(AF_INET, value.c_str(), &parsed) != 1) {
        return refuse("an IPv4 address has four numbers from 0 to 255");
    }
    return value;
}

Result<SshSettings> ClusterFileReader::ssh(const Field& field) const
{
    Mapping map;
    RINGSNAP_ASSIGN_OR_RETURN(map, mapping(field, k_ssh_keys, "{user: ops, port: 22}"));
    SshSettings ssh;
    for (const auto& [key, key_node, value] : map.entries()) {
        if (key == "user") {
            RINGSNAP_ASSIGN_OR_RETURN(ssh.user, name(value, "user name", "@"));
        } else if (key == "port") {
            RINGSNAP_ASSIGN_OR_RETURN(ssh.port, whole_number(value, 1, 65535));
        } else if (key == "identity_file") {
            RINGSNAP_ASSIGN_OR_RETURN(ssh.identity_file,
                                      existing_local_file(value, "fix the path, or remove the key to use ssh-agent "
                                                                 "and the default keys"));
        } else if (key == "known_hosts") {
            RINGSNAP_ASSIGN_OR_RETURN(ssh.known_hosts,
                                      existing_local_file(value, "fix the path, or create it empty (touch it) and "
                                                                 "run once with --accept-new-host-keys"));
        } else if (key == "connect_timeout") {
            RINGSNAP_ASSIGN_OR_RETURN(ssh.connect_timeout, duration(value));
        } else if (key == "command_timeout") {
            RINGSNAP_ASSIGN_OR_RETURN(ssh.command_timeout, duration(value));
        } else if (key == "sudo") {
            RINGSNAP_ASSIGN_OR_RETURN(ssh.sudo, name(value, "sudo user", ""));
        } else if (key == "connect_retries") {
            RINGSNAP_ASSIGN_OR_RETURN(ssh.connect_retries, whole_number(value, 0, k_max_connect_retries));
        }
    }
    return ssh;
}

Result<CassandraSettings> ClusterFileReader::cassandra(const Field& field) const
{
    Mapping map;
    RINGSNAP_ASSIGN_OR_RETURN(map, mapping(field, k_cassandra_keys, "{nodetool: /usr/bin/nodetool}"));
    CassandraSettings cassandra;
    for (const auto& [key, key_node, value] : map.entries()) {
        if (key == "nodetool") {
            RINGSNAP_ASSIGN_OR_RETURN(cassandra.nodetool, program(value));
        } else if (key == "jmx_user") {
            RINGSNAP_ASSIGN_OR_RETURN(cassandra.jmx_user, name(value, "JMX user", "@"));
        } else if (key == "jmx_password_file") {
            RINGSNAP_ASSIGN_OR_RETURN(cassandra.jmx_password_file, absolute_path(value));
        } else if (key == "data_dirs") {
            RINGSNAP_ASSIGN_OR_RETURN(cassandra.data_dirs, absolute_paths(value));
        } else if (key == "commitlog_dir") {
            RINGSNAP_ASSIGN_OR_RETURN(cassandra.commitlog_dir, absolute_path(value));
        } else if (key == "config_file") {
            RINGSNAP_ASSIGN_OR_RETURN(cassandra.config_file, absolute_path(value));
        } else if (key == "sstableloader") {
            RINGSNAP_ASSIGN_OR_RETURN(cassandra.sstableloader, program(value));
        } else if (key == "stop_command") { // the operator's own shell command, run as written
            RINGSNAP_ASSIGN_OR_RETURN(cassandra.stop_command, text(value));
        } else if (key == "start_command") {
            RINGSNAP_ASSIGN_OR_RETURN(cassandra.start_command, text(value));
        } else if (key == "cqlsh") {
            RINGSNAP_ASSIGN_OR_RETURN(cassandra.cqlsh, program(value));
        } else if (key == "cql_user") {
            RINGSNAP_ASSIGN_OR_RETURN(cassandra.cql_user, name(value, "CQL user", "@"));
        } else if (key == "cql_password_file") { // read on the operator host, sent through stdin
            RINGSNAP_ASSIGN_OR_RETURN(cassandra.cql_password_file, local_path(value));
        }
    }
    return cassandra;
}

// An rclone remote ("name:path") or an absolute path. A connection string (":s3,key=...:bucket",
// "name,key=...:path") would put the storage's settings, secrets included, on rclone's command
// line, which every user of the node can read: they belong in rclone_config.
Result<std::string> ClusterFileReader::archive_remote(const Field& field) const
{
    std::string value;
    RINGSNAP_ASSIGN_OR_RETURN(value, text(field));
    auto colon = value.find(':');
    if (value.front() == '/') {
        return value;
    }
    if (colon == std::string::npos || colon == 0 || value.front() == '-') {
        return error(field, fmt::format("expected an rclone remote like s3store:bucket/path (defined in "
                                        "rclone_config) or an absolute path, got {}",
                                        quote_for_message(value)));
    }
    if (value.substr(0, colon).find(',') != std::string::npos) {
        return error(field, fmt::format("{} is an rclone connection string: its settings would show in the "
                                        "nodes' process lists; define the remote in rclone_config and name it here",
                                        quote_for_message(value)));
    }
    return value;
}

// rclone's --bwlimit: "50M", "10M:off", or a timetable ("08:00,512k 23:00,off").
Result<std::string> ClusterFileReader::bandwidth(const Field& field) const
{
    std::string value;
    RINGSNAP_ASSIGN_OR_RETURN(value, text(field));
    bool plain = std::all_of(value.begin(), value.end(), [](char c) {
        return is_ascii_alnum(c) || c == '.' || c == ':' || c == ',' || c == ' ' || c == '-';
    });
    if (!plain || value.front() == '-') {
        return error(field, fmt::format("expected an rclone bandwidth limit like 50M, 10M:off or "
                                        "\"08:00,512k 23:00,off\", got {}",
                                        quote_for_message(value)));
    }
    return value;
}

Result<ArchiveSettings> ClusterFileReader::archive(const Field& field) const
{
    Mapping map;
    RINGSNAP_ASSIGN_OR_RETURN(map, mapping(field, k_archive_keys, "{remote: \"s3store:ringsnap-prod\"}"));
    ArchiveSettings archive;
    for (const auto& [key, key_node, value] : map.entries()) {
        if (key == "remote") {
            RINGSNAP_ASSIGN_OR_RETURN(archive.remote, archive_remote(value));
        } else if (key == "rclone") {
            RINGSNAP_ASSIGN_OR_RETURN(archive.rclone, program(value));
        } else if (key == "rclone_config") {
            RINGSNAP_ASSIGN_OR_RETURN(archive.rclone_config, local_path(value));
        } else if (key == "bwlimit") {
            RINGSNAP_ASSIGN_OR_RETURN(archive.bwlimit, bandwidth(value));
        } else if (key == "transfers") {
            RINGSNAP_ASSIGN_OR_RETURN(archive.transfers, whole_number(value, 1, k_max_transfers));
        }
    }
    return archive;
}

// The `ssh:`, `cassandra:` and `archive:` blocks of a mapping, whichever are present.
Status ClusterFileReader::settings(const Mapping& map, SshSettings& ssh_out, CassandraSettings& cassandra_out,
                                   ArchiveSettings& archive_out) const
{
    if (const Field* block = map.find("archive")) {
        RINGSNAP_ASSIGN_OR_RETURN(archive_out, archive(*block));
    }
    if (const Field* block = map.find("ssh")) {
        RINGSNAP_ASSIGN_OR_RETURN(ssh_out, ssh(*block));
    }
    if (const Field* block = map.find("cassandra")) {
        RINGSNAP_ASSIGN_OR_RETURN(cassandra_out, cassandra(*block));
    }
    return {};
}

// nodetool reads the password file only with -u, and asks for a password on a console when -u
// comes without one, so the two settings go together (after the cascade).
Status ClusterFileReader::jmx_pair(const Field& field, const CassandraSettings& cassandra) const
{
    if (cassandra.jmx_user.has_value() != cassandra.jmx_password_file.has_value()) {
        return error(field, cassandra.jmx_user ? "cassandra.jmx_user is set without cassandra.jmx_password_file "
                                                 "(nodetool would ask for a password)"
                                               : "cassandra.jmx_password_file is set without cassandra.jmx_user "
                                                 "(nodetool reads the file only for a user)");
    }
    return {};
}

Result<Node> ClusterFileReader::node(const Field& field, const std::string& datacenter) const
{
    Node node;
    node.datacenter = datacenter;
    if (field.node.IsScalar()) { // `- 10.0.1.11`: a node that needs nothing but its host
        RINGSNAP_ASSIGN_OR_RETURN(node.host, host(field));
        return node;
    }
    Mapping map;
    RINGSNAP_ASSIGN_OR_RETURN(map, mapping(field, k_node_keys, "{host: 10.0.1.11, rack: rack1}"));
    const Field* host_field = map.find("host");
    if (!host_field) {
        return error(field, "missing host: (the name or address ssh connects to)");
    }
    RINGSNAP_ASSIGN_OR_RETURN(node.host, host(*host_field));
    if (const Field* rack = map.find("rack")) {
        RINGSNAP_ASSIGN_OR_RETURN(node.rack, name(*rack, "rack name", ""));
    }
    RINGSNAP_CHECK(settings(map, node.ssh, node.cassandra, node.archive));
    return node;
}

// The name a host is known by for duplicate detection: case-folded names, canonical IPv6.
std::string endpoint_key(const Node& node)
{
    std::string host = lowercase(node.host);
    in6_addr address{};
    char text[INET6_ADDRSTRLEN] = {};
    if (host.find(':') != std::string::npos && host.find('%') == std::string::npos &&
        inet_pton(AF_INET6, host.c_str(), &address) == 1 && inet_ntop(AF_INET6, &address, text, sizeof text)) {
        host = text;
    }
    return fmt::format("{} port {}", host, node.ssh.port.value_or(22));
}

Status ClusterFileReader::datacenters(const Field& field, Cluster& cluster) const
{
    const bool is_empty = field.node.IsNull() || (field.node.IsMap() && field.node.size() == 0);
    if (is_empty) {
        return error(field, "no data center listed; list them (dc1: {nodes: [...]}), or remove the key to take "
                            "the topology from --seed");
    }
    Mapping dcs;
    RINGSNAP_ASSIGN_OR_RETURN(dcs, mapping(field, {}, "{dc1: {nodes: [{host: 10.0.1.11}]}}"));
    std::map<std::string, std::string> seen; // endpoint_key -> where it was first listed
    for (const auto& [dc_name, dc_key, dc_field] : dcs.entries()) {
        std::string datacenter;
        RINGSNAP_ASSIGN_OR_RETURN(datacenter, name(Field{dc_key, dc_field.path}, "data center name", ""));
        Mapping dc;
        RINGSNAP_ASSIGN_OR_RETURN(dc, mapping(dc_field, k_datacenter_keys, "{nodes: [{host: 10.0.1.11}]}"));
        SshSettings dc_ssh;
        CassandraSettings dc_cassandra;
        ArchiveSettings dc_archive;
        RINGSNAP_CHECK(settings(dc, dc_ssh, dc_cassandra, dc_archive));
        dc_ssh.inherit(cluster.ssh);
        dc_cassandra.inherit(cluster.cassandra);
        dc_archive.inherit(cluster.archive);
        const Field* nodes = dc.find("nodes");
        if (!nodes || !nodes->node.IsSequence() || nodes->node.size() == 0) {
            const Field& at = nodes ? *nodes : dc_field;
            return error(at.node, child_path(dc_field.path, "nodes"),
                         fmt::format("expected a non-empty list of nodes like [{{host: 10.0.1.11, rack: rack1}}], "
                                     "got {}",
                                     !nodes                     ? "no nodes: key"
                                     : nodes->node.IsSequence() ? "an empty list"
                                                                : describe(nodes->node)));
        }
        for (std::size_t i = 0; i < nodes->node.size(); ++i) {
            Field node_field{nodes->node[i], fmt::format("{}[{}]", nodes->path, i)};
            Node node;
            RINGSNAP_ASSIGN_OR_RETURN(node, this->node(node_field, datacenter));
            node.ssh.inherit(dc_ssh);
            node.cassandra.inherit(dc_cassandra);
            node.archive.inherit(dc_archive);
            RINGSNAP_CHECK(jmx_pair(node_field, node.cassandra));
            std::string here = fmt::format("{} ({})", node_field.path, where(node_field.node));
            if (auto [first, fresh] = seen.emplace(endpoint_key(node), here); !fresh) {
                return error(node_field,
                             fmt::format("{} is listed twice: also at {}", endpoint_key(node), first->second));
            }
            cluster.nodes.push_back(std::move(node));
        }
    }
    return {};
}

Result<Cluster> ClusterFileReader::read(const YAML::Node& root)
{
    if (!root.IsDefined() || root.IsNull()) {
        return make_error(
            ErrorKind::config,
            fmt::format("{}: the file is empty; a cluster file needs at least `cluster: NAME`", m_file_name));
    }
    Mapping keys;
    RINGSNAP_ASSIGN_OR_RETURN(keys, mapping(Field{root, ""}, k_top_keys, "{cluster: prod-main, datacenters: ...}"));
    Cluster cluster;
    const Field* name_field = keys.find("cluster");
    if (!name_field) {
        return error(root, "cluster", "missing; every cluster file names its cluster (cluster: prod-main)");
    }
    RINGSNAP_ASSIGN_OR_RETURN(cluster.name, name(*name_field, "cluster name", ""));
    cluster.catalog = expand_home(k_default_catalog);
    if (const Field* catalog = keys.find("catalog")) {
        std::string path;
        RINGSNAP_ASSIGN_OR_RETURN(path, local_path(*catalog));
        cluster.catalog = path;
    }
    if (const Field* metrics = keys.find("metrics_file")) {
        std::string path;
        RINGSNAP_ASSIGN_OR_RETURN(path, local_path(*metrics));
        cluster.metrics_file = path;
    }
    if (const Field* hooks_field = keys.find("hooks")) {
        Mapping hooks;
        RINGSNAP_ASSIGN_OR_RETURN(hooks, mapping(*hooks_field, k_hook_keys, "{pre: CMD, post: CMD}"));
        if (const Field* pre = hooks.find("pre")) {
            RINGSNAP_ASSIGN_OR_RETURN(cluster.hooks.pre, text(*pre));
        }
        if (const Field* post = hooks.find("post")) {
            RINGSNAP_ASSIGN_OR_RETURN(cluster.hooks.post, text(*post));
        }
    }
    RINGSNAP_CHECK(settings(keys, cluster.ssh, cluster.cassandra, cluster.archive));
    if (const Field* datacenters_field = keys.find("datacenters")) {
        RINGSNAP_CHECK(datacenters(*datacenters_field, cluster));
    } else {
        // Nodes found later (--seed) get the cluster-level settings only.
        RINGSNAP_CHECK(jmx_pair(Field{root, ""}, cluster.cassandra));
    }
    return cluster;
}

#undef RINGSNAP_CHECK
#undef RINGSNAP_ASSIGN_OR_RETURN

template <class T> void inherit_value(std::optional<T>& value, const std::optional<T>& parent)
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
    inherit_value(config_file, parent.config_file);
    inherit_value(cqlsh, parent.cqlsh);
    inherit_value(cql_user, parent.cql_user);
    inherit_value(cql_password_file, parent.cql_password_file);
}

void ArchiveSettings::inherit(const ArchiveSettings& parent)
{
    inherit_value(remote, parent.remote);
    inherit_value(rclone, parent.rclone);
    inherit_value(rclone_config, parent.rclone_config);
    inherit_value(bwlimit, parent.bwlimit);
    inherit_value(transfers, parent.transfers);
}

namespace {

// The directory relative local paths start at: the named file's, made absolute.
std::filesystem::path directory_of(const std::string& file_name)
{
    std::error_code ec;
    auto absolute = std::filesystem::absolute(file_name, ec);
    return ec ? std::filesystem::path(file_name).parent_path() : absolute.parent_path();
}

Result<Cluster> read_cluster_yaml(const std::string& text, const std::string& name, LocalFiles local_files)
{
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(text);
    } catch (const YAML::DeepRecursion& error) {
        return make_error(ErrorKind::config,
                          fmt::format("{}:{}: not valid YAML here: lists and mappings nested too deeply (a cluster "
                                      "file needs at most 6 levels); look for a `[` or `{{` that is never closed",
                                      name, error.mark.line + 1));
    } catch (const YAML::Exception& error) {
        std::string where = error.mark.is_null() ? name : fmt::format("{}:{}", name, error.mark.line + 1);
        return make_error(ErrorKind::config, fmt::format("{}: not valid YAML: {}", where, error.msg));
    }
    if (documents.size() > 1) {
        return make_error(
            ErrorKind::config,
            fmt::format("{}:{}: a cluster file holds one YAML document, found {} (remove the extra `---`)", name,
                        documents[1].Mark().line + 1, documents.size()));
    }
    try {
        return ClusterFileReader(name, directory_of(name), local_files)
            .read(documents.empty() ? YAML::Node() : documents.front());
    } catch (const YAML::Exception& error) { // not expected: the reader checks types before use
        return make_error(ErrorKind::config, fmt::format("{}: {}", name, error.what()));
    }
}

} // namespace

Result<Cluster> parse_cluster_yaml(const std::string& text, const std::string& name)
{
    return read_cluster_yaml(text, name, LocalFiles::unchecked);
}

Result<Cluster> load_cluster_file(const std::filesystem::path& path)
{
    auto text = read_local_file(path, k_cluster_file);
    if (!text) {
        return make_error(ErrorKind::config, text.error().message);
    }
    auto cluster = read_cluster_yaml(*text, path.string(), LocalFiles::checked);
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
    node.archive = cluster.archive;
    return node;
}

Result<std::vector<Node>> select_nodes(const std::vector<Node>& nodes, const NodeSelection& selection)
{
    auto check = [&](const std::vector<std::string>& wanted, std::string Node::*member,
                     std::string_view what) -> Status {
        std::vector<std::string> known; // in file order, once each
        for (const auto& node : nodes) {
            if (std::find(known.begin(), known.end(), node.*member) == known.end()) {
                known.push_back(node.*member);
            }
        }
        for (const auto& name : wanted) {
            if (std::find(known.begin(), known.end(), name) == known.end()) {
                return make_error(
                    ErrorKind::usage,
                    fmt::format("unknown {} {}; the cluster has: {}", what, quote_for_message(name),
                                known.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(known, ", "))));
            }
        }
        return {};
    };
    if (auto status = check(selection.datacenters, &Node::datacenter, "data center"); !status) {
        return status.error();
    }
    if (auto status = check(selection.hosts, &Node::host, "host"); !status) {
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
    if (selected.empty() && !selection.datacenters.empty() && !selection.hosts.empty()) {
        return make_error(ErrorKind::usage,
                          fmt::format("no node is both in --dc {} and in --hosts {}",
                                      fmt::join(selection.datacenters, ","), fmt::join(selection.hosts, ",")));
    }
    return selected;
}

} // namespace ringsnap
