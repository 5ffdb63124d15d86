// SPDX-License-Identifier: Apache-2.0
#pragma once

// The manifest as JSON (docs/manifest.md, docs/manifest.schema.json): building and writing the
// document (manifest_writer.cpp), reading it back (manifest_reader.cpp). A manifest of a large
// cluster holds hundreds of thousands of file entries, so text is written and read one node at
// a time rather than through one JSON tree of the whole document.

#include <iosfwd>
#include <string_view>

#include <ringsnap/manifest.hpp>
#include <ringsnap/result.hpp>

namespace ringsnap {

// --- Writing (manifest_writer.cpp) ---

// The whole document as JSON, keys in the documented order. Fine for tests and small manifests;
// to write a large one, write_manifest streams it node by node.
ManifestJson to_json(const Manifest& manifest);

// Writes the document as text: two-space indentation, each file entry on one line, "nodes" last.
// Only one node is held as JSON at a time, so memory stays near the size of `manifest` itself.
// Stream errors are left in the stream's state for the caller to check. Text that is not valid
// UTF-8 (a strange file name) is written with U+FFFD in place of the bad bytes.
void write_manifest(std::ostream& out, const Manifest& manifest);

// --- Reading (manifest_reader.cpp) ---

// Reads a manifest document. ErrorKind::parse with the JSON path of the offending key
// ("nodes[2].tables[0].files[7].size: expected a non-negative integer") when a required key is
// missing or has the wrong type; when a value breaks a rule of docs/manifest.md, "Validation"
// (a file name with "..", a keyspace that is not a Cassandra name, a file listed twice: the
// message then shows the value, quoted and cut to 80 characters); when `format` is not
// "ringsnap-manifest"; when format_version is newer than this build reads. Optional keys may be
// absent or null; unknown keys are ignored. A manifest read is one that keeps every rule.
[[nodiscard]] Result<Manifest> manifest_from_json(const ManifestJson& json);

// Reads a document written by write_manifest (or any JSON text of the format), node by node, so
// that the JSON of only one node is in memory at a time. `source` names the text in messages
// (a file path). ErrorKind::parse as for manifest_from_json, and for text that is not JSON.
[[nodiscard]] Result<Manifest> read_manifest(std::istream& in, std::string_view source);

// The summary of a manifest document without reading its nodes: parsing stops at "nodes" when
// the keys before it (as write_manifest orders them) hold everything, so listing a catalog of
// large manifests reads only their first lines. A document that puts its header keys after
// "nodes", or has no "totals", is read whole (the stream must then be seekable). Errors as for
// read_manifest; the header's values (cluster, tag, base, parent, ...) are held to the same rules.
[[nodiscard]] Result<ManifestSummary> read_manifest_summary(std::istream& in, std::string_view source);

} // namespace ringsnap
