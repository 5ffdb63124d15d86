// SPDX-License-Identifier: Apache-2.0
#pragma once

// SSTable file names and which Cassandra versions read which SSTable formats. A name is
// `<version>-<id>-<format>-<Component>`: "nb-12-big-Data.db", or with a UUID-based id (4.1+)
// "nb-3g1m_0nuf_3vj5m2k1125165rxa7-big-Data.db". A node that cannot read a version does not
// refuse it on import: it skips it silently (exit 0, nothing loaded), so a restore must check
// before it starts.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <ringsnap/nodetool.hpp>

namespace ringsnap {

struct SSTableName
{
    std::string version;   // "nb"
    std::string id;        // "12", or a 28-character UUID-based id
    std::string format;    // "big" or "bti"
    std::string component; // "Data.db"

    std::string prefix() const { return version + "-" + id + "-" + format; }
    std::string file_name() const { return prefix() + "-" + component; }
    // The sequence number, or nothing for a UUID-based id.
    std::optional<std::uint64_t> generation() const;
};

// The parts of an SSTable component's file name; nothing for any other file (manifest.json,
// schema.cql, a transaction log).
std::optional<SSTableName> parse_sstable_name(std::string_view file_name);

// Whether a node of `node_version` reads SSTables written in `sstable_version` of `format`.
// `storage_compatibility_mode` is 5.0's cassandra.yaml setting (CASSANDRA_4 by default, in which
// 5.0 neither writes nor reads `oa`); it is ignored for older nodes. Rules of BigFormat and
// BtiFormat.isCompatible: a version no older than the oldest the node reads, of a major letter
// no newer than its own.
bool can_read_sstable(const CassandraVersion& node_version, std::string_view storage_compatibility_mode,
                      std::string_view sstable_version, std::string_view format);

} // namespace ringsnap
