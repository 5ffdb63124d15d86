// SPDX-License-Identifier: Apache-2.0
#include "ops/restore_steps.hpp"

#include <charconv>
#include <filesystem>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include <ringsnap/fields.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/remote_files.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap::ops::restore_steps {

namespace {

// Bytes of one command. The login shell gets it as one argument, which the kernel caps at
// 128 KiB; `sudo sh -c '...'` quotes it again, which can grow it several times.
constexpr std::size_t k_max_bytes_per_command = 96 * 1024;
constexpr std::size_t k_max_bytes_per_sudo_command = 24 * 1024;
constexpr std::size_t k_files_per_link = 200;
constexpr const char* k_hashes_marker = "ringsnap-staged-hashes"; // SSTable names are short: well within one command

Error unexpected(const char* what, const std::string& line)
{
    return make_error(ErrorKind::parse,
                      fmt::format("unexpected {} line: {}", what, quote_for_message(line.substr(0, 200))));
}

} // namespace

std::string quoted_list(const std::vector<std::string>& words)
{
    std::vector<std::string> quoted;
    for (const auto& word : words) {
        quoted.push_back(shell_quote(word));
    }
    return fmt::format("{}", fmt::join(quoted, " "));
}

std::vector<std::string> chunk_commands(const Node& node, const std::vector<std::string>& snippets,
                                        const std::string& prefix)
{
    std::vector<std::string> commands;
    std::string current;
    for (const auto& snippet : snippets) {
        auto limit = node.ssh.sudo ? k_max_bytes_per_sudo_command : k_max_bytes_per_command;
        if (!current.empty() && current.size() + snippet.size() > limit) {
            commands.push_back(with_sudo(prefix + current, node.ssh.sudo));
            current.clear();
        }
        current += (current.empty() ? "" : " && ") + snippet;
    }
    if (!current.empty()) {
        commands.push_back(with_sudo(prefix + current, node.ssh.sudo));
    }
    return commands;
}

std::string parent_of(const std::string& path)
{
    return path.substr(0, path.rfind('/'));
}

std::string staging_base(const std::string& data_dir)
{
    return std::filesystem::path(data_dir).parent_path().string() + "/ringsnap-restore";
}

std::string staging_root(const std::string& data_dir, const std::string& restore_id, std::size_t index)
{
    return fmt::format("{}/{}/d{}", staging_base(data_dir), restore_id, index);
}

std::string disk_facts_command(const Node& node, const std::vector<std::string>& keyspaces)
{
    // D: index, path, device, parent's device, free KiB, owner. X: a dropped-* or truncated-*
    // snapshot directory. Globs that match nothing stay literal and fail the -d test.
    std::string script = fmt::format(
        "i=0; for d in {}; do p=$(dirname -- \"$d\"); "
        "printf 'D\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' \"$i\" \"$d\" \"$(stat -c %d -- \"$d\" 2>/dev/null)\" "
        "\"$(stat -c %d -- \"$p\" 2>/dev/null)\" \"$(df -Pk -- \"$d\" 2>/dev/null | awk 'NR==2{{print $4}}')\" "
        "\"$(stat -c %u:%g -- \"$d\" 2>/dev/null)\"; "
        "for k in {}; do for s in \"$d/$k\"/*/snapshots/dropped-* \"$d/$k\"/*/snapshots/truncated-*; do "
        "[ -d \"$s\" ] && printf 'X\\t%s\\n' \"$s\"; done; done; i=$((i+1)); done; exit 0",
        quoted_list(node.data_dirs()), keyspaces.empty() ? "''" : quoted_list(keyspaces));
    return with_sudo(script, node.ssh.sudo);
}

Result<DiskFacts> parse_disk_facts(const std::string& out)
{
    DiskFacts facts;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        auto fields = split_fields(line, '\t');
        if (fields[0] == "D" && fields.size() == 7) {
            DiskFacts::DataDir dir{fields[2], fields[3], fields[4], 0, fields[6]};
            if (!fields[5].empty() && !parse_number(fields[5], dir.free_bytes)) {
                return unexpected("disk facts", line);
            }
            dir.free_bytes *= 1024;
            facts.data_dirs.push_back(std::move(dir));
        } else if (fields[0] == "X" && fields.size() == 2) {
            auto at = fields[1].find("/snapshots/");
            if (at == std::string::npos) {
                return unexpected("disk facts", line);
            }
            std::string name = fields[1].substr(at + 11);
            if (name.rfind("dropped-", 0) == 0) {
                facts.marked_dropped.push_back(fields[1].substr(0, at));
            } else {
                facts.truncate_snapshots.push_back(fields[1]);
            }
        } else if (!line.empty()) {
            return unexpected("disk facts", line);
        }
    }
    return facts;
}

namespace {

// Creates the staging directories of `tables`, owned as import needs.
std::optional<std::string> stage_directories_snippet(const NodePlan& plan, const std::vector<const TablePlan*>& tables)
{
    std::vector<std::string> directories;
    for (const auto* table : tables) {
        directories.insert(directories.end(), table->stage_dirs.begin(), table->stage_dirs.end());
    }
    if (directories.empty()) {
        return std::nullopt;
    }
    // Import needs the Cassandra user to own (rwx) the directories it reads.
    std::vector<std::string> owners;
    for (std::size_t i = 0; i < plan.staging_roots.size(); ++i) {
        auto dir = shell_quote(plan.node.data_dirs()[i]);
        auto root = shell_quote(plan.staging_roots[i]);
        owners.push_back(fmt::format("{{ [ ! -d {1} ] || [ \"$(id -u)\" = \"$(stat -c %u -- {0})\" ] || "
                                     "find {1} -type d -exec chown --reference={0} {{}} +; }}",
                                     dir, root));
    }
    return fmt::format("mkdir -p -- {} && {}", quoted_list(directories), fmt::join(owners, " && "));
}

} // namespace

std::vector<std::string> stage_directory_commands(const Node& node, const NodePlan& plan,
                                                  const std::vector<const TablePlan*>& tables)
{
    auto snippet = stage_directories_snippet(plan, tables);
    return snippet ? chunk_commands(node, {*snippet}, "") : std::vector<std::string>{};
}

std::vector<std::string> stage_commands(const Node& node, const NodePlan& plan,
                                        const std::vector<const TablePlan*>& tables)
{
    // One `ln` per source and staging directory, not one per file: a node stages thousands.
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> names;
    for (const auto* table : tables) {
        for (const auto& file : table->files) {
            names[{parent_of(file.source), parent_of(file.staged)}].push_back(file.name);
        }
    }
    std::vector<std::string> snippets;
    if (auto directories = stage_directories_snippet(plan, tables)) {
        snippets.push_back(*directories);
    }
    // A file already staged (a rerun) is kept: never overwritten, and checked with the rest.
    for (const auto& [dirs, files] : names) {
        const auto& [source, staged] = dirs;
        for (std::size_t start = 0; start < files.size(); start += k_files_per_link) {
            std::vector<std::string> chunk(
                files.begin() + static_cast<std::ptrdiff_t>(start),
                files.begin() + static_cast<std::ptrdiff_t>(std::min(files.size(), start + k_files_per_link)));
            snippets.push_back(fmt::format("set -- && for f in {2}; do [ -e {1}/\"$f\" ] || set -- \"$@\" {0}/\"$f\"; "
                                           "done && {{ [ $# -eq 0 ] || ln -t {1} -- \"$@\"; }}",
                                           shell_quote(source), shell_quote(staged), quoted_list(chunk)));
        }
    }
    return chunk_commands(node, snippets, "");
}

std::string verify_staged_command(const Node& node, const std::vector<std::string>& roots,
                                  const std::vector<std::string>& stage_dirs)
{
    // Every file under the roots with size and inode, then the marker, then the SHA-256 of every
    // file in the staging directories of the tables still to load: one command, one find each.
    std::string script = fmt::format(
        "set --; for d in {0}; do [ -d \"$d\" ] && set -- \"$@\" \"$d\"; done; "
        "[ $# -eq 0 ] || find \"$@\" -type f -printf '%p\\t%s\\t%i\\n' || exit 1; echo {2}; "
        "set --; for d in {1}; do [ -d \"$d\" ] && set -- \"$@\" \"$d\"; done; "
        "[ $# -eq 0 ] || find \"$@\" -maxdepth 1 -type f -print0 | xargs -0 -r {3}",
        quoted_list(roots), stage_dirs.empty() ? "''" : quoted_list(stage_dirs), k_hashes_marker, sha256_program());
    return with_sudo(script, node.ssh.sudo);
}

Result<StagedFiles> parse_staged(const std::string& out)
{
    std::string marker = std::string(k_hashes_marker) + "\n";
    auto at = out.rfind(marker);
    if (at == std::string::npos || (at != 0 && out[at - 1] != '\n')) {
        return make_error(ErrorKind::parse, "the listing of staged files has no hashes part");
    }
    auto files = parse_found_files(out.substr(0, at));
    if (!files) {
        return files.error();
    }
    auto hashes = parse_sha256sum(out.substr(at + marker.size()));
    if (!hashes) {
        return hashes.error();
    }
    return StagedFiles{std::move(*files), std::move(*hashes)};
}

std::string list_data_files_command(const Node& node, const std::vector<std::string>& table_dirs)
{
    // One find for them all: a node has a table directory (and its backups/) per table.
    return with_sudo(fmt::format("set --; for d in {}; do for t in \"$d\" \"$d/backups\"; do [ -d \"$t\" ] && "
                                 "set -- \"$@\" \"$t\"; done; done; [ $# -eq 0 ] || find \"$@\" -maxdepth 1 -type f "
                                 "-name '*-Data.db' -printf '%p\\t%s\\t%i\\n'",
                                 table_dirs.empty() ? "''" : quoted_list(table_dirs)),
                     node.ssh.sudo);
}

Result<std::vector<FoundFile>> parse_found_files(const std::string& out)
{
    std::vector<FoundFile> files;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) {
            continue;
        }
        auto fields = split_fields(line, '\t');
        FoundFile file;
        if (fields.size() != 3 || !parse_number(fields[1], file.size) || !parse_number(fields[2], file.inode)) {
            return unexpected("file listing", line);
        }
        file.path = fields[0];
        files.push_back(std::move(file));
    }
    return files;
}

std::string import_command(const Node& node, const TablePlan& table, const std::vector<std::string>& dirs)
{
    std::vector<std::string> args{"import", "--", table.keyspace, table.table};
    args.insert(args.end(), dirs.begin(), dirs.end());
    return nodetool_command(node, args);
}

std::string refresh_command(const Node& node, const TablePlan& table)
{
    return nodetool_command(node, {"refresh", "--", table.keyspace, table.table});
}

std::vector<std::string> place_commands(const Node& node, const std::vector<std::pair<std::string, std::string>>& links)
{
    std::vector<std::string> snippets;
    for (const auto& [staged, live] : links) {
        snippets.push_back(fmt::format("ln -- {} {}", shell_quote(staged), shell_quote(live)));
    }
    return chunk_commands(node, snippets, "");
}

std::string cqlsh_command(const Node& node, const std::string& address, const std::string& statements,
                          bool with_credentials)
{
    // TRUNCATE waits for every node (truncate_request_timeout, 60 s by default) and COUNT(*) at
    // ALL reads every replica: give cqlsh longer than its 10 s default.
    std::string program = shell_join({node.cqlsh(), "--request-timeout=300"});
    std::string statement = shell_join({"-e", statements, address});
    if (!with_credentials) {
        return program + " " + statement;
    }
    return "umask 077; rc=$(mktemp) || exit 1; cat >\"$rc\" || { rm -f -- \"$rc\"; exit 1; }; " + program +
           " --cqlshrc \"$rc\" " + statement + "; status=$?; rm -f -- \"$rc\"; exit $status";
}

std::string cqlshrc_input(const std::string& user, const std::string& password)
{
    return fmt::format("[authentication]\nusername = {}\npassword = {}\n", user, password);
}

std::string truncate_statements(const std::vector<std::string>& tables)
{
    std::string statements;
    for (const auto& table : tables) {
        statements += "TRUNCATE " + table + "; ";
    }
    return statements;
}

std::string cleanup_command(const Node& node, const NodePlan& plan, const std::string& restore_id)
{
    // Only the staging: a restart's quarantine under the same restore directory stays until
    // --cleanup. The directories above go once empty.
    std::vector<std::string> parts;
    auto dirs = node.data_dirs();
    for (std::size_t i = 0; i < dirs.size(); ++i) {
        auto base = staging_base(dirs[i]);
        parts.push_back(fmt::format("rm -rf -- {} && {{ rmdir -- {} {} 2>/dev/null || true; }}",
                                    shell_quote(staging_root(dirs[i], restore_id, i)),
                                    shell_quote(base + "/" + restore_id), shell_quote(base)));
    }
    (void)plan;
    return with_sudo(fmt::format("{}", fmt::join(parts, " && ")), node.ssh.sudo);
}

} // namespace ringsnap::ops::restore_steps
