// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/archive.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <ringsnap/local_file.hpp>
#include <ringsnap/logging.hpp>
#include <ringsnap/manifest_json.hpp>
#include <ringsnap/ops/backup_run.hpp>
#include <ringsnap/ops/chain.hpp>
#include <ringsnap/ops/table_files.hpp>

#include "ops/archive_steps.hpp"
#include "ops/archive_store.hpp"

namespace ringsnap::ops {

namespace steps = archive_steps;

namespace {

// Where a recorded file is on its node.
std::string file_on_node(const Manifest& manifest, const TableEntry& table, const FileEntry& file)
{
    auto subdir = manifest.kind == BackupKind::snapshot ? snapshot_subdir(manifest.tag) : std::string(k_backups_subdir);
    return table_file_path(table, subdir, file.name);
}

bool archived_ok(const NodeEntry& node)
{
    return node.archive && node.archive->status == NodeStatus::ok;
}

// The nodes of a backup with files to archive: recorded ones, not archived yet.
bool needs_archiving(const NodeEntry& node)
{
    return !node.tables.empty() && !archived_ok(node);
}

const Node* cluster_node(const std::vector<Node>& nodes, const std::string& host)
{
    auto it = std::find_if(nodes.begin(), nodes.end(), [&](const Node& node) { return node.host == host; });
    return it == nodes.end() ? nullptr : &*it;
}

std::uint64_t sum_sizes(const std::map<std::string, std::uint64_t>& blobs)
{
    std::uint64_t bytes = 0;
    for (const auto& [sha, size] : blobs) {
        bytes += size;
    }
    return bytes;
}

// The bytes of the blobs at `paths` ("blobs/9f/9f86...").
std::uint64_t bytes_of(const ArchiveGroup& group, const std::vector<std::string>& paths)
{
    std::uint64_t bytes = 0;
    for (const auto& path : paths) {
        auto it = group.blobs.find(path.substr(path.rfind('/') + 1));
        bytes += it == group.blobs.end() ? 0 : it->second;
    }
    return bytes;
}

// How much of `manifest` is archived, counting the parts of its nodes but those `uncounted`:
// complete when every part that holds files is. A backup whose nodes recorded no file (an hourly
// incremental of a quiet hour) has nothing to send: complete, unless no node succeeded at all.
ManifestStatus archive_status(const Manifest& manifest, const std::set<std::size_t>& uncounted)
{
    std::size_t holders = 0;
    std::size_t archived = 0;
    bool some_node_ok = false;
    for (std::size_t i = 0; i < manifest.nodes.size(); ++i) {
        const auto& entry = manifest.nodes[i];
        if (uncounted.count(i)) {
            continue;
        }
        some_node_ok = some_node_ok || entry.status == NodeStatus::ok;
        if (!entry.tables.empty()) {
            ++holders;
            archived += archived_ok(entry) ? 1 : 0;
        }
    }
    bool all_there = archived == holders && (holders > 0 || some_node_ok);
    return all_there ? ManifestStatus::complete : archived > 0 ? ManifestStatus::partial : ManifestStatus::failed;
}

// What one run of archive_manifest works on.
class Archiver
{
  public:
    Archiver(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes, Manifest manifest,
             RcloneConfigs configs, Observer& observer, ArchiveScope scope)
        : m_executor(executor), m_catalog(catalog), m_nodes(nodes), m_configs(std::move(configs)), m_observer(observer),
          m_scope(scope)
    {
        m_outcome.manifest = std::move(manifest);
    }

    Result<ArchiveOutcome> run()
    {
        auto started = std::chrono::steady_clock::now();
        auto roots = roots_of_nodes();
        if (!roots) {
            return roots.error();
        }
        std::map<std::string, std::set<std::string>> known; // what it cannot read is sent again
        if (auto in_catalog = catalog_blobs(m_catalog, manifest().tag, true)) {
            known = std::move(in_catalog->by_root);
        }
        auto groups = open_groups(plan_uploads(manifest(), *roots, known));
        auto sent = upload(groups, false);
        std::vector<Listing> listings;
        for (std::size_t g = 0; g < groups.size(); ++g) {
            listings.push_back(m_stores[g].sizes(groups[g].blobs));
        }
        send_what_is_missing(groups, listings, sent);
        for (std::size_t g = 0; g < groups.size(); ++g) {
            confirm(groups[g], listings[g], sent);
        }
        commit();
        m_outcome.duration = std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - started);
        return std::move(m_outcome);
    }

  private:
    using Sent = std::map<std::size_t, std::vector<std::string>>; // manifest node index -> blobs it sent
    using Listing = Result<std::map<std::string, std::uint64_t>>; // archive path -> size

    Manifest& manifest() { return m_outcome.manifest; }

    // The second pass: what the confirming listing did not find at its size (the blobs of a node
    // whose upload failed, a blob the catalog said the archive held but that is gone) is sent
    // once more by a node that holds it and did not fail, then looked up again.
    void send_what_is_missing(const std::vector<ArchiveGroup>& groups, std::vector<Listing>& listings, Sent& sent)
    {
        std::vector<ArchiveGroup> again;
        std::vector<std::size_t> again_of;
        for (std::size_t g = 0; g < groups.size(); ++g) {
            if (listings[g]) {
                if (auto missing = reassign_missing(groups[g], *listings[g]); !missing.uploads.empty()) {
                    again.push_back(std::move(missing));
                    again_of.push_back(g);
                }
            }
        }
        if (again.empty()) {
            return;
        }
        for (auto& [index, blobs] : upload(again, true)) {
            auto& all = sent[index];
            all.insert(all.end(), blobs.begin(), blobs.end());
        }
        for (std::size_t i = 0; i < again.size(); ++i) {
            std::map<std::string, std::uint64_t> resent;
            for (const auto& [index, uploads] : again[i].uploads) {
                for (const auto& [sha, path] : uploads) {
                    resent[sha] = again[i].blobs.at(sha);
                }
            }
            auto& listing = listings[again_of[i]];
            if (auto relisted = m_stores[again_of[i]].sizes(resent); relisted) {
                for (const auto& [path, size] : *relisted) {
                    (*listing)[path] = size;
                }
            } else {
                listing = relisted.error();
            }
        }
    }

    // manifest node index -> archive root, for the nodes to archive now. A node pruned before it
    // was archived, or gone from the cluster file, fails here with a reason; in the scope of
    // selected nodes, one --dc/--hosts left out is skipped.
    Result<std::map<std::size_t, std::string>> roots_of_nodes()
    {
        std::map<std::size_t, std::string> roots;
        bool any_archive = false;
        bool any_selected = false;
        for (std::size_t i = 0; i < manifest().nodes.size(); ++i) {
            auto& entry = manifest().nodes[i];
            const Node* node = cluster_node(m_nodes, entry.host);
            any_archive = any_archive || (node && node->archived());
            any_selected = any_selected || (node && !entry.tables.empty());
            if (!needs_archiving(entry)) {
                continue;
            }
            if (!node && m_scope == ArchiveScope::selected) {
                m_skipped.insert(i);
                m_outcome.skipped.push_back(fmt::format("{}: not among the selected nodes (--dc/--hosts)", entry.host));
                continue;
            }
            if (!node || !node->archived()) {
                fail_node(i, "",
                          node ? "the cluster file gives this node no archive: section"
                               : "not in the cluster file: its files cannot be reached");
            } else if (entry.pruned_at) {
                fail_node(i, steps::archive_root(*node, manifest().cluster),
                          "its files were pruned from the node before they were archived");
            } else {
                roots[i] = steps::archive_root(*node, manifest().cluster);
            }
        }
        if (m_scope == ArchiveScope::selected && !any_selected) {
            return make_error(
                ErrorKind::usage,
                fmt::format("no selected node holds a part of {}: choose its nodes with --dc/--hosts", manifest().tag));
        }
        if (!any_archive) {
            return make_error(ErrorKind::usage,
                              fmt::format("no node of backup {} has an archive: add an archive: section (remote: "
                                          "...) to the cluster file {}",
                                          manifest().tag, "(docs/archive.md)"));
        }
        return roots;
    }

    // Records that the node's part is not archived, and why; `root` is the archive it was meant
    // for ("" when it has none), so that no manifest names an empty root.
    void fail_node(std::size_t index, const std::string& root, const std::string& why)
    {
        auto& entry = manifest().nodes[index];
        NodeArchive archive = entry.archive.value_or(NodeArchive{});
        archive.remote = root.empty() ? archive.remote : root;
        archive.status = NodeStatus::failed;
        archive.error = why;
        entry.archive = archive;
    }

    ArchiveStore store_for(const ArchiveGroup& group)
    {
        std::vector<Node> reachers;
        for (auto index : group.nodes) {
            reachers.push_back(*cluster_node(m_nodes, manifest().nodes[index].host));
        }
        return ArchiveStore(m_executor, group.root, std::move(reachers), m_configs);
    }

    // Why the root's manifests/<tag>.json, when there is one, stands for another backup of the
    // same tag (taken before the catalog was lost, or from another operator host), which
    // archiving this one would replace; nullopt when there is none, or it is this backup's own.
    std::optional<std::string> other_backup_there(ArchiveStore& store)
    {
        auto there = store.manifest_summary(manifest().tag);
        if (there ? !*there || same_backup(**there, manifest()) : there.error().kind != ErrorKind::parse) {
            return std::nullopt; // none there, this backup's own, or a root that the upload finds unreachable
        }
        return fmt::format("the archive already holds another backup named {} ({}); archiving this one would replace "
                           "its manifest, so nothing was sent. Move manifests/{}.json out of {}, or take this "
                           "backup again under another tag",
                           manifest().tag,
                           there ? "started at " + format_timestamp((*there)->started_at)
                                 : "its manifest cannot be read: " + there.error().message,
                           manifest().tag, store.root());
    }

    // Writes each root's intent; returns the groups whose intent is written (their stores, in
    // the same order, in m_stores). Every root's nodes then upload in one phase. A root holding
    // another backup of the same tag is not touched.
    std::vector<ArchiveGroup> open_groups(std::vector<ArchiveGroup> planned)
    {
        std::vector<ArchiveGroup> open;
        for (auto& group : planned) {
            auto store = store_for(group);
            auto refused = other_backup_there(store);
            auto intent = refused ? Status(make_error(ErrorKind::usage, *refused))
                                  : store.begin_backup(manifest().tag, group.blobs);
            if (!intent) {
                for (auto index : group.nodes) {
                    fail_node(index, group.root, intent.error().message);
                }
                continue;
            }
            m_stores.push_back(std::move(store));
            open.push_back(std::move(group));
        }
        return open;
    }

    // The group's blobs `listed` lacks (or holds at another size), each given to a node of the
    // group that holds it and whose upload did not fail (the one with the fewest bytes so far),
    // so that a node lost mid-run costs only the contents no other node holds.
    ArchiveGroup reassign_missing(const ArchiveGroup& group, const std::map<std::string, std::uint64_t>& listed) const
    {
        ArchiveGroup again{group.root, group.nodes, group.blobs, {}};
        std::map<std::string, std::map<std::size_t, std::string>> holders; // sha -> healthy node -> path
        for (auto index : group.nodes) {
            if (m_upload_errors.count(index)) {
                continue;
            }
            const auto& entry = m_outcome.manifest.nodes[index];
            for (const auto& table : entry.tables) {
                for (const auto& file : table.files) {
                    holders[file.sha256].emplace(index, file_on_node(m_outcome.manifest, table, file));
                }
            }
        }
        std::map<std::size_t, std::uint64_t> load;
        for (const auto& [sha, size] : group.blobs) {
            auto there = listed.find(steps::blob_path(sha));
            if (there != listed.end() && there->second == size) {
                continue;
            }
            auto found = holders.find(sha);
            if (found == holders.end()) {
                continue; // only failed nodes hold it
            }
            auto lightest =
                std::min_element(found->second.begin(), found->second.end(),
                                 [&](const auto& a, const auto& b) { return load[a.first] < load[b.first]; });
            again.uploads[lightest->first][sha] = lightest->second;
            load[lightest->first] += size;
        }
        return again;
    }

    // Runs the upload of every node of every group at once; returns per manifest node index the
    // blobs it sent. A second pass (`again`) records a node's run only when it fails (its first
    // run stands).
    Sent upload(const std::vector<ArchiveGroup>& groups, bool again)
    {
        std::vector<Node> uploaders;
        std::vector<std::size_t> indexes;
        std::vector<const ArchiveGroup*> group_of;
        for (const auto& group : groups) {
            for (const auto& [index, uploads] : group.uploads) {
                uploaders.push_back(*cluster_node(m_nodes, manifest().nodes[index].host));
                indexes.push_back(index);
                group_of.push_back(&group);
            }
        }
        std::map<std::size_t, std::vector<std::string>> sent;
        if (uploaders.empty()) {
            return sent;
        }
        std::map<std::size_t, std::string> errors;
        std::mutex guard;
        Phase phase(m_observer, again ? "upload what is still missing" : "upload", uploaders);
        auto runs = m_executor.run_on_nodes(uploaders, [&](RemoteShell& shell, std::size_t i) -> Status {
            const auto& group = *group_of[i];
            auto result = upload_from(shell, group, group.uploads.at(indexes[i]));
            std::lock_guard lock(guard);
            sent[indexes[i]] = result.sent;
            if (!result.error.empty()) {
                errors[indexes[i]] = result.error;
                return make_error(ErrorKind::command, result.error);
            }
            return {};
        });
        for (std::size_t i = 0; i < runs.size(); ++i) {
            if (!runs[i].ok() && !errors.count(indexes[i])) {
                errors[indexes[i]] = runs[i].error ? runs[i].error->message : "the upload did not run";
            }
            record_run(std::move(runs[i]), again);
        }
        m_upload_errors.insert(errors.begin(), errors.end());
        return sent;
    }

    void record_run(NodeRun run, bool again)
    {
        auto earlier = std::find_if(m_outcome.runs.begin(), m_outcome.runs.end(),
                                    [&](const NodeRun& r) { return r.node.host == run.node.host; });
        if (!again || earlier == m_outcome.runs.end()) {
            m_outcome.runs.push_back(std::move(run));
        } else if (!run.ok()) {
            *earlier = std::move(run);
        }
    }

    struct UploadResult
    {
        std::vector<std::string> sent;
        std::string error;
    };

    UploadResult upload_from(RemoteShell& shell, const ArchiveGroup& group, const Uploads& uploads)
    {
        std::string payload;
        for (const auto& [sha, path] : uploads) {
            payload += sha + " " + path + "\n";
        }
        auto output =
            shell.run_with_input("rclone copy (upload)", steps::upload_command(shell.node(), group.root),
                                 steps::rclone_input(rclone_config_of(m_configs, shell.node()), payload), std::nullopt);
        if (!output) {
            return {{}, output.error().message};
        }
        auto log = steps::parse_upload_log(output->out, output->err);
        m_observer.add_bytes(bytes_of(group, log.sent));
        UploadResult result{log.sent, ""};
        if (!log.missing.empty()) {
            result.error =
                fmt::format("{} file(s) gone from the node (first: {})", log.missing.size(), log.missing.front());
        } else if (!output->succeeded()) {
            result.error = steps::describe_failure(output->exit_status, output->err);
        }
        return result;
    }

    // Each node's part is archived when the listing finds all its files at their recorded size. A
    // root where some part is confirmed gets the manifest.
    void confirm(const ArchiveGroup& group, const Listing& sizes, const Sent& sent)
    {
        auto now = now_utc();
        for (auto index : group.nodes) {
            auto& entry = manifest().nodes[index];
            NodeArchive archive{group.root, NodeStatus::ok, now, std::nullopt, 0, 0};
            if (auto it = sent.find(index); it != sent.end()) {
                archive.files_sent = it->second.size();
                archive.bytes_sent = bytes_of(group, it->second);
                m_blobs_sent += archive.files_sent;
                m_bytes_sent += archive.bytes_sent;
            }
            if (!sizes) {
                archive.status = NodeStatus::failed;
                archive.error = "the archive could not be listed to confirm the upload: " + sizes.error().message;
            } else if (auto missing = first_missing(entry, *sizes)) {
                archive.status = NodeStatus::failed;
                auto upload_error = m_upload_errors.find(index);
                archive.error =
                    upload_error != m_upload_errors.end() ? upload_error->second + "; " + *missing : *missing;
            }
            archive.archived_at = archive.status == NodeStatus::ok ? std::optional(now) : std::nullopt;
            entry.archive = archive;
        }
        if (std::any_of(group.nodes.begin(), group.nodes.end(),
                        [&](std::size_t i) { return archived_ok(manifest().nodes[i]); })) {
            m_committed.push_back(group.root);
        }
    }

    static std::optional<std::string> first_missing(const NodeEntry& entry,
                                                    const std::map<std::string, std::uint64_t>& sizes)
    {
        std::size_t missing = 0;
        std::string first;
        for (const auto& table : entry.tables) {
            for (const auto& file : table.files) {
                auto it = sizes.find(steps::blob_path(file.sha256));
                if (it == sizes.end() || it->second != file.size) {
                    if (missing++ == 0) {
                        first = it == sizes.end() ? fmt::format("{}: not in the archive", file.name)
                                                  : fmt::format("{}: {} bytes in the archive, {} recorded", file.name,
                                                                it->second, file.size);
                    }
                }
            }
        }
        if (missing == 0) {
            return std::nullopt;
        }
        return fmt::format("{} file(s) not confirmed in the archive (first: {})", missing, first);
    }

    // The catalog first (the operator's truth), then each archive root that holds a part, then
    // the intents go.
    void commit()
    {
        summarize();
        auto saved = m_catalog.save(manifest(), SaveMode::replace);
        if (!saved) {
            m_outcome.notes.push_back("the manifest could not be updated in the catalog: " + saved.error().message);
        } else {
            m_outcome.manifest_path = *saved;
        }
        std::string document = to_json(manifest()).dump(2) + "\n";
        for (auto& store : m_stores) {
            bool holds_part = std::find(m_committed.begin(), m_committed.end(), store.root()) != m_committed.end();
            if (holds_part) {
                if (auto put = store.put_manifest(manifest().tag, document); !put) {
                    m_outcome.notes.push_back(fmt::format("{}: the manifest could not be written to the archive: {}",
                                                          store.root(), put.error().message));
                }
            }
            store.end_backup(manifest().tag);
        }
        m_outcome.status = status_of(archive_status(manifest(), m_skipped));
    }

    void summarize()
    {
        ManifestArchive archive;
        archive.archived_at = now_utc();
        std::map<std::string, std::uint64_t> blobs;
        for (const auto& entry : manifest().nodes) {
            if (entry.archive && !entry.archive->remote.empty()) {
                if (std::find(archive.remotes.begin(), archive.remotes.end(), entry.archive->remote) ==
                    archive.remotes.end()) {
                    archive.remotes.push_back(entry.archive->remote);
                }
            }
            for (const auto& table : entry.tables) {
                for (const auto& file : table.files) {
                    blobs[file.sha256] = file.size;
                }
            }
        }
        archive.blobs = blobs.size();
        archive.bytes = sum_sizes(blobs);
        archive.blobs_sent = m_blobs_sent;
        archive.bytes_sent = m_bytes_sent;
        archive.status = archive_status(manifest(), {});
        manifest().archive = archive;
    }

    Executor& m_executor;
    const Catalog& m_catalog;
    const std::vector<Node>& m_nodes;
    RcloneConfigs m_configs;
    Observer& m_observer;
    ArchiveScope m_scope;
    std::set<std::size_t> m_skipped; // manifest node indexes this run leaves to another
    ArchiveOutcome m_outcome;
    std::vector<ArchiveStore> m_stores;
    std::vector<std::string> m_committed;               // roots where some node's part was confirmed
    std::map<std::size_t, std::string> m_upload_errors; // manifest node index -> why its upload failed
    std::uint64_t m_blobs_sent = 0;                     // by this run
    std::uint64_t m_bytes_sent = 0;
};

} // namespace

Result<RcloneConfigs> read_rclone_configs(const std::vector<Node>& nodes)
{
    RcloneConfigs configs;
    for (const auto& node : nodes) {
        const auto& path = node.archive.rclone_config;
        if (!node.archived() || !path || configs.count(*path)) {
            continue;
        }
        auto content = read_local_file(*path, k_secret_file);
        if (!content) {
            return make_error(ErrorKind::usage, fmt::format("archive.rclone_config: {}", content.error().message));
        }
        configs[*path] = std::move(*content);
    }
    return configs;
}

const std::string& rclone_config_of(const RcloneConfigs& configs, const Node& node)
{
    static const std::string none;
    if (!node.archive.rclone_config) {
        return none;
    }
    auto it = configs.find(*node.archive.rclone_config);
    return it == configs.end() ? none : it->second;
}

std::vector<ArchiveGroup> plan_uploads(const Manifest& manifest, const std::map<std::size_t, std::string>& roots,
                                       const std::map<std::string, std::set<std::string>>& known)
{
    std::map<std::string, ArchiveGroup> groups;
    // sha256 -> (size, holders with their path), per root
    std::map<std::string, std::map<std::string, std::vector<std::pair<std::size_t, std::string>>>> holders;
    for (const auto& [index, root] : roots) {
        auto& group = groups[root];
        group.root = root;
        group.nodes.push_back(index);
        for (const auto& table : manifest.nodes[index].tables) {
            for (const auto& file : table.files) {
                group.blobs[file.sha256] = file.size;
                holders[root][file.sha256].emplace_back(index, file_on_node(manifest, table, file));
            }
        }
    }
    for (auto& [root, group] : groups) {
        auto known_here = known.find(root);
        std::vector<std::pair<std::uint64_t, std::string>> needed; // (size, sha), largest first
        for (const auto& [sha, size] : group.blobs) {
            if (known_here == known.end() || !known_here->second.count(sha)) {
                needed.emplace_back(size, sha);
            }
        }
        std::sort(needed.begin(), needed.end(), std::greater<>());
        std::map<std::size_t, std::uint64_t> load;
        for (const auto& [size, sha] : needed) {
            const auto& candidates = holders[root][sha];
            auto chosen = std::min_element(candidates.begin(), candidates.end(),
                                           [&](const auto& a, const auto& b) { return load[a.first] < load[b.first]; });
            load[chosen->first] += size;
            group.uploads[chosen->first][sha] = chosen->second;
        }
    }
    std::vector<ArchiveGroup> result;
    for (auto& [root, group] : groups) {
        result.push_back(std::move(group));
    }
    return result;
}

Result<CatalogBlobs> catalog_blobs(const Catalog& catalog, const std::string& except_tag, bool confirmed_only)
{
    auto listing = catalog.list();
    if (!listing) {
        return listing.error();
    }
    CatalogBlobs blobs;
    if (!listing->problems.empty()) {
        blobs.unreadable = listing->problems.front().error;
    }
    for (const auto& summary : listing->manifests) {
        if (summary.tag == except_tag || !summary.archive) {
            continue;
        }
        auto manifest = catalog.load(summary.tag);
        if (!manifest) {
            blobs.unreadable = blobs.unreadable.value_or(manifest.error());
            continue;
        }
        for (const auto& node : manifest->nodes) {
            if (archived_ok(node)) { // then the root got this very manifest
                blobs.tags_by_root[node.archive->remote].insert(summary.tag);
            }
            if (!node.archive || (confirmed_only && !archived_ok(node))) {
                continue;
            }
            auto& referenced = blobs.by_root[node.archive->remote];
            for (const auto& table : node.tables) {
                for (const auto& file : table.files) {
                    referenced.insert(file.sha256);
                }
            }
        }
    }
    return blobs;
}

Status check_archive_ready(const std::vector<Node>& nodes)
{
    if (std::none_of(nodes.begin(), nodes.end(), [](const Node& node) { return node.archived(); })) {
        return make_error(ErrorKind::usage, "--archive: the cluster file gives no selected node an archive: add an "
                                            "archive: section (remote: ...; docs/archive.md)");
    }
    auto configs = read_rclone_configs(nodes);
    if (!configs) {
        return configs.error();
    }
    return {};
}

std::string rclone_problem(RemoteShell& shell)
{
    const auto& node = shell.node();
    auto ran = shell.run("rclone version", steps::version_command(node));
    if (!ran) {
        return fmt::format("{}: cannot run `{} version`: {}", node.host, node.rclone(), ran.error().message);
    }
    if (ran->exit_status == 127) {
        return fmt::format("{}: {} is not there, and its archive needs it: install Debian's rclone package, or set "
                           "archive: rclone in the cluster file",
                           node.host, node.rclone());
    }
    auto version = steps::parse_rclone_version(ran->out);
    if (!ran->succeeded() || !version) {
        auto said = ran->out.empty() ? ran->err : ran->out;
        return fmt::format("{}: `{} version` did not answer as rclone does: {}", node.host, node.rclone(),
                           said.substr(0, said.find('\n')));
    }
    if (*version < std::pair{steps::k_min_rclone_major, steps::k_min_rclone_minor}) {
        return fmt::format("{}: rclone {}.{} is older than {}.{}, the oldest the archive works with", node.host,
                           version->first, version->second, steps::k_min_rclone_major, steps::k_min_rclone_minor);
    }
    return {};
}

RunStatus with_archive(RunStatus backup, const ArchiveOutcome& archive)
{
    auto rank = [](RunStatus status) {
        return status == RunStatus::interrupted ? 3
               : status == RunStatus::failed    ? 2
               : status == RunStatus::partial   ? 1
                                                : 0;
    };
    // An archive that failed outright still leaves the backup on the nodes: partial, not failed.
    auto archived = archive.status == RunStatus::failed ? RunStatus::partial : archive.status;
    return rank(archived) > rank(backup) ? archived : backup;
}

namespace {

// One archive root's blobs of a backup, with a file that holds each (for messages).
struct RootBlobs
{
    std::vector<Node> reachers;
    std::map<std::string, std::uint64_t> sizes;
    std::map<std::string, std::string> where;
};

std::map<std::string, RootBlobs> blobs_by_root(const Manifest& manifest, const std::vector<Node>& nodes,
                                               std::vector<std::string>& errors)
{
    std::map<std::string, RootBlobs> roots;
    auto reachers = reachers_by_root(nodes, manifest.cluster);
    for (const auto& entry : manifest.nodes) {
        if (entry.tables.empty()) {
            continue;
        }
        if (!archived_ok(entry)) {
            errors.push_back(fmt::format("{}: its part is not in the archive", entry.host));
            continue;
        }
        auto& root = roots[entry.archive->remote];
        if (auto found = reachers.find(entry.archive->remote); found != reachers.end()) {
            root.reachers = found->second;
        }
        for (const auto& table : entry.tables) {
            for (const auto& file : table.files) {
                root.sizes[file.sha256] = file.size;
                root.where.emplace(file.sha256,
                                   fmt::format("{}: {}.{}/{}", entry.host, table.keyspace, table.table, file.name));
            }
        }
    }
    return roots;
}

// `percent` of `blobs`, picked at random (all of them at 100).
std::vector<std::string> sample(const std::map<std::string, std::uint64_t>& blobs, int percent)
{
    std::vector<std::string> all;
    for (const auto& [sha, size] : blobs) {
        all.push_back(sha);
    }
    if (percent >= 100) {
        return all;
    }
    std::shuffle(all.begin(), all.end(), std::mt19937(std::random_device{}()));
    auto keep = (all.size() * static_cast<std::size_t>(percent) + 99) / 100;
    all.resize(std::max<std::size_t>(keep, all.empty() ? 0 : 1));
    return all;
}

void check_root(ArchiveStore& store, const RootBlobs& root, const ArchiveVerifyRequest& request,
                ArchiveVerifyOutcome& outcome)
{
    auto sizes = store.sizes(root.sizes);
    if (!sizes) {
        outcome.errors.push_back(fmt::format("{}: {}", store.root(), sizes.error().message));
        return;
    }
    for (const auto& [sha, size] : root.sizes) {
        auto found = sizes->find(steps::blob_path(sha));
        if (found == sizes->end()) {
            outcome.problems.push_back({sha, root.where.at(sha), "missing from the archive"});
        } else if (found->second != size) {
            outcome.problems.push_back(
                {sha, root.where.at(sha), fmt::format("{} bytes in the archive, {} recorded", found->second, size)});
        }
        ++outcome.blobs_checked;
    }
    if (!request.deep) {
        return;
    }
    auto picked = sample(root.sizes, request.sample_percent);
    auto hashes = store.hashes(picked);
    if (!hashes) {
        outcome.errors.push_back(fmt::format("{}: {}", store.root(), hashes.error().message));
        return;
    }
    for (const auto& sha : picked) {
        auto read = hashes->find(sha);
        if (read == hashes->end()) {
            // Said only once per blob: a missing one was named by the size check already.
            if (sizes->count(steps::blob_path(sha))) {
                outcome.problems.push_back({sha, root.where.at(sha), "could not be read back to hash it"});
            }
        } else if (read->second != sha) {
            outcome.problems.push_back({sha, root.where.at(sha), "its content read back has SHA-256 " + read->second});
        }
        outcome.blobs_hashed += read != hashes->end() ? 1 : 0;
    }
}

} // namespace

Result<ArchiveVerifyOutcome> verify_archive(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                                            const ArchiveVerifyRequest& request)
{
    auto manifest = catalog.load(request.tag);
    if (!manifest) {
        return manifest.error();
    }
    if (!manifest->archive) {
        return make_error(ErrorKind::usage,
                          fmt::format("backup {} was never archived (ringsnap archive {})", request.tag, request.tag));
    }
    auto configs = read_rclone_configs(nodes);
    if (!configs) {
        return configs.error();
    }
    ArchiveVerifyOutcome outcome;
    for (auto& [root, blobs] : blobs_by_root(*manifest, nodes, outcome.errors)) {
        outcome.roots.push_back(root);
        outcome.blobs += blobs.sizes.size();
        if (blobs.reachers.empty()) {
            outcome.errors.push_back(fmt::format("{}: no selected node uses this archive to read it", root));
            continue;
        }
        ArchiveStore store(executor, root, blobs.reachers, *configs);
        check_root(store, blobs, request, outcome);
    }
    outcome.status = outcome.errors.empty()      ? RunStatus::ok
                     : outcome.blobs_checked > 0 ? RunStatus::partial
                                                 : RunStatus::failed;
    outcome.exit_code = outcome.problems.empty() ? exit_code_for(outcome.status) : exit_code::mismatch;
    return outcome;
}

Result<ArchiveOutcome> archive_manifest(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                                        const Manifest& manifest, Observer& observer, ArchiveScope scope)
{
    auto configs = read_rclone_configs(nodes);
    if (!configs) {
        return configs.error();
    }
    return Archiver(executor, catalog, nodes, manifest, std::move(*configs), observer, scope).run();
}

Result<ArchiveOutcome> run_archive(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                                   const ArchiveRequest& request, Observer& observer)
{
    auto lock = lock_catalog(catalog, request.command);
    if (!lock) {
        return lock.error();
    }
    auto manifest = catalog.load(request.tag);
    if (!manifest) {
        return manifest.error();
    }
    if (auto usable = check_usable(summary_of(*manifest), "archive"); !usable) {
        return usable.error();
    }
    if (auto why = off_the_nodes(summary_of(*manifest), now_utc())) {
        return make_error(ErrorKind::usage, fmt::format("{} {}: what it had not archived by then is gone, and "
                                                        "nothing is left to send",
                                                        request.tag, *why));
    }
    return archive_manifest(executor, catalog, nodes, *manifest, observer, request.scope);
}

} // namespace ringsnap::ops
