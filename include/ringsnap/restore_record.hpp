// SPDX-License-Identifier: Apache-2.0
#pragma once

// The restore record: what a restore was asked to do, from which backups, where and how, and
// how far it got on each node and table. Written to the catalog when the restore starts and
// rewritten (atomically) as each node passes a phase, so that an interrupted restore can be
// resumed and every restore leaves an account of itself (`ringsnap list --restores`).
//
//   <catalog>/<cluster>/restores/<id>.json

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ringsnap/manifest.hpp>
#include <ringsnap/result.hpp>

namespace ringsnap {

inline constexpr const char* k_restore_format = "ringsnap-restore";
inline constexpr int k_restore_format_version = 1;

// How far one table got on one node. The order is the order of the phases.
enum class TableState { planned, staged, verified, loading, loaded, failed };
const char* to_string(TableState state);

struct RestoreTable
{
    std::string keyspace;
    std::string table;
    TableState state = TableState::planned;
    std::uint64_t files = 0;    // component files staged
    std::uint64_t sstables = 0; // of which Data.db
    std::uint64_t bytes = 0;
    std::optional<std::string> error;
    std::optional<std::int64_t> load_ms; // how long its import / refresh took

    bool operator==(const RestoreTable&) const = default;
};

// How far a node got in a restore by restart. The order is the order of the steps
// (`quarantining`: its live files may be partly moved aside). `undone`: `--undo` put the files
// it replaced back; a rerun of the restore starts it over.
enum class RestartStep { none, stopped, quarantining, quarantined, placed, started, undone };
const char* to_string(RestartStep step);

struct RestoreNode
{
    std::string host;
    std::string datacenter;
    std::string rack;
    std::string source_host;          // the manifest's node entry whose files it loads
    std::string host_id;              // the node's Cassandra host id when planned
    std::string version;              // the release it ran when planned
    std::string method;               // "import", "refresh" or "restart"
    std::vector<std::string> staging; // the staging directories, for the operator (never trusted back)
    bool cleaned = false;             // its staging was removed
    // restart only: the step reached, where the files it replaced wait (for the operator; undo
    // and cleanup recompute the paths), and whether they are gone (--cleanup).
    RestartStep restart = RestartStep::none;
    std::vector<std::string> quarantine;
    bool quarantine_removed = false;
    std::optional<std::string> error; // what stopped it
    std::vector<RestoreTable> tables;

    bool operator==(const RestoreNode&) const = default;
};

// `undone`: --undo put every node's files back; such a restore is not continued by a rerun.
enum class RestoreStatus { running, complete, partial, failed, interrupted, undone };
const char* to_string(RestoreStatus status);

// A table's rows read back after the restore (--count-rows): SELECT COUNT(*) at consistency ALL
// on the target, and with --compare-source on the source cluster too.
struct RowCount
{
    std::string table; // "ks.table"
    std::optional<std::uint64_t> target;
    std::optional<std::uint64_t> source;
    std::optional<std::string> error; // why a count could not be read

    bool operator==(const RowCount&) const = default;
    // Both counted, and different.
    bool differs() const { return target && source && *target != *source; }
};

struct RestoreRecord
{
    std::string id; // restore-<UTC time>, a valid tag
    std::string cluster;
    std::string tag;                  // what was asked for
    std::vector<std::string> backups; // the base, then the incrementals read, in order
    std::optional<Timestamp> until;
    std::string method;                          // as asked: auto, import, refresh, restart, sstableloader
    std::string target;                          // --target: the cluster loaded into ("": the same one)
    std::map<std::string, std::string> host_map; // --host-map: backup node's host -> target node's host
    bool rolling = false;                        // restart: one node at a time
    bool truncate = false;
    bool keep_truncate_snapshots = false;
    std::vector<std::string> keyspaces; // -k
    std::vector<std::string> tables;    // -t, "ks.table"
    std::vector<std::string> datacenters;
    std::vector<std::string> hosts;
    RestoreStatus status = RestoreStatus::running;
    Timestamp started_at{};
    std::optional<Timestamp> finished_at;
    std::vector<std::string> truncated; // "ks.table" emptied cluster-wide by this restore
    std::vector<std::string> created;   // "ks.table" created on the target from the backup's schema
    std::vector<RowCount> row_counts;
    std::vector<RestoreNode> nodes;

    bool operator==(const RestoreRecord&) const = default;

    RestoreNode* node(const std::string& host);
    const RestoreNode* node(const std::string& host) const;
    // Whether the same restore was asked: same backup, time, tables, method and truncation.
    bool same_request(const RestoreRecord& other) const;
};

nlohmann::ordered_json to_json(const RestoreRecord& record);

// ErrorKind::parse naming the key when the document is not a restore record of a version this
// build reads, or holds a name that is not valid (identifiers, tags, id).
[[nodiscard]] Result<RestoreRecord> restore_record_from_json(const nlohmann::ordered_json& json);

} // namespace ringsnap
