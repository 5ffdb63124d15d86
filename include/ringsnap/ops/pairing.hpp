// SPDX-License-Identifier: Apache-2.0
#pragma once

// Which node of the cluster holds the part of a backup that a manifest's node entry recorded.
// The name ssh connects to is the weakest link between them: it can change (new DNS, a node
// replaced on another address) while Cassandra's identity stays. So entries are paired with
// nodes by Cassandra host id first, then by identical tokens (a node replaced with
// replace_address keeps the tokens under a new host id), then by host name; every difference
// between what was recorded and what the node says now is reported.

#include <optional>
#include <string>
#include <vector>

#include <ringsnap/cluster.hpp>
#include <ringsnap/host_map.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/result.hpp>

namespace ringsnap::ops {

// Who a node says it is now (from a survey); absent when it was not asked or did not answer.
struct NodeIdentity
{
    std::string host_id;
    std::vector<std::string> tokens;
};

enum class PairedBy { host_id, tokens, host, host_map };
const char* to_string(PairedBy by);

struct NodePair
{
    std::size_t entry = 0; // index in the entries given
    std::size_t node = 0;  // index in the nodes given
    PairedBy by = PairedBy::host;
    bool tokens_differ = false; // the node's tokens are known and are not the recorded ones
    std::string note;           // what differs, for the operator ("" when nothing does)
};

struct Pairing
{
    std::vector<NodePair> pairs;                // in the order of the entries
    std::vector<std::size_t> unmatched_entries; // entries no node matches
    std::vector<std::size_t> unmatched_nodes;   // nodes no entry matches

    const NodePair* for_entry(std::size_t entry) const;
    const NodePair* for_node(std::size_t node) const;
};

// Pairs every node entry of `manifest` with at most one node and every node with at most one
// entry. `identities` is empty (nothing known: host names only) or has one element per node.
// A manifest is untrusted input and its table directories end up in commands run on the nodes:
// an entry paired with a node must have recorded every table in one of that node's data_dirs,
// or the whole manifest is refused (ErrorKind::catalog), naming it, the node and the directory.
Result<Pairing> pair_entries(const Manifest& manifest, const std::vector<Node>& nodes,
                             const std::vector<std::optional<NodeIdentity>>& identities = {});

// A backup restored into the nodes of another cluster of the same shape (--host-map): each entry
// the map names is paired with the node it maps it to (PairedBy::host_map); entries it leaves
// out are unmatched. ErrorKind::usage when the map names a host the backup does not hold or a
// target no node is. Each paired entry's table directories are moved into the node's data_dirs
// (relocate_entry), so the recorded ones need not exist there.
Result<Pairing> pair_by_host_map(const Manifest& manifest, const std::vector<Node>& nodes,
                                 const std::vector<std::optional<NodeIdentity>>& identities, const HostMap& map);

// The entry as the node it is restored into will hold it: every table directory
// `<dir>/<keyspace>/<table>-<id>` becomes `<data_dir>/<keyspace>/<table>-<id>`, the entry's
// i-th distinct data directory going to the node's i-th (round robin when it has fewer).
// ErrorKind::catalog when a recorded directory is not of that shape.
Result<NodeEntry> relocate_entry(const NodeEntry& entry, const Node& node);

// Which of the node's configured data directories a recorded table directory is in: the
// directory must be exactly `<data_dir>/<keyspace>/<table>-<table_id>`.
std::optional<std::size_t> data_dir_of(const Node& node, const TableEntry& table);

// Whether two token lists hold the same tokens, whatever their order.
bool same_tokens(const std::vector<std::string>& a, const std::vector<std::string>& b);

} // namespace ringsnap::ops
