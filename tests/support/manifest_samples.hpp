// SPDX-License-Identifier: Apache-2.0
#pragma once

// Manifests for tests, and a temporary directory that cleans up after itself.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <ringsnap/manifest.hpp>
#include <ringsnap/timestamp.hpp>

namespace ringsnap::testing {

inline Timestamp at(const char* text)
{
    return *parse_timestamp(text);
}

// A file entry with a well-formed hash derived from `seed`.
inline FileEntry sample_file(const std::string& name, std::uint64_t size, int seed)
{
    std::string sha256(64, '0');
    auto hex = std::to_string(seed);
    sha256.replace(64 - hex.size(), hex.size(), hex);
    return FileEntry{name, size, sha256, 1000 + static_cast<std::uint64_t>(seed), 1763863203123456789LL + seed};
}

inline NodeEntry sample_node(const std::string& host, const std::string& datacenter, const char* snapshot_at)
{
    NodeEntry node;
    node.host = host;
    node.datacenter = datacenter;
    node.rack = "rack1";
    node.host_id = "6fd35c20-2c4f-4a8e-9b4e-1f3a5c7d9e01";
    node.cassandra_version = "4.1.6";
    node.tokens = {"-9101282835470127331", "3074457345618258602"};
    node.status = NodeStatus::ok;
    node.snapshot_at = at(snapshot_at);
    node.duration_ms = 3280;
    TableEntry table;
    table.keyspace = "billing";
    table.table = "invoices";
    table.table_id = "d132e240c21711e9bbee19821dcea330";
    table.directory = "/var/lib/cassandra/data/billing/invoices-d132e240c21711e9bbee19821dcea330";
    table.files = {sample_file("nb-1-big-Data.db", 1048576, 1), sample_file("nb-1-big-Index.db", 4096, 2),
                   sample_file(".invoices_by_customer/nb-1-big-Data.db", 512, 3)};
    table.cassandra_manifest = ManifestJson{{"files", {"nb-1-big-Data.db", "nb-1-big-Index.db"}},
                                            {"created_at", "2026-11-23T02:00:03.398Z"},
                                            {"expires_at", nullptr},
                                            {"ephemeral", false}};
    table.schema_cql =
        "CREATE TABLE IF NOT EXISTS billing.invoices (\n    id uuid PRIMARY KEY,\n    total decimal\n);\n";
    node.tables.push_back(table);
    return node;
}

inline NodeEntry failed_node(const std::string& host, const std::string& datacenter)
{
    NodeEntry node;
    node.host = host;
    node.datacenter = datacenter;
    node.status = NodeStatus::failed;
    node.error = "connect: connection refused";
    node.failed_step = "connect";
    return node;
}

// A finished snapshot manifest: three nodes in two data centers, one of them failed.
inline Manifest sample_manifest(const std::string& tag = "nightly-2026-11-23",
                                const char* started_at = "2026-11-23T02:00:00.120Z")
{
    Manifest manifest;
    manifest.cluster = "prod-main";
    manifest.tag = tag;
    manifest.started_at = at(started_at);
    manifest.finished_at = manifest.started_at + std::chrono::milliseconds(73911);
    manifest.selection.keyspaces = {"billing"};
    manifest.nodes = {sample_node("10.0.1.11", "dc1", "2026-11-23T02:00:03.400Z"),
                      sample_node("10.0.2.11", "dc2", "2026-11-23T02:00:04.950Z"), failed_node("10.0.1.12", "dc1")};
    manifest.totals.bytes_hashed = 512;
    finish_manifest(manifest);
    return manifest;
}

inline std::string read_text(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// A fresh directory under TMPDIR, removed with everything in it at the end of the test.
class TempDir
{
  public:
    TempDir()
    {
        auto pattern = (std::filesystem::temp_directory_path() / "ringsnap-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) {
            throw std::runtime_error("mkdtemp failed");
        }
        m_path = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir()
    {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    const std::filesystem::path& path() const { return m_path; }

  private:
    std::filesystem::path m_path;
};

} // namespace ringsnap::testing
