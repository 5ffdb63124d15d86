// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/remote_files.hpp>

#include <charconv>
#include <sstream>

#include <fmt/format.h>

#include <ringsnap/fields.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap {

namespace {

// Raw bytes of paths per hashing command. Quoting for the remote shell, then again inside
// `sudo sh -c '...'`, can grow text several times; 24 KiB keeps far below 128 KiB.
constexpr std::size_t k_max_paths_bytes_per_command = 24 * 1024;

// find's %T@ prints seconds with a fraction ("1732327200.1234567890"); nanoseconds are exact.
bool parse_mtime_ns(const std::string& text, std::int64_t& nanoseconds)
{
    auto dot = text.find('.');
    std::int64_t seconds = 0;
    if (!parse_number(text.substr(0, dot), seconds)) {
        return false;
    }
    std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
    fraction = (fraction + "000000000").substr(0, 9);
    std::int64_t fraction_ns = 0;
    if (!parse_number(fraction, fraction_ns)) {
        return false;
    }
    nanoseconds = seconds * 1'000'000'000 + fraction_ns;
    return true;
}

Error parse_error(const char* what, const std::string& line)
{
    return make_error(ErrorKind::parse, fmt::format("unexpected {} line: {}", what, quote_for_message(line)));
}

} // namespace

namespace {

// For every data directory and keyspace, `find` on `starts` (shell words relative to the data
// directory, "$k" being the keyspace) printing the data directory, then the path from it, size,
// inode and mtime per file.
std::string list_files_command(const Node& node, const std::vector<std::string>& keyspaces, const std::string& find)
{
    std::vector<std::string> dirs;
    for (const auto& dir : node.data_dirs()) {
        dirs.push_back(shell_quote(dir));
    }
    std::string script =
        fmt::format("for d in {}; do cd \"$d\" 2>/dev/null || continue; for k in {}; do [ -d \"$k\" ] || continue; "
                    "{}; done; done",
                    fmt::join(dirs, " "), shell_join(keyspaces), find);
    return with_sudo(script, node.ssh.sudo);
}

constexpr const char* k_print_file = "-type f -printf \"$d\\t%p\\t%s\\t%i\\t%T@\\n\"";

} // namespace

std::string list_snapshot_files_command(const Node& node, const std::vector<std::string>& keyspaces,
                                        const std::string& tag)
{
    return list_files_command(
        node, keyspaces,
        fmt::format("find \"$k\" -path {} {} || exit 1", shell_quote("*/snapshots/" + tag + "/*"), k_print_file));
}

std::string list_backup_files_command(const Node& node, const std::vector<std::string>& keyspaces)
{
    // The glob matches <ks>/<table dir>/backups only: `find -path '*/backups/*'` would also
    // match inside a snapshot tagged "backups".
    return list_files_command(node, keyspaces,
                              fmt::format("for b in \"$k\"/*/backups; do [ -d \"$b\" ] || continue; "
                                          "find \"$b\" {} || exit 1; done",
                                          k_print_file));
}

Result<std::vector<RemoteFile>> parse_file_listing(const std::string& out)
{
    std::vector<RemoteFile> files;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) {
            continue;
        }
        auto fields = split_fields(line, '\t');
        RemoteFile file;
        if (fields.size() != 5 || !parse_number(fields[2], file.size) || !parse_number(fields[3], file.inode) ||
            !parse_mtime_ns(fields[4], file.mtime_ns)) {
            return parse_error("file listing", line);
        }
        file.data_dir = fields[0];
        file.path = fields[1];
        files.push_back(std::move(file));
    }
    return files;
}

// `program` followed by as many paths as fit in one command, for each group of paths.
std::vector<std::string> chunked_commands(const Node& node, const std::vector<std::string>& program,
                                          const std::vector<std::string>& paths)
{
    std::vector<std::string> commands;
    std::vector<std::string> chunk = program;
    std::size_t chunk_bytes = 0;
    auto flush = [&] {
        if (chunk.size() > program.size()) {
            commands.push_back(with_sudo(shell_join(chunk), node.ssh.sudo));
        }
        chunk.resize(program.size());
        chunk_bytes = 0;
    };
    for (const auto& path : paths) {
        if (chunk_bytes + path.size() > k_max_paths_bytes_per_command) {
            flush();
        }
        chunk.push_back(path);
        chunk_bytes += path.size() + 1;
    }
    flush();
    return commands;
}

namespace {

constexpr const char* k_sha256_script = "if command -v openssl >/dev/null 2>&1; then exec openssl dgst -sha256 -r -- "
                                        "\"$@\"; fi; exec sha256sum -- \"$@\"";

} // namespace

std::string sha256_program()
{
    return shell_join({"sh", "-c", k_sha256_script, "sha256"});
}

std::vector<std::string> hash_commands(const Node& node, const std::vector<std::string>& paths)
{
    return chunked_commands(node, {"sh", "-c", k_sha256_script, "sha256"}, paths);
}

Result<std::map<std::string, std::string>> hash_files(RemoteShell& shell, const std::vector<std::string>& paths,
                                                      const std::string& step)
{
    std::map<std::string, std::string> hashes;
    for (const auto& command : hash_commands(shell.node(), paths)) {
        auto parsed = run_parsed(shell, step, command, parse_sha256sum);
        if (!parsed) {
            return parsed.error();
        }
        hashes.merge(*parsed);
    }
    return hashes;
}

Result<std::map<std::string, std::string>> parse_sha256sum(const std::string& out)
{
    std::map<std::string, std::string> hashes;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) {
            continue;
        }
        // "<64 hex>  <path>", or "<64 hex> *<path>" (openssl -r); GNU sha256sum escapes a name holding '\' or a newline
        // and then starts the line with '\'. Snapshot file names never need that.
        if (line.size() < 67 || line[0] == '\\' || (line.compare(64, 2, "  ") != 0 && line.compare(64, 2, " *") != 0)) {
            return parse_error("sha256sum", line);
        }
        hashes[line.substr(66)] = line.substr(0, 64);
    }
    return hashes;
}

std::vector<std::string> remove_files_commands(const Node& node, const std::vector<std::string>& paths)
{
    return chunked_commands(node, {"rm", "-f", "--"}, paths);
}

std::vector<std::string> read_files_commands(const Node& node, const std::vector<SizedPath>& files)
{
    std::vector<std::string> paths;
    for (const auto& file : files) {
        paths.push_back(file.path);
    }
    return chunked_commands(node, {"cat", "--"}, paths);
}

Result<std::map<std::string, std::string>> split_contents(const std::string& out, const std::vector<SizedPath>& files)
{
    std::map<std::string, std::string> contents;
    std::size_t position = 0;
    for (const auto& file : files) {
        if (position + file.size > out.size()) {
            break;
        }
        contents[file.path] = out.substr(position, file.size);
        position += file.size;
    }
    if (contents.size() != files.size() || position != out.size()) {
        return make_error(ErrorKind::parse, fmt::format("read {} bytes for files listed with {} bytes: a file changed "
                                                        "size since it was listed",
                                                        out.size(), position));
    }
    return contents;
}

std::string survey_data_dirs_command(const Node& node, const std::string& tag)
{
    std::vector<std::string> dirs;
    for (const auto& dir : node.data_dirs()) {
        dirs.push_back(shell_quote(dir));
    }
    // U: a data directory that cannot be listed, K: a keyspace, T: a table directory, S: a
    // snapshot of the tag. Globs that match nothing stay literal and fail the -d test.
    std::string snapshots = tag.empty() ? std::string()
                                        : fmt::format("for s in */*/snapshots/{}; do [ -d \"$s\" ] && "
                                                      "printf 'S\\t%s\\n' \"$s\"; done; ",
                                                      shell_quote(tag));
    std::string script =
        fmt::format("for d in {}; do {{ [ -r \"$d\" ] && [ -x \"$d\" ] && cd \"$d\" 2>/dev/null; }} || "
                    "{{ printf 'U\\t%s\\n' \"$d\"; continue; }}; "
                    "for k in *; do [ -d \"$k\" ] && printf 'K\\t%s\\n' \"$k\"; done; "
                    "for t in */*-*; do [ -d \"$t\" ] && printf 'T\\t%s\\t%s\\n' \"$d\" \"$t\"; done; "
                    "{}done; exit 0",
                    fmt::join(dirs, " "), snapshots);
    return with_sudo(script, node.ssh.sudo);
}

namespace {

// "T\t<data dir>\t<ks>/<table>-<id>"; other directories with a dash (not a table's) are skipped.
Result<std::optional<TableDir>> parse_table_line(const std::string& line)
{
    auto fields = split_fields(line, '\t');
    if (fields.size() != 3) {
        return parse_error("data directory survey", line);
    }
    const std::string& value = fields[2];
    auto slash = value.find('/');
    auto dash = value.rfind('-');
    if (slash == std::string::npos || dash == std::string::npos || dash < slash) {
        return parse_error("data directory survey", line);
    }
    TableDir table{fields[1], value.substr(0, slash), value.substr(slash + 1, dash - slash - 1),
                   value.substr(dash + 1)};
    bool hex_id = table.id.size() == 32 && table.id.find_first_not_of("0123456789abcdef") == std::string::npos;
    return hex_id ? std::optional(table) : std::nullopt;
}

} // namespace

Result<DataDirSurvey> parse_data_dir_survey(const std::string& out)
{
    DataDirSurvey survey;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        if (line.size() < 3 || line[1] != '\t') {
            return parse_error("data directory survey", line);
        }
        std::string value = line.substr(2);
        if (line[0] == 'K') {
            survey.keyspaces.push_back(value);
        } else if (line[0] == 'T') {
            auto table = parse_table_line(line);
            if (!table) {
                return table.error();
            }
            if (*table) {
                survey.tables.push_back(**table);
            }
        } else if (line[0] == 'S') {
            survey.tag_dirs.push_back(value);
        } else if (line[0] == 'U') {
            survey.unreadable_dirs.push_back(value);
        } else {
            return parse_error("data directory survey", line);
        }
    }
    return survey;
}

} // namespace ringsnap
