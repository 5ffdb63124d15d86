// SPDX-License-Identifier: Apache-2.0
#include "ops/restart_steps.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include <ringsnap/cassandra_yaml.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/shell.hpp>

#include "ops/restore_steps.hpp"

namespace ringsnap::ops::restart_steps {

namespace {

// `aside PATH DIR`: moves PATH into DIR unless DIR already holds that name (then it says so
// and fails). Every move of this file goes through it.
constexpr const char* k_aside =
    "aside() { [ ! -e \"$2/${1##*/}\" ] || { echo \"ringsnap: $2 already holds ${1##*/}: nothing was moved over "
    "it\" >&2; return 1; }; mv -- \"$1\" \"$2/\"; }; ";

std::string base_name(const std::string& path)
{
    return std::filesystem::path(path).filename().string();
}

// The index of the data directory `path` lies in, if any.
std::optional<std::size_t> data_dir_index(const Node& node, const std::string& path)
{
    auto dirs = node.data_dirs();
    for (std::size_t i = 0; i < dirs.size(); ++i) {
        if (path.starts_with(dirs[i] + "/")) {
            return i;
        }
    }
    return std::nullopt;
}

// Moves the regular files of `from` (and, with `hidden`, its dot-entries: secondary index
// directories) into `to`, which is created.
std::string move_all(const std::string& from, const std::string& to, bool hidden)
{
    std::string script = fmt::format("mkdir -p -- {1} && for f in {0}/*; do [ ! -f \"$f\" ] || aside \"$f\" {1} || "
                                     "exit 1; done",
                                     shell_quote(from), shell_quote(to));
    if (hidden) {
        script += fmt::format(" && for f in {0}/.[!.]*; do [ ! -e \"$f\" ] || aside \"$f\" {1} || exit 1; done",
                              shell_quote(from), shell_quote(to));
    }
    return script;
}

// The staging root (data directory index) a staged path lies under.
std::optional<std::size_t> staging_index(const NodePlan& plan, const std::string& staged)
{
    for (std::size_t i = 0; i < plan.staging_roots.size(); ++i) {
        if (staged.starts_with(plan.staging_roots[i] + "/")) {
            return i;
        }
    }
    return std::nullopt;
}

// Where a table's staged files go, by data directory index: its live directory there, or a new
// `<data dir>/<ks>/<table>-<live id>` when it has none in that data directory.
std::map<std::size_t, std::string> target_dirs(const Node& node, const NodePlan& plan, const TablePlan& table)
{
    auto dirs = node.data_dirs();
    std::map<std::size_t, std::string> targets;
    for (const auto& file : table.files) {
        auto index = staging_index(plan, file.staged);
        if (!index || targets.count(*index)) {
            continue;
        }
        targets[*index] = fmt::format("{}/{}/{}-{}", dirs[*index], table.keyspace, table.table, table.live_id);
        for (const auto& live : table.live_dirs) {
            if (data_dir_index(node, live) == index) {
                targets[*index] = live;
            }
        }
    }
    return targets;
}

std::string quarantined_dir(const std::string& data_dir, const std::string& restore_id, std::size_t index,
                            const std::string& keyspace, const std::string& table_dir)
{
    return fmt::format("{}/{}/{}", quarantine_root(data_dir, restore_id, index), keyspace, base_name(table_dir));
}

std::string undone_root(const std::string& dir, const std::string& restore_id)
{
    return fmt::format("{}/{}/undone", restore_steps::staging_base(dir), restore_id);
}

} // namespace

std::optional<std::string> commitlog_dir_of(const Node& node, const std::optional<std::string>& cassandra_yaml)
{
    if (node.cassandra.commitlog_dir) {
        return node.cassandra.commitlog_dir;
    }
    return cassandra_yaml ? commitlog_directory(*cassandra_yaml) : std::nullopt;
}

std::string quarantine_root(const std::string& data_dir, const std::string& restore_id, std::size_t index)
{
    return fmt::format("{}/{}/quarantine/d{}", restore_steps::staging_base(data_dir), restore_id, index);
}

std::string commitlog_quarantine(const std::string& commitlog_dir, const std::string& restore_id)
{
    return fmt::format("{}/{}/commitlog", restore_steps::staging_base(commitlog_dir), restore_id);
}

std::vector<std::string> quarantine_paths(const Node& node, const std::optional<std::string>& commitlog_dir,
                                          const std::string& restore_id)
{
    std::vector<std::string> paths;
    auto dirs = node.data_dirs();
    for (std::size_t i = 0; i < dirs.size(); ++i) {
        paths.push_back(quarantine_root(dirs[i], restore_id, i));
    }
    if (commitlog_dir) {
        paths.push_back(commitlog_quarantine(*commitlog_dir, restore_id));
    }
    return paths;
}

std::string wait_down_command(const Node& node)
{
    return fmt::format("while out=$({} 2>&1); do sleep 2; done; case $out in *'Connection refused'*) exit 0;; esac; "
                       "printf '%s\\n' \"$out\" | head -n 1 >&2; exit 1",
                       nodetool_command(node, {"version"}));
}

std::vector<std::string> quarantine_commands(const Node& node, const NodePlan& plan, const std::string& restore_id,
                                             const std::vector<const TablePlan*>& tables,
                                             const std::optional<std::string>& commitlog_dir)
{
    std::vector<std::string> snippets;
    auto dirs = node.data_dirs();
    for (const auto* table : tables) {
        auto targets = target_dirs(node, plan, *table);
        for (const auto& live : table->live_dirs) {
            if (auto index = data_dir_index(node, live)) {
                snippets.push_back(
                    move_all(live, quarantined_dir(dirs[*index], restore_id, *index, table->keyspace, live), true));
            }
        }
        // A table directory that placing will create gets an empty quarantine, so that --undo
        // finds it and sets its files aside too.
        for (const auto& [index, target] : targets) {
            if (std::find(table->live_dirs.begin(), table->live_dirs.end(), target) == table->live_dirs.end()) {
                snippets.push_back("mkdir -p -- " + shell_quote(quarantined_dir(dirs[index], restore_id, index,
                                                                                table->keyspace, target)));
            }
        }
    }
    if (commitlog_dir) {
        snippets.push_back(move_all(*commitlog_dir, commitlog_quarantine(*commitlog_dir, restore_id), false));
    }
    return restore_steps::chunk_commands(node, snippets, k_aside);
}

std::vector<std::string> place_commands(const Node& node, const NodePlan& plan,
                                        const std::vector<const TablePlan*>& tables)
{
    auto dirs = node.data_dirs();
    std::vector<std::string> snippets;
    for (const auto* table : tables) {
        auto targets = target_dirs(node, plan, *table);
        // staging directory -> names; the target follows from the staging root.
        std::map<std::string, std::vector<std::string>> groups;
        for (const auto& file : table->files) {
            groups[restore_steps::parent_of(file.staged)].push_back(file.name);
        }
        for (const auto& [staged, names] : groups) {
            auto index = staging_index(plan, staged);
            if (!index || !targets.count(*index)) {
                continue; // the planner stages under these roots only
            }
            const auto& target = targets.at(*index);
            auto data = shell_quote(dirs[*index]);
            auto to = shell_quote(target);
            auto list = restore_steps::quoted_list(names);
            // A staged file still there after the move met a file of its name in the table
            // directory: that one must be the backup's (placed by an earlier run, the staged file
            // a link of it or, downloaded again, its bytes; staging was verified by SHA-256).
            snippets.push_back(fmt::format(
                "{{ [ -d {1} ] || {{ mkdir -p -- {1} && chown --reference={0} -- {1} {4}; }}; }} && "
                "for f in {3}; do [ -e {1}/\"$f\" ] || mv -n -- {2}/\"$f\" {1}/ || exit 1; done && "
                "{{ [ \"$(id -u)\" = \"$(stat -c %u -- {0})\" ] || find {1} -maxdepth 1 -type f ! -user "
                "\"$(stat -c %u -- {0})\" -exec chown --reference={0} -- {{}} +; }} && "
                "for f in {3}; do [ ! -e {2}/\"$f\" ] || [ {1}/\"$f\" -ef {2}/\"$f\" ] || "
                "cmp -s -- {2}/\"$f\" {1}/\"$f\" || {{ echo \"ringsnap: \"{1}/\"$f is not the backup's file "
                "(staged as \"{2}/\"$f)\" >&2; exit 1; }}; done",
                data, to, shell_quote(staged), list, shell_quote(restore_steps::parent_of(target))));
        }
    }
    return restore_steps::chunk_commands(node, snippets, "");
}

std::string undo_command(const Node& node, const std::optional<std::string>& commitlog_dir,
                         const std::string& restore_id, bool placed)
{
    std::vector<std::string> snippets;
    auto dirs = node.data_dirs();
    for (std::size_t i = 0; i < dirs.size(); ++i) {
        // Each quarantined <ks>/<table dir>: once files were placed, what the table directory
        // holds goes aside into undone/ first (once: a marker there says it was done), then the
        // quarantined files go back and their directory goes.
        std::string empty_first =
            placed ? "[ -e \"$u/.ringsnap-emptied\" ] || { "
                     "for f in \"$t\"/*; do [ ! -f \"$f\" ] || aside \"$f\" \"$u\" || exit 1; done && "
                     "for f in \"$t\"/.[!.]*; do [ ! -e \"$f\" ] || aside \"$f\" \"$u\" || exit 1; done && "
                     ": >\"$u/.ringsnap-emptied\"; } && "
                   : "";
        snippets.push_back(
            fmt::format("Q={0}; D={1}; U={2}; [ ! -d \"$Q\" ] || for q in \"$Q\"/*/*; do [ -d \"$q\" ] || continue; "
                        "r=${{q#\"$Q\"/}}; t=$D/$r; u=$U/$r; mkdir -p -- \"$u\" \"$t\" && {3}"
                        "for f in \"$q\"/* \"$q\"/.[!.]*; do [ ! -e \"$f\" ] || aside \"$f\" \"$t\" || exit 1; done && "
                        "rmdir -- \"$q\" || exit 1; done",
                        shell_quote(quarantine_root(dirs[i], restore_id, i)), shell_quote(dirs[i]),
                        shell_quote(fmt::format("{}/d{}", undone_root(dirs[i], restore_id), i)), empty_first));
    }
    if (commitlog_dir) {
        // Once back, the quarantine directory goes: a second undo finds nothing to do.
        auto kept = commitlog_quarantine(*commitlog_dir, restore_id);
        snippets.push_back(
            fmt::format("{{ [ ! -d {0} ] || {{ {1} && {2} && rmdir -- {0}; }}; }}", shell_quote(kept),
                        move_all(*commitlog_dir, undone_root(*commitlog_dir, restore_id) + "/commitlog", false),
                        move_all(kept, *commitlog_dir, false)));
    }
    return with_sudo(k_aside + fmt::format("{}", fmt::join(snippets, " && ")), node.ssh.sudo);
}

std::string remove_quarantine_command(const Node& node, const std::optional<std::string>& commitlog_dir,
                                      const std::string& restore_id)
{
    std::vector<std::string> dirs = node.data_dirs();
    if (commitlog_dir) {
        dirs.push_back(*commitlog_dir);
    }
    std::vector<std::string> parts;
    for (const auto& dir : dirs) {
        auto base = restore_steps::staging_base(dir);
        auto root = base + "/" + restore_id;
        parts.push_back(fmt::format("rm -rf -- {} {} {} && {{ rmdir -- {} {} 2>/dev/null || true; }}",
                                    shell_quote(root + "/quarantine"), shell_quote(root + "/undone"),
                                    shell_quote(root + "/commitlog"), shell_quote(root), shell_quote(base)));
    }
    return with_sudo(fmt::format("{}", fmt::join(parts, " && ")), node.ssh.sudo);
}

} // namespace ringsnap::ops::restart_steps
