// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/clear.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/ops/backup_run.hpp>
#include <ringsnap/ops/chain.hpp>
#include <ringsnap/ops/pairing.hpp>
#include <ringsnap/ops/table_files.hpp>
#include <ringsnap/remote_files.hpp>

namespace ringsnap::ops {

namespace {

using Tags = std::set<std::string>;

// The tags of the `keep` newest complete snapshots, and of the incrementals built on them.
Tags kept_by_count(const std::vector<ManifestSummary>& backups, int keep)
{
    Tags kept;
    for (auto it = backups.rbegin(); it != backups.rend() && static_cast<int>(kept.size()) < keep; ++it) {
        if (it->kind == BackupKind::snapshot && it->status == ManifestStatus::complete) {
            kept.insert(it->tag);
        }
    }
    Tags chains = kept;
    for (const auto& backup : backups) {
        if (backup.kind == BackupKind::incremental && backup.base && kept.count(*backup.base)) {
            chains.insert(backup.tag);
        }
    }
    return chains;
}

Tags chosen_by_retention(const std::vector<ManifestSummary>& backups, const RetentionRule& rule, Timestamp now)
{
    Tags kept = rule.keep ? kept_by_count(backups, *rule.keep) : Tags{};
    Tags chosen;
    for (const auto& backup : backups) {
        bool young = rule.older_than && backup.started_at > now - *rule.older_than;
        bool done = backup.cleared_at && !rule.archive; // off the nodes, and the archive is not asked
        if (!kept.count(backup.tag) && !young && !done) {
            chosen.insert(backup.tag);
        }
    }
    return chosen;
}

// Moves out of `chosen` every backup a backup outside it names as base or parent, until none
// is left: a chain is only ever cleared from its newest end.
std::vector<KeptBackup> protect_chains(const std::vector<ManifestSummary>& backups, Tags& chosen)
{
    std::map<std::string, const ManifestSummary*> by_tag;
    for (const auto& backup : backups) {
        by_tag[backup.tag] = &backup;
    }
    std::vector<KeptBackup> protected_backups;
    for (bool changed = true; changed;) {
        changed = false;
        for (const auto& backup : backups) {
            if (chosen.count(backup.tag)) {
                continue;
            }
            for (const auto& [dependency, role] :
                 {std::pair{backup.base, "base"}, std::pair{backup.parent, "parent"}}) {
                if (dependency && chosen.erase(*dependency) && by_tag.count(*dependency)) {
                    protected_backups.push_back(
                        {*by_tag[*dependency], fmt::format("{} of kept incremental {}", role, backup.tag)});
                    changed = true;
                }
            }
        }
    }
    return protected_backups;
}

} // namespace

Result<ClearPlan> plan_clear(const std::vector<ManifestSummary>& backups, const RetentionRule& rule, Timestamp now)
{
    Tags chosen;
    if (rule.tag) {
        auto found = std::find_if(backups.begin(), backups.end(), [&](const auto& b) { return b.tag == *rule.tag; });
        if (found == backups.end()) {
            return make_error(ErrorKind::usage,
                              fmt::format("no backup {} in the catalog (`ringsnap list` shows them)", *rule.tag));
        }
        if (found->cleared_at && !rule.archive) {
            return make_error(ErrorKind::usage,
                              fmt::format("{} was cleared from the nodes at {} and lives on in the archive only: "
                                          "--archive removes it from there too",
                                          *rule.tag, format_timestamp(*found->cleared_at)));
        }
        chosen.insert(*rule.tag);
    } else {
        chosen = chosen_by_retention(backups, rule, now);
    }
    ClearPlan plan;
    if (!rule.force) {
        plan.protected_by_chain = protect_chains(backups, chosen);
    }
    if (rule.tag && !plan.protected_by_chain.empty()) {
        return make_error(ErrorKind::usage,
                          fmt::format("{} is the {}: clear the incrementals first, or pass --force to break the chain",
                                      *rule.tag, plan.protected_by_chain.front().reason));
    }
    for (const auto& backup : backups) {
        if (chosen.count(backup.tag)) {
            plan.to_clear.push_back(backup);
        }
    }
    return plan;
}

std::vector<std::string> clearsnapshot_arguments(const std::string& tag)
{
    return {"clearsnapshot", "-t", tag};
}

namespace {

// Clears one snapshot on the node, then looks for any directory of it left in the data
// directories: clearsnapshot is silent about a tag it did not find.
Status clear_snapshot_on(RemoteShell& shell, const std::string& tag)
{
    auto cleared =
        run_checked(shell, "nodetool clearsnapshot", nodetool_command(shell.node(), clearsnapshot_arguments(tag)));
    if (!cleared) {
        return cleared.error();
    }
    auto listing = run_checked(shell, "look for what is left", survey_data_dirs_command(shell.node(), tag));
    if (!listing) {
        return listing.error();
    }
    auto left = parse_data_dir_survey(listing->out);
    if (!left) {
        return left.error();
    }
    if (!left->tag_dirs.empty()) {
        return make_error(ErrorKind::command,
                          fmt::format("{} director{} of {} still there after clearsnapshot, e.g. {}",
                                      left->tag_dirs.size(), left->tag_dirs.size() == 1 ? "y" : "ies", tag,
                                      left->tag_dirs.front()));
    }
    return {};
}

// Deletes an incremental's recorded files from backups/ (and nothing else there: the other
// incrementals and later flushes share it).
Status clear_incremental_on(RemoteShell& shell, const NodeEntry& entry)
{
    std::vector<std::string> paths;
    for (const auto& table : entry.tables) {
        for (const auto& file : table.files) {
            paths.push_back(table_file_path(table, k_backups_subdir, file.name));
        }
    }
    for (const auto& command : remove_files_commands(shell.node(), paths)) {
        if (auto removed = run_checked(shell, "remove backups files", command); !removed) {
            return removed.error();
        }
    }
    return {};
}

Status clear_on(RemoteShell& shell, const Manifest& backup, const NodeEntry& entry)
{
    return backup.kind == BackupKind::snapshot ? clear_snapshot_on(shell, backup.tag)
                                               : clear_incremental_on(shell, entry);
}

// Which node clears what, decided before anything runs.
struct ClearAssignment
{
    struct Item
    {
        const Manifest* backup;
        const NodeEntry* entry;
    };
    std::vector<Node> nodes;
    std::vector<std::vector<Item>> items; // per node in `nodes`, in the order of the backups
    std::vector<NodeClear> unselected;    // parts on nodes that are not selected: they fail
};

// Refuses every backup when one manifest's entries cannot be trusted (pair_entries), so that
// nothing is cleared from a plan built on a bad manifest.
Result<ClearAssignment> assign_clears(const std::vector<Node>& selected, const std::vector<Manifest>& backups)
{
    ClearAssignment assignment;
    auto& nodes = assignment.nodes;
    for (const auto& backup : backups) {
        auto pairing = pair_entries(backup, selected);
        if (!pairing) {
            return pairing.error();
        }
        for (std::size_t e = 0; e < backup.nodes.size(); ++e) {
            const auto& entry = backup.nodes[e];
            if (!may_hold_backup(entry)) {
                continue;
            }
            const auto* pair = pairing->for_entry(e);
            if (!pair) {
                assignment.unselected.push_back(
                    {backup.tag, entry.host, make_error(ErrorKind::usage, "not a selected node of the cluster file")});
                continue;
            }
            const Node& node = selected[pair->node];
            auto known = std::find_if(nodes.begin(), nodes.end(), [&](const Node& n) { return n.host == node.host; });
            if (known == nodes.end()) {
                nodes.push_back(node);
                assignment.items.emplace_back();
                known = nodes.end() - 1;
            }
            assignment.items[static_cast<std::size_t>(known - nodes.begin())].push_back({&backup, &entry});
        }
    }
    return assignment;
}

// Runs an assignment: one session per node, its backups in order.
ClearResult run_assignment(Executor& executor, const ClearAssignment& assignment)
{
    const auto& nodes = assignment.nodes;
    const auto& items = assignment.items;
    ClearResult result;
    result.clears = assignment.unselected;
    std::vector<std::vector<NodeClear>> per_node(nodes.size());
    result.runs = executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) -> Status {
        Status outcome;
        for (const auto& item : items[index]) {
            auto status = clear_on(shell, *item.backup, *item.entry);
            per_node[index].push_back(
                {item.backup->tag, shell.node().host, status ? std::nullopt : std::optional(status.error())});
            if (!status && outcome) {
                outcome = status; // the first failure is the node's; the other backups are still tried
            }
        }
        return outcome;
    });
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        // Never reached, or its session broke: what was not tried failed with the node.
        for (std::size_t t = per_node[i].size(); t < items[i].size(); ++t) {
            per_node[i].push_back({items[i][t].backup->tag, nodes[i].host,
                                   result.runs[i].error.value_or(make_error(ErrorKind::interrupted, "not reached"))});
        }
        result.clears.insert(result.clears.end(), per_node[i].begin(), per_node[i].end());
    }
    return result;
}

} // namespace

Result<ClearResult> clear_backups(Executor& executor, const std::vector<Node>& selected,
                                  const std::vector<Manifest>& backups)
{
    auto assignment = assign_clears(selected, backups);
    if (!assignment) {
        return assignment.error();
    }
    return run_assignment(executor, *assignment);
}

bool wholly_cleared(const ClearResult& result, const std::string& tag)
{
    return std::none_of(result.clears.begin(), result.clears.end(),
                        [&](const NodeClear& clear) { return clear.tag == tag && clear.error; });
}

namespace {

// Manifests the catalog cannot read might be incrementals of a chain, and an impossible chain
// (chain_problems) says nothing true about what depends on what: retention cannot decide with
// either. Clearing one backup by --tag stays possible: it is how an impossible chain is mended.
Status check_listing(const CatalogListing& listing, const RetentionRule& rule)
{
    if (rule.tag) {
        for (const auto& problem : listing.problems) {
            if (problem.path.stem() == *rule.tag) {
                return problem.error; // the backup asked for is there, but cannot be read
            }
        }
    }
    if (rule.tag || rule.force) {
        return {};
    }
    if (!listing.problems.empty()) {
        const auto& problem = listing.problems.front();
        return make_error(ErrorKind::catalog,
                          fmt::format("{}: without it, retention cannot tell which backups a chain needs; move it "
                                      "out of the catalog or pass --force",
                                      problem.error.message));
    }
    if (auto chains = chain_problems(listing); !chains.empty()) {
        return make_error(ErrorKind::catalog,
                          fmt::format("impossible chain: {}: {}; retention cannot tell which backups it needs: clear "
                                      "it with --tag, move its manifest out of the catalog, or pass --force",
                                      chains.front().tag, chains.front().problem));
    }
    return {};
}

Result<std::vector<Manifest>> load_all(const Catalog& catalog, const std::vector<ManifestSummary>& backups)
{
    std::vector<Manifest> manifests;
    for (const auto& backup : backups) {
        auto manifest = catalog.load(backup.tag);
        if (!manifest) {
            return manifest.error();
        }
        manifests.push_back(std::move(*manifest));
    }
    return manifests;
}

// What a clear with --archive reaches the archive with.
struct ArchiveAccess
{
    Executor& executor;
    const std::vector<Node>& nodes;
    RcloneConfigs configs;
};

// Records in the catalog that the backup is off the nodes, so its manifest now only stands for
// the archive's copy.
Status mark_cleared(const Catalog& catalog, Manifest& backup)
{
    if (backup.cleared_at) {
        return {};
    }
    backup.cleared_at = now_utc();
    auto saved = catalog.save(backup, SaveMode::replace);
    return saved ? Status{} : Status(saved.error());
}

// Once a backup is off the nodes: with --archive its manifest leaves the archive, then the
// catalog; without, an archived backup's manifest stays, marked cleared_at.
void settle_manifest(const Catalog& catalog, Manifest backup, const ArchiveAccess* archive, Removal& removal)
{
    if (archive && backup.archive) {
        if (auto gone = unarchive_manifest(archive->executor, archive->nodes, archive->configs, backup); !gone) {
            removal.note = gone.error().message;
            (void)mark_cleared(catalog, backup); // the nodes' part is done either way
            return;
        }
        removal.unarchived = true;
    } else if (!archive && in_archive(summary_of(backup))) {
        auto marked = mark_cleared(catalog, backup);
        removal.kept_in_archive = static_cast<bool>(marked);
        if (!marked) {
            removal.note = marked.error().message;
        }
        return;
    }
    auto removed = catalog.remove(backup.tag);
    removal.removed = static_cast<bool>(removed);
    if (!removed) {
        removal.note = removed.error().message;
    }
}

std::vector<Removal> remove_cleared(const Catalog& catalog, const std::vector<Manifest>& backups,
                                    const ClearResult& result, bool force, const ArchiveAccess* archive)
{
    std::vector<Removal> removals;
    for (const auto& backup : backups) {
        Removal removal;
        removal.tag = backup.tag;
        for (const auto& clear : result.clears) {
            if (clear.tag == backup.tag) {
                ++removal.nodes;
                removal.cleared += clear.error ? 0 : 1;
                if (clear.error && removal.note.empty()) {
                    removal.note = fmt::format("{}: {}", clear.host, describe(*clear.error));
                }
            }
        }
        if (backup.cleared_at || wholly_cleared(result, backup.tag) || force) {
            settle_manifest(catalog, backup, archive, removal);
        }
        removals.push_back(std::move(removal));
    }
    return removals;
}

RunStatus status_of(const std::vector<Removal>& removals, const std::vector<ArchiveSweep>& sweeps)
{
    if (cancel_requested()) {
        return RunStatus::interrupted;
    }
    auto settled = std::count_if(removals.begin(), removals.end(),
                                 [](const Removal& r) { return r.removed || r.kept_in_archive; });
    auto whole = std::all_of(removals.begin(), removals.end(), [](const Removal& r) { return r.cleared == r.nodes; });
    auto swept = std::none_of(sweeps.begin(), sweeps.end(), [](const ArchiveSweep& s) { return s.error; });
    if (settled == static_cast<long>(removals.size()) && whole && swept) {
        return RunStatus::ok;
    }
    auto some = std::any_of(removals.begin(), removals.end(), [](const Removal& r) { return r.cleared > 0; });
    return settled > 0 || some ? RunStatus::partial : RunStatus::failed;
}

// The backups that still have something on the nodes.
std::vector<Manifest> on_nodes(const std::vector<Manifest>& backups)
{
    std::vector<Manifest> left;
    std::copy_if(backups.begin(), backups.end(), std::back_inserter(left),
                 [](const Manifest& backup) { return !backup.cleared_at; });
    return left;
}

} // namespace

Result<ClearOutcome> run_clear(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                               const RetentionRule& rule, bool dry_run, Observer& observer)
{
    auto lock = lock_unless_dry_run(catalog, "ringsnap clear", dry_run);
    if (!lock) {
        return lock.error();
    }
    std::optional<ArchiveAccess> archive;
    if (rule.archive) {
        if (auto ready = check_archive_ready(nodes); !ready) {
            return ready.error();
        }
        auto configs = read_rclone_configs(nodes);
        if (!configs) {
            return configs.error();
        }
        archive.emplace(ArchiveAccess{executor, nodes, std::move(*configs)});
    }
    auto listing = catalog.list();
    if (!listing) {
        return listing.error();
    }
    if (auto readable = check_listing(*listing, rule); !readable) {
        return readable.error();
    }
    auto plan = plan_clear(listing->manifests, rule, now_utc());
    if (!plan) {
        return plan.error();
    }
    auto backups = load_all(catalog, plan->to_clear);
    if (!backups) {
        return backups.error();
    }
    ClearOutcome outcome;
    outcome.plan = std::move(*plan);
    outcome.backups = std::move(*backups);
    // Before the dry run returns: it plans nothing from a manifest that a real run refuses.
    auto still_on_nodes = on_nodes(outcome.backups); // the assignment points into it
    auto assignment = assign_clears(nodes, still_on_nodes);
    if (!assignment) {
        return assignment.error();
    }
    if (dry_run || (outcome.backups.empty() && !archive)) {
        return outcome;
    }
    if (!assignment->nodes.empty()) {
        Phase phase(observer, "clear", nodes);
        outcome.result = run_assignment(executor, *assignment);
    }
    outcome.removals =
        remove_cleared(catalog, outcome.backups, outcome.result, rule.force, archive ? &*archive : nullptr);
    if (archive) {
        outcome.sweeps = sweep_archive(executor, catalog, nodes, archive->configs);
    }
    outcome.status = status_of(outcome.removals, outcome.sweeps);
    return outcome;
}

} // namespace ringsnap::ops
