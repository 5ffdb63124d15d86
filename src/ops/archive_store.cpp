// SPDX-License-Identifier: Apache-2.0
#include "ops/archive_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <ringsnap/manifest_json.hpp>

#include "ops/archive_steps.hpp"

namespace ringsnap::ops {

namespace steps = archive_steps;

namespace {

// An intent or a sweep mark older than this belongs to a run that died: it no longer blocks.
constexpr auto k_mark_lifetime = std::chrono::hours(24);

std::string operator_host()
{
    char name[256] = {};
    return ::gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("unknown");
}

// Who writes a mark, so that the one it stops can say who to wait for.
nlohmann::json mark(const std::string& what)
{
    return nlohmann::json{{"what", what},
                          {"host", operator_host()},
                          {"pid", static_cast<long>(::getpid())},
                          {"started_at", format_timestamp(now_utc())}};
}

std::string describe_mark(const std::string& document)
{
    auto json = nlohmann::json::parse(document, nullptr, false);
    if (!json.is_object()) {
        return "an unreadable mark";
    }
    return fmt::format("{} by pid {} on {} since {}", json.value("what", "a run"), json.value("pid", 0L),
                       json.value("host", "?"), json.value("started_at", "?"));
}

bool is_document(const std::string& name)
{
    return name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0 && name.find('/') == std::string::npos;
}

// "9f/9f86...": a blob under its name, as a listing of blobs/ shows it. Anything else found
// there is not ringsnap's, and a sweep leaves it alone.
bool is_blob(const std::string& listed)
{
    constexpr std::size_t k_sha_length = 64;
    if (listed.size() != 3 + k_sha_length || listed[2] != '/' || listed.compare(0, 2, listed, 3, 2) != 0) {
        return false;
    }
    return std::all_of(listed.begin() + 3, listed.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string sha_of(const std::string& blob_path)
{
    return blob_path.substr(blob_path.rfind('/') + 1);
}

} // namespace

std::map<std::string, std::vector<Node>> reachers_by_root(const std::vector<Node>& nodes, const std::string& cluster)
{
    std::map<std::string, std::vector<Node>> roots;
    for (const auto& node : nodes) {
        if (node.archived()) {
            roots[steps::archive_root(node, cluster)].push_back(node);
        }
    }
    return roots;
}

Result<CommandOutput> ArchiveStore::run(const std::string& step, const std::function<std::string(const Node&)>& command,
                                        const std::string& payload)
{
    std::optional<Error> last;
    for (const auto& node : m_reachers) {
        std::optional<CommandOutput> output;
        auto runs = m_executor->run_on_nodes({node}, [&](RemoteShell& shell, std::size_t) -> Status {
            auto ran = shell.run_with_input(
                step, command(node), steps::rclone_input(rclone_config_of(*m_configs, node), payload), std::nullopt);
            if (!ran) {
                return ran.error();
            }
            output = std::move(*ran);
            return {};
        });
        if (output) {
            if (!output->succeeded()) {
                return make_error(ErrorKind::command,
                                  fmt::format("{} on {}: {}", step, node.host,
                                              steps::describe_failure(output->exit_status, output->err)));
            }
            return std::move(*output);
        }
        last = runs.front().error.value_or(make_error(ErrorKind::connect, "did not run"));
        if (runs.front().started && last->kind != ErrorKind::connect) {
            break; // it ran and failed: another node would not do better
        }
    }
    return make_error(
        last ? last->kind : ErrorKind::usage,
        fmt::format("{}: no node using archive {} could run it{}", step, m_root, last ? ": " + last->message : ""));
}

Status ArchiveStore::put(const std::string& path, const std::string& content)
{
    auto ran = run(
        "rclone rcat " + path, [&](const Node& node) { return steps::put_command(node, m_root, path); }, content);
    if (!ran) {
        return ran.error();
    }
    return {};
}

Result<std::string> ArchiveStore::cat(const std::string& path)
{
    auto ran = run(
        "rclone cat " + path, [&](const Node& node) { return steps::cat_command(node, m_root, path); }, "");
    if (!ran) {
        return ran.error();
    }
    return ran->out;
}

Result<std::map<std::string, std::uint64_t>> ArchiveStore::list(const std::string& dir)
{
    auto ran = run(
        "rclone lsf " + dir, [&](const Node& node) { return steps::list_command(node, m_root, dir); }, "");
    if (!ran) {
        return ran.error();
    }
    return steps::parse_listing(ran->out);
}

Status ArchiveStore::remove(const std::vector<std::string>& paths)
{
    if (paths.empty()) {
        return {};
    }
    std::string payload;
    for (const auto& path : paths) {
        payload += path + "\n";
    }
    auto ran = run(
        "rclone delete", [&](const Node& node) { return steps::delete_command(node, m_root); }, payload);
    if (!ran) {
        return ran.error();
    }
    return {};
}

Result<std::vector<std::string>> ArchiveStore::fresh(const std::string& dir)
{
    auto listed = list(dir);
    if (!listed) {
        return listed.error();
    }
    std::vector<std::string> documents;
    for (const auto& [name, size] : *listed) {
        if (!is_document(name)) {
            continue; // a temporary name left by a writer that died
        }
        auto document = cat(dir + "/" + name);
        if (!document) {
            continue; // gone meanwhile
        }
        auto json = nlohmann::json::parse(*document, nullptr, false);
        auto started = parse_timestamp(json.is_object() ? json.value("started_at", "") : "");
        if (!started || now_utc() - *started < k_mark_lifetime) {
            documents.push_back(std::move(*document)); // unreadable marks count: better wait than lose data
        }
    }
    return documents;
}

Status ArchiveStore::begin_backup(const std::string& tag, const std::map<std::string, std::uint64_t>& blobs)
{
    auto intent = mark("archiving " + tag);
    intent["tag"] = tag;
    auto& list = intent["blobs"] = nlohmann::json::array();
    for (const auto& [sha, size] : blobs) {
        list.push_back(sha);
    }
    if (auto put_intent = put(steps::pending_path(tag), intent.dump() + "\n"); !put_intent) {
        return put_intent;
    }
    auto sweeps = fresh("locks");
    if (!sweeps || !sweeps->empty()) {
        end_backup(tag);
        return make_error(ErrorKind::usage,
                          sweeps ? fmt::format("{}: a sweep of the archive is running ({}); run `ringsnap archive "
                                               "{}` once it is done",
                                               m_root, describe_mark(sweeps->front()), tag)
                                 : sweeps.error().message);
    }
    return {};
}

void ArchiveStore::end_backup(const std::string& tag)
{
    (void)remove({steps::pending_path(tag)});
}

Status ArchiveStore::begin_sweep()
{
    if (auto put_mark = put(steps::k_sweep_marker, mark("a sweep").dump() + "\n"); !put_mark) {
        return put_mark;
    }
    auto intents = fresh("pending");
    if (!intents || !intents->empty()) {
        end_sweep();
        return make_error(ErrorKind::usage,
                          intents ? fmt::format("{}: a backup is being archived ({}); sweep again once it is done",
                                                m_root, describe_mark(intents->front()))
                                  : intents.error().message);
    }
    return {};
}

void ArchiveStore::end_sweep()
{
    (void)remove({steps::k_sweep_marker});
}

Result<std::set<std::string>> ArchiveStore::pending_blobs()
{
    auto intents = fresh("pending");
    if (!intents) {
        return intents.error();
    }
    std::set<std::string> blobs;
    for (const auto& document : *intents) {
        auto json = nlohmann::json::parse(document, nullptr, false);
        if (json.is_object() && json.contains("blobs") && json["blobs"].is_array()) {
            for (const auto& sha : json["blobs"]) {
                if (sha.is_string()) {
                    blobs.insert(sha.get<std::string>());
                }
            }
        }
    }
    return blobs;
}

Result<std::map<std::string, std::uint64_t>> ArchiveStore::sizes(const std::map<std::string, std::uint64_t>& blobs)
{
    std::string payload;
    for (const auto& [sha, size] : blobs) {
        payload += steps::blob_path(sha) + "\n";
    }
    auto ran = run(
        "rclone lsjson (check)", [&](const Node& node) { return steps::stat_command(node, m_root); }, payload);
    if (!ran) {
        return ran.error();
    }
    return steps::parse_sizes(ran->out);
}

Result<std::map<std::string, std::uint64_t>> ArchiveStore::all_blobs()
{
    auto listed = list("blobs");
    if (!listed) {
        return listed.error();
    }
    std::map<std::string, std::uint64_t> blobs;
    for (const auto& [path, size] : *listed) {
        if (is_blob(path)) {
            blobs[sha_of(path)] = size;
        }
    }
    return blobs;
}

Result<std::map<std::string, std::string>> ArchiveStore::hashes(const std::vector<std::string>& blobs)
{
    std::string payload;
    for (const auto& sha : blobs) {
        payload += steps::blob_path(sha) + "\n";
    }
    auto ran = run(
        "rclone hashsum sha256 --download", [&](const Node& node) { return steps::hash_command(node, m_root); },
        payload);
    if (!ran) {
        return ran.error();
    }
    auto read = steps::parse_hashes(ran->out);
    if (!read) {
        return read.error();
    }
    std::map<std::string, std::string> hashes;
    for (const auto& [path, hash] : *read) {
        hashes[sha_of(path)] = hash;
    }
    return hashes;
}

Status ArchiveStore::delete_blobs(const std::vector<std::string>& blobs)
{
    std::vector<std::string> paths;
    for (const auto& sha : blobs) {
        paths.push_back(steps::blob_path(sha));
    }
    return remove(paths);
}

Status ArchiveStore::put_manifest(const std::string& tag, const std::string& document)
{
    return put(steps::manifest_path(tag), document);
}

bool same_backup(const ManifestSummary& there, const Manifest& backup)
{
    return there.kind == backup.kind && there.started_at == backup.started_at;
}

Result<std::string> ArchiveStore::manifest(const std::string& tag)
{
    auto document = cat(steps::manifest_path(tag));
    if (document && document->empty()) {
        return make_error(ErrorKind::usage, fmt::format("{}: no manifest of {} in the archive", m_root, tag));
    }
    return document;
}

Result<std::optional<ManifestSummary>> ArchiveStore::manifest_summary(const std::string& tag)
{
    auto document = cat(steps::manifest_path(tag));
    if (!document) {
        return document.error();
    }
    if (document->empty()) {
        return std::optional<ManifestSummary>();
    }
    std::istringstream in(*document);
    auto summary = read_manifest_summary(in, fmt::format("manifests/{}.json in {}", tag, m_root));
    if (!summary) {
        return make_error(ErrorKind::parse, summary.error().message);
    }
    return std::optional(std::move(*summary));
}

Status ArchiveStore::delete_manifest(const std::string& tag)
{
    return remove({steps::manifest_path(tag)});
}

Result<std::vector<std::string>> ArchiveStore::manifest_tags()
{
    auto listed = list("manifests");
    if (!listed) {
        return listed.error();
    }
    std::vector<std::string> tags;
    for (const auto& [name, size] : *listed) {
        if (is_document(name)) {
            tags.push_back(name.substr(0, name.size() - 5));
        }
    }
    return tags;
}

} // namespace ringsnap::ops
