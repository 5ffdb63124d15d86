// SPDX-License-Identifier: Apache-2.0
// The archive's manifests against the catalog: removing one (`clear --archive`), the mark and
// sweep that then deletes the blobs no manifest references, and rebuilding the catalog from
// them (`ringsnap catalog sync`) when the operator host's catalog was lost.

#include <sstream>

#include <fmt/format.h>

#include <ringsnap/manifest_json.hpp>
#include <ringsnap/ops/archive.hpp>
#include <ringsnap/ops/backup_run.hpp>
#include <ringsnap/shell.hpp>

#include "ops/archive_store.hpp"

namespace ringsnap::ops {

namespace {

// The blobs `manifest`'s nodes were sent to `root` with.
void add_blobs(const Manifest& manifest, const std::string& root, std::set<std::string>& blobs)
{
    for (const auto& node : manifest.nodes) {
        if (node.archive && node.archive->remote == root) {
            for (const auto& table : node.tables) {
                for (const auto& file : table.files) {
                    blobs.insert(file.sha256);
                }
            }
        }
    }
}

Result<Manifest> read_archived_manifest(ArchiveStore& store, const std::string& tag)
{
    auto document = store.manifest(tag);
    if (!document) {
        return document.error();
    }
    std::istringstream in(*document);
    return read_manifest(in, fmt::format("manifests/{}.json in {}", tag, store.root()));
}

// Every blob a manifest still references in `root`: the catalog's (`catalog`, read once for
// every root), and those of the archive's manifests that no backup of the catalog archived to
// this root (written by another operator host, or before the catalog was lost: a tag alone does
// not make them the same backup); and every blob of a backup being archived.
Result<std::set<std::string>> marked_blobs(ArchiveStore& store, const CatalogBlobs& catalog)
{
    auto in_catalog = catalog.by_root.find(store.root());
    auto marked = in_catalog == catalog.by_root.end() ? std::set<std::string>{} : in_catalog->second;
    auto archived_here = catalog.tags_by_root.find(store.root());
    auto tags = store.manifest_tags();
    if (!tags) {
        return tags.error();
    }
    for (const auto& tag : *tags) {
        if (archived_here != catalog.tags_by_root.end() && archived_here->second.count(tag)) {
            continue; // the catalog's copy of this very document
        }
        auto manifest = read_archived_manifest(store, tag);
        if (!manifest) {
            return make_error(ErrorKind::catalog, fmt::format("manifests/{}.json in {} cannot be read, so what it "
                                                              "references cannot be told: {}",
                                                              tag, store.root(), manifest.error().message));
        }
        add_blobs(*manifest, store.root(), marked);
    }
    auto pending = store.pending_blobs();
    if (!pending) {
        return pending.error();
    }
    marked.insert(pending->begin(), pending->end());
    return marked;
}

ArchiveSweep sweep_root(ArchiveStore& store, const CatalogBlobs& catalog)
{
    ArchiveSweep sweep;
    sweep.root = store.root();
    if (auto marked_as_sweeping = store.begin_sweep(); !marked_as_sweeping) {
        sweep.error = marked_as_sweeping.error().message;
        return sweep;
    }
    auto marked = marked_blobs(store, catalog);
    auto stored = marked ? store.all_blobs() : Result<std::map<std::string, std::uint64_t>>(marked.error());
    if (!stored) {
        sweep.error = stored.error().message;
        store.end_sweep();
        return sweep;
    }
    std::vector<std::string> doomed;
    for (const auto& [sha, size] : *stored) {
        if (!marked->count(sha)) {
            doomed.push_back(sha);
            sweep.bytes_deleted += size;
        }
    }
    sweep.blobs = stored->size();
    sweep.kept = stored->size() - doomed.size();
    if (auto deleted = store.delete_blobs(doomed); !deleted) {
        sweep.error = deleted.error().message;
        sweep.bytes_deleted = 0;
    } else {
        sweep.deleted = doomed.size();
    }
    store.end_sweep();
    return sweep;
}

} // namespace

Status unarchive_manifest(Executor& executor, const std::vector<Node>& nodes, const RcloneConfigs& configs,
                          const Manifest& manifest)
{
    auto roots = reachers_by_root(nodes, manifest.cluster);
    for (const auto& root : manifest.archive ? manifest.archive->remotes : std::vector<std::string>{}) {
        auto reachers = roots.find(root);
        if (reachers == roots.end()) {
            return make_error(ErrorKind::usage, fmt::format("{} is in the archive {}, which no selected node uses any "
                                                            "more: its manifest there cannot be removed",
                                                            manifest.tag, root));
        }
        ArchiveStore store(executor, root, reachers->second, configs);
        auto there = store.manifest_summary(manifest.tag);
        if (!there && there.error().kind != ErrorKind::parse) {
            return there.error();
        }
        if (!there || !*there || !same_backup(**there, manifest)) {
            continue; // none there, or another backup's of the same tag: never removed for this one
        }
        if (auto removed = store.delete_manifest(manifest.tag); !removed) {
            return removed;
        }
    }
    return {};
}

std::vector<ArchiveSweep> sweep_archive(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                                        const RcloneConfigs& configs)
{
    // A manifest of the catalog that cannot be read might reference anything: nothing is swept.
    auto referenced = catalog_blobs(catalog, "", false);
    std::optional<std::string> unknown;
    if (!referenced) {
        unknown = referenced.error().message;
    } else if (referenced->unreadable) {
        unknown = fmt::format("{}: what it references cannot be told, so no blob is swept; move it out of the "
                              "catalog or mend it",
                              referenced->unreadable->message);
    }
    std::vector<ArchiveSweep> sweeps;
    for (const auto& [root, reachers] : reachers_by_root(nodes, catalog.cluster())) {
        if (unknown) {
            sweeps.push_back(ArchiveSweep{.root = root, .error = unknown});
            continue;
        }
        ArchiveStore store(executor, root, reachers, configs);
        sweeps.push_back(sweep_root(store, *referenced));
    }
    return sweeps;
}

namespace {

// Whether `manifest`, read from manifests/<tag>.json, may enter the catalog as <tag>.
Status fits_catalog(const Manifest& manifest, const std::string& tag, const Catalog& catalog)
{
    if (manifest.cluster != catalog.cluster()) {
        return make_error(ErrorKind::catalog,
                          fmt::format("it is a backup of cluster {}, not {}", manifest.cluster, catalog.cluster()));
    }
    if (manifest.tag != tag) {
        return make_error(ErrorKind::catalog, fmt::format("its manifest says tag {}", manifest.tag));
    }
    return {};
}

void sync_root(ArchiveStore& store, const Catalog& catalog, bool dry_run, CatalogSync& sync)
{
    auto tags = store.manifest_tags();
    if (!tags) {
        sync.problems.push_back(tags.error().message);
        return;
    }
    for (const auto& tag : *tags) {
        if (!validate_tag(tag)) {
            sync.problems.push_back(
                fmt::format("{}: manifests/{}.json: not a valid tag, left alone", store.root(), tag));
            continue;
        }
        if (catalog.exists(tag) || sync.added.count(tag)) {
            sync.present.insert(tag);
            continue;
        }
        auto manifest = read_archived_manifest(store, tag);
        Status fits = manifest ? fits_catalog(*manifest, tag, catalog) : Status(manifest.error());
        if (!fits) {
            sync.problems.push_back(fmt::format("{}: manifests/{}.json: {}", store.root(), tag, fits.error().message));
            continue;
        }
        if (dry_run) {
            sync.added.insert(tag);
        } else if (auto saved = catalog.save(*manifest); saved) {
            sync.added.insert(tag);
        } else {
            sync.problems.push_back(fmt::format("{}: {}", tag, saved.error().message));
        }
    }
}

} // namespace

Result<CatalogSync> sync_catalog(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                                 bool dry_run)
{
    auto lock = lock_unless_dry_run(catalog, "ringsnap catalog sync", dry_run);
    if (!lock) {
        return lock.error();
    }
    auto roots = reachers_by_root(nodes, catalog.cluster());
    if (roots.empty()) {
        return make_error(ErrorKind::usage, "no selected node has an archive: section in the cluster file: there "
                                            "is no archive to read manifests from");
    }
    auto configs = read_rclone_configs(nodes);
    if (!configs) {
        return configs.error();
    }
    CatalogSync sync;
    for (const auto& [root, reachers] : roots) {
        sync.roots.push_back(root);
        ArchiveStore store(executor, root, reachers, *configs);
        sync_root(store, catalog, dry_run, sync);
    }
    for (const auto& tag : sync.added) {
        sync.present.erase(tag);
    }
    bool read_any = !sync.added.empty() || !sync.present.empty();
    sync.status = sync.problems.empty() ? RunStatus::ok : read_any ? RunStatus::partial : RunStatus::failed;
    return sync;
}

} // namespace ringsnap::ops
