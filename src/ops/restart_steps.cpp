// SPDX-License-Identifier: Apache-2.0
#include "ops/restart_steps.hpp"

#include <filesystem>
#include <map>

#include <fmt/format.h>

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

std::string parent_of(const std::string& path)
{
    return std::filesystem::path(path).parent_path().string();
}

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

std::string undone_root(const std::string& dir, const std::string& restore_id)
{
    return fmt::format("{}/{}/undone", restore_steps::staging_base(dir), restore_id);
}

} // namespace

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
    return fmt::format("while out=$({} 2>&1); do sleep 2; done; case $out in *'Failed to connect'*) exit 0;; esac; "
                       "printf '%s\\n' \"$out\" >&2; exit 1",
                       nodetool_command(node, {"version"}));
}

std::vector<std::string> quarantine_commands(const Node& node, const std::string& restore_id,
                                             const std::vector<const TablePlan*>& tables,
                                             const std::optional<std::string>& commitlog_dir)
{
    std::vector<std::string> snippets;
    auto dirs = node.data_dirs();
    for (const auto* table : tables) {
        for (const auto& live : table->live_dirs) {
            auto index = data_dir_index(node, live);
            if (!index) {
                continue; // the planner refuses such a directory
            }
            auto to = fmt::format("{}/{}/{}", quarantine_root(dirs[*index], restore_id, *index), table->keyspace,
                                  base_name(live));
            snippets.push_back(move_all(live, to, true));
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
        // (staging directory, source directory) -> names; the target follows from the staging root.
        std::map<std::pair<std::string, std::string>, std::vector<std::string>> groups;
        for (const auto& file : table->files) {
            groups[{parent_of(file.staged), parent_of(file.source)}].push_back(file.name);
        }
        for (const auto& [dirs_of, names] : groups) {
            const auto& [staged, source] = dirs_of;
            std::optional<std::size_t> index;
            for (std::size_t i = 0; i < plan.staging_roots.size(); ++i) {
                if (staged.starts_with(plan.staging_roots[i] + "/")) {
                    index = i;
                }
            }
            if (!index) {
                continue; // the planner stages under these roots only
            }
            std::string target;
            for (const auto& live : table->live_dirs) {
                if (data_dir_index(node, live) == index) {
                    target = live;
                }
            }
            if (target.empty()) {
                target = fmt::format("{}/{}/{}-{}", dirs[*index], table->keyspace, table->table, table->live_id);
            }
            auto data = shell_quote(dirs[*index]);
            auto to = shell_quote(target);
            auto list = restore_steps::quoted_list(names);
            snippets.push_back(fmt::format(
                "{{ [ -d {1} ] || {{ mkdir -p -- {1} && chown --reference={0} -- {1}; }}; }} && "
                "for f in {3}; do [ -e {1}/\"$f\" ] || mv -n -- {2}/\"$f\" {1}/ || exit 1; done && "
                "{{ [ \"$(id -u)\" = \"$(stat -c %u -- {0})\" ] || find {1} -maxdepth 1 -type f ! -user "
                "\"$(stat -c %u -- {0})\" -exec chown --reference={0} -- {{}} +; }} && "
                "for f in {3}; do [ {1}/\"$f\" -ef {4}/\"$f\" ] || {{ echo \"ringsnap: \"{1}/\"$f is not the "
                "backup's file (\"{4}/\"$f)\" >&2; exit 1; }}; done",
                data, to, shell_quote(staged), list, shell_quote(source)));
        }
    }
    return restore_steps::chunk_commands(node, snippets, "");
}

std::string undo_command(const Node& node, const std::optional<std::string>& commitlog_dir,
                         const std::string& restore_id)
{
    std::vector<std::string> snippets;
    auto dirs = node.data_dirs();
    for (std::size_t i = 0; i < dirs.size(); ++i) {
        // Each quarantined <ks>/<table dir>: the table directory's files now go aside into undone/,
        // then the quarantined ones back.
        snippets.push_back(
            fmt::format("Q={0}; D={1}; U={2}; [ ! -d \"$Q\" ] || for q in \"$Q\"/*/*; do [ -d \"$q\" ] || continue; "
                        "r=${{q#\"$Q\"/}}; t=$D/$r; u=$U/$r; mkdir -p -- \"$u\" && "
                        "for f in \"$t\"/*; do [ ! -f \"$f\" ] || aside \"$f\" \"$u\" || exit 1; done && "
                        "for f in \"$t\"/.[!.]*; do [ ! -e \"$f\" ] || aside \"$f\" \"$u\" || exit 1; done && "
                        "for f in \"$q\"/* \"$q\"/.[!.]*; do [ ! -e \"$f\" ] || aside \"$f\" \"$t\" || exit 1; done && "
                        "rmdir -- \"$q\" || exit 1; done",
                        shell_quote(quarantine_root(dirs[i], restore_id, i)), shell_quote(dirs[i]),
                        shell_quote(fmt::format("{}/d{}", undone_root(dirs[i], restore_id), i))));
    }
    if (commitlog_dir) {
        auto kept = commitlog_quarantine(*commitlog_dir, restore_id);
        snippets.push_back(
            fmt::format("{{ [ ! -d {0} ] || {{ {1} && {2}; }}; }}", shell_quote(kept),
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
