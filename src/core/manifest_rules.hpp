// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the values of a manifest must look like (docs/manifest.md, "Validation"). A manifest is
// untrusted input: it may come from an archive or be edited by hand, and its names end up in
// paths and in commands run on the nodes. The reader (manifest_reader.cpp) holds every document
// to these rules, so code that has a Manifest from read_manifest or manifest_from_json can rely
// on them without checking again.
//
// Each check returns what the value should have been ("expected 64 lowercase hex digits"), for a
// message that goes on with the value itself (shown()), or nothing when the value keeps the rule.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <ringsnap/shell.hpp>

namespace ringsnap::manifest_rules {

using Problem = std::optional<std::string>;

// cluster, tag, base, parent: validate_tag's rule (they name catalog directories and files).
Problem check_backup_name(std::string_view value);

// keyspace, table: validate_cql_identifier's rule, [A-Za-z0-9_]{1,48}.
Problem check_cql_name(std::string_view value);

// table_id: 32 lowercase hex digits, or empty for a table directory of the pre-2.1 layout
// (`<keyspace>/<table>`, no id), which Cassandra still uses when it exists.
Problem check_table_id(std::string_view value);

// directory: an absolute path without empty, "." or ".." components, NUL or newline, ending in
// "/<keyspace>/<table>-<table_id>" ("/<keyspace>/<table>" when table_id is empty). Which data
// directory it starts with is checked where the cluster file is known, not here.
Problem check_table_directory(std::string_view directory, std::string_view keyspace, std::string_view table,
                              std::string_view table_id);

// A file's name, relative to its table's snapshot or backups directory: "<file>" or
// ".<index>/<file>"; no empty, "." or ".." components, no NUL, newline or tab, each component at
// most 255 bytes.
Problem check_file_name(std::string_view value);

// sha256: 64 lowercase hex digits (what sha256sum prints).
Problem check_sha256(std::string_view value);

// host: 1 to 255 bytes, no whitespace or control characters.
Problem check_host(std::string_view value);

// datacenter, rack: no control characters (they may be empty).
Problem check_label(std::string_view value);

// host_id: a UUID, 8-4-4-4-12 hex digits.
Problem check_host_id(std::string_view value);

// A token as nodetool prints it: a decimal integer, maybe negative, of at most 39 digits
// (Murmur3Partitioner's are 64-bit, RandomPartitioner's go up to 2^127).
Problem check_token(std::string_view value);

// The longest a value is shown in a message, quotes and escapes included.
inline constexpr std::size_t k_shown_chars = 80;

// `value` for a message: quote_for_message, cut at a character boundary to stay within
// k_shown_chars, with the full length after a cut one: "aaaa"... (4096 bytes).
std::string shown(std::string_view value);

} // namespace ringsnap::manifest_rules
