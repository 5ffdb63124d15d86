// SPDX-License-Identifier: Apache-2.0
// Manifest size check (issue 4: 32 nodes x 10,000 files written in under 1 s with under 100 MiB
// peak memory). Builds a synthetic manifest, then does one thing with it and prints the time
// and the peak resident memory of the process, so each mode is measured in a process of its own:
//
//   ringsnap_manifest_bench build   DIR   only build the in-memory manifest (the baseline)
//   ringsnap_manifest_bench save    DIR   build, then Catalog::save (streamed, fsync'd, renamed)
//   ringsnap_manifest_bench stream  DIR   build, then write_manifest to DIR/streamed.json (no fsync)
//   ringsnap_manifest_bench to_json DIR   build, then to_json(...).dump() (the whole-tree way)
//   ringsnap_manifest_bench load    DIR   Catalog::load of the manifest `save` left in DIR
//   ringsnap_manifest_bench list    DIR   Catalog::list of DIR (summaries only)
//   ringsnap_manifest_bench index   DIR   load, then a HashIndex of it
//
// Options after DIR: nodes (32) and files per node (10000).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <sys/resource.h>

#include <ringsnap/catalog.hpp>
#include <ringsnap/hash_index.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/manifest_json.hpp>
#include <ringsnap/timestamp.hpp>

namespace {

using ringsnap::Manifest;

const char* const k_components[] = {"Data.db",    "Index.db",     "Filter.db", "Statistics.db",
                                    "Summary.db", "Digest.crc32", "TOC.txt",   "CompressionInfo.db"};

std::string fake_sha256(std::uint64_t seed)
{
    return fmt::format("{:016x}{:016x}{:016x}{:016x}", seed * 0x9e3779b97f4a7c15ULL, seed ^ 0xabcdefULL, seed * 31 + 7,
                       ~seed);
}

ringsnap::NodeEntry fake_node(int index, int files_per_node)
{
    ringsnap::NodeEntry node;
    node.host = fmt::format("10.0.{}.{}", index / 16, 11 + index % 16);
    node.datacenter = index % 2 ? "dc2" : "dc1";
    node.rack = "rack1";
    node.host_id = fmt::format("6fd35c20-0000-4000-8000-{:012x}", index);
    node.cassandra_version = "4.1.6";
    for (int t = 0; t < 16; ++t) {
        node.tokens.push_back(std::to_string(-9101000000000000000LL + index * 1000003LL + t * 5000000000000000LL));
    }
    node.status = ringsnap::NodeStatus::ok;
    node.snapshot_at = ringsnap::now_utc();
    int tables = 100;
    for (int t = 0; t < tables; ++t) {
        ringsnap::TableEntry table;
        table.keyspace = fmt::format("keyspace_{}", t / 10);
        table.table = fmt::format("table_{}", t);
        table.table_id = fmt::format("{:032x}", t + 1);
        table.directory = fmt::format("/var/lib/cassandra/data/{}/{}-{}", table.keyspace, table.table, table.table_id);
        table.schema_cql =
            fmt::format("CREATE TABLE IF NOT EXISTS {}.{} (id uuid PRIMARY KEY, v text);", table.keyspace, table.table);
        for (int f = 0; f < files_per_node / tables; ++f) {
            std::uint64_t seed = static_cast<std::uint64_t>(index) * 1000003ULL + t * 10007ULL + f;
            table.files.push_back(ringsnap::FileEntry{fmt::format("nb-{}-big-{}", 1000 + f / 8, k_components[f % 8]),
                                                      4096 + seed % 100000000, fake_sha256(seed), 5000000 + seed,
                                                      1763863203123456789LL + static_cast<std::int64_t>(seed)});
        }
        node.tables.push_back(std::move(table));
    }
    return node;
}

Manifest fake_manifest(int nodes, int files_per_node)
{
    Manifest manifest;
    manifest.cluster = "bench";
    manifest.tag = "bench-manifest";
    manifest.started_at = ringsnap::now_utc();
    manifest.finished_at = manifest.started_at;
    for (int i = 0; i < nodes; ++i) {
        manifest.nodes.push_back(fake_node(i, files_per_node));
    }
    manifest.totals.bytes_hashed = 1;
    ringsnap::finish_manifest(manifest);
    return manifest;
}

double peak_mib()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0; // ru_maxrss is in KiB on Linux
}

template <class F> double seconds_of(F&& work)
{
    auto start = std::chrono::steady_clock::now();
    work();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

[[noreturn]] void die(const ringsnap::Error& error)
{
    fmt::print(stderr, "{}\n", error.message);
    std::exit(1);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 3) {
        fmt::print(stderr, "usage: {} build|save|to_json|load|list|index DIR [NODES [FILES_PER_NODE]]\n", argv[0]);
        return 2;
    }
    std::string mode = argv[1];
    int nodes = argc > 3 ? std::atoi(argv[3]) : 32;
    int files = argc > 4 ? std::atoi(argv[4]) : 10000;
    auto catalog = ringsnap::Catalog::open(argv[2], "bench");
    if (!catalog) {
        die(catalog.error());
    }
    double build_s = 0;
    double work_s = 0;
    if (mode == "build" || mode == "save" || mode == "to_json" || mode == "stream") {
        Manifest manifest;
        build_s = seconds_of([&] { manifest = fake_manifest(nodes, files); });
        fmt::print("built {} nodes x {} files: {:.3f} s, peak {:.1f} MiB\n", nodes, files, build_s, peak_mib());
        if (mode == "save") {
            work_s = seconds_of([&] {
                auto saved = catalog->save(manifest, ringsnap::SaveMode::replace);
                if (!saved) {
                    die(saved.error());
                }
            });
        }
        if (mode == "stream") {
            std::ofstream out(std::string(argv[2]) + "/streamed.json");
            work_s = seconds_of([&] {
                ringsnap::write_manifest(out, manifest);
                out.flush();
            });
        }
        if (mode == "to_json") {
            work_s = seconds_of([&] { std::fwrite(ringsnap::to_json(manifest).dump().data(), 1, 1, stdout); });
        }
    }
    if (mode == "load" || mode == "index") {
        work_s = seconds_of([&] {
            auto manifest = catalog->load("bench-manifest");
            if (!manifest) {
                die(manifest.error());
            }
            if (mode == "index") {
                ringsnap::HashIndex index;
                index.add(*manifest);
                fmt::print("index of {} files\n", index.size());
            }
        });
    }
    if (mode == "list") {
        work_s = seconds_of([&] {
            auto listing = catalog->list();
            if (!listing) {
                die(listing.error());
            }
        });
    }
    fmt::print("{}: {:.3f} s, peak {:.1f} MiB\n", mode, work_s, peak_mib());
    return 0;
}
