// SPDX-License-Identifier: Apache-2.0
#include "ops/archive_steps.hpp"

#include <regex>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <ringsnap/fields.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap::ops::archive_steps {

namespace {

constexpr const char* k_missing_marker = "ringsnap-missing ";

// The frame of every archive command (see the header): the config and the payload from stdin
// into a private directory, `rcl` = rclone with that config. AWS_CA_BUNDLE, set on many hosts,
// makes rclone 1.60's S3 backend fail at start-up, so rclone runs without it. No command ever
// creates a bucket (rclone's S3 writes do unless told not to): a misspelt one is an error.
std::string framed(const Node& node, const std::string& body)
{
    std::string script =
        fmt::format("umask 077; d=$(mktemp -d \"${{TMPDIR:-/tmp}}/ringsnap-rclone.XXXXXXXX\") || exit 70; "
                    "trap 'rm -rf -- \"$d\"' EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; "
                    "IFS= read -r n && head -c \"$n\" > \"$d/rclone.conf\" && cat > \"$d/input\" || exit 70; "
                    "rcl() {{ env -u AWS_CA_BUNDLE {} --config \"$d/rclone.conf\" --s3-no-check-bucket \"$@\"; }}; {}",
                    shell_quote(node.rclone()), body);
    return with_sudo(script, node.ssh.sudo);
}

// Flags of every transfer: bounded parallelism and bandwidth, rclone's own retries, one JSON
// log line per copied file, and no stats lines (the run reports its own).
std::string transfer_flags(const Node& node)
{
    std::string flags =
        fmt::format("--transfers {} --retries 3 --low-level-retries 10 --use-json-log -v --stats 0", node.transfers());
    if (node.archive.bwlimit) {
        flags += " --bwlimit " + shell_quote(*node.archive.bwlimit);
    }
    return flags;
}

// "<root>/<path>", quoted.
std::string at(const std::string& root, const std::string& path)
{
    return shell_quote(path.empty() ? root : root + "/" + path);
}

// The first two hex digits of a hash in $h, without a fork: "${h%"${h#??}"}".
constexpr const char* k_prefix_of_h = "${h%\"${h#??}\"}";

// `program` run by one perl process with `arguments` when the node has perl (Debian's perl-base
// always is there), else `fallback`: the same work in the shell, at the price of a process per
// file. Redirections written after it apply to either.
std::string perl_or_shell(const std::string& program, const std::string& arguments, const std::string& fallback)
{
    return "if command -v perl >/dev/null 2>&1; then perl -e '" + program + "' " + arguments + "; else " + fallback +
           "; fi";
}

} // namespace

std::string archive_root(const Node& node, const std::string& cluster)
{
    std::string remote = node.archive.remote.value_or("");
    if (!remote.empty() && remote.back() != '/' && remote.back() != ':') {
        remote += '/';
    }
    return remote + cluster;
}

std::string blob_path(const std::string& sha256)
{
    return fmt::format("blobs/{}/{}", sha256.substr(0, 2), sha256);
}

std::string manifest_path(const std::string& tag)
{
    return fmt::format("manifests/{}.json", tag);
}

std::string pending_path(const std::string& tag)
{
    return fmt::format("pending/{}.json", tag);
}

std::string rclone_input(const std::string& config, const std::string& payload)
{
    return fmt::format("{}\n{}{}", config.size(), config, payload);
}

std::string stage_blobs_script()
{
    static const std::string k_perl =
        "my $d = shift; my %made; while (my $line = <STDIN>) { chomp $line; my ($h, $p) = split / /, $line, 2; "
        "if (! -f $p) { print \"" +
        std::string(k_missing_marker) +
        "$p\\n\"; next; } "
        "my $t = \"$d/blobs/\" . substr($h, 0, 2); "
        "if (!$made{$t}++) { mkdir $t unless -d $t; -d $t or exit 70; } "
        "if (! -e \"$t/$h\") { symlink($p, \"$t/$h\") or exit 70; } "
        "print \"blobs/\" . substr($h, 0, 2) . \"/$h\\n\"; }";
    auto shell_loop = fmt::format("while read -r h p; do t=\"$d/blobs/{0}\"; "
                                  "if [ ! -f \"$p\" ]; then printf '{1}%s\\n' \"$p\"; continue; fi; "
                                  "[ -d \"$t\" ] || mkdir \"$t\" || exit 70; "
                                  "[ -e \"$t/$h\" ] || ln -s -- \"$p\" \"$t/$h\" || exit 70; "
                                  "printf 'blobs/%s/%s\\n' {0} \"$h\"; done",
                                  k_prefix_of_h, k_missing_marker);
    return "mkdir \"$d/blobs\" || exit 70; " + perl_or_shell(k_perl, "\"$d\"", shell_loop) +
           " < \"$d/input\" > \"$d/list\" || exit 70";
}

std::string upload_command(const Node& node, const std::string& root)
{
    // --size-only: a blob's name is its content, so a blob of the right size is the blob, and one
    // of another size (a killed upload's leftover) is sent again. --no-traverse: one lookup per
    // blob rather than a listing of the whole archive. --copy-links: the staging holds links.
    std::string body = fmt::format("{0}; grep -v '^{1}' \"$d/list\" > \"$d/blobs.txt\"; grep '^{1}' \"$d/list\"; "
                                   "rcl copy --files-from \"$d/blobs.txt\" --no-traverse --size-only --copy-links {2} "
                                   "\"$d\" {3}",
                                   stage_blobs_script(), k_missing_marker, transfer_flags(node), shell_quote(root));
    return framed(node, body);
}

std::string stat_command(const Node& node, const std::string& root)
{
    return framed(node, fmt::format("rcl lsjson -R --files-only --no-modtime --no-mimetype --files-from \"$d/input\" "
                                    "--no-traverse {}",
                                    shell_quote(root)));
}

std::string put_command(const Node& node, const std::string& root, const std::string& path)
{
    // rclone 1.60 writes a local or SFTP file in place, so a reader could see half of it: the
    // document goes to a temporary name first and is renamed (S3's PUT is whole anyway).
    std::string partial = fmt::format("{}.partial-$$", path);
    return framed(node, fmt::format("rcl rcat \"{0}\" < \"$d/input\" && rcl moveto \"{0}\" {1}", root + "/" + partial,
                                    at(root, path)));
}

std::string cat_command(const Node& node, const std::string& root, const std::string& path)
{
    return framed(node, fmt::format("rcl cat {}", at(root, path)));
}

std::string list_command(const Node& node, const std::string& root, const std::string& dir)
{
    // Exit 3 is "directory not found": an archive that has none yet lists empty.
    return framed(node, fmt::format("rcl lsf -R --files-only --format sp --separator ' ' {}; s=$?; "
                                    "[ $s -eq 3 ] && exit 0; exit $s",
                                    at(root, dir)));
}

std::string delete_command(const Node& node, const std::string& root)
{
    return framed(node, fmt::format("rcl delete --files-from \"$d/input\" --no-traverse {}", shell_quote(root)));
}

std::string link_blobs_script(const std::string& download_dir)
{
    static const std::string k_perl =
        "my $dir = shift; my $s = 0; my %made; while (my $line = <STDIN>) { chomp $line; "
        "my ($h, $p) = split / /, $line, 2; next if -e $p; my $name = \"blobs/\" . substr($h, 0, 2) . \"/$h\"; "
        "if (! -f \"$dir/$name\") { print \"" +
        std::string(k_missing_marker) +
        "$name\\n\"; $s = 1; next; } "
        "(my $parent = $p) =~ s{/[^/]*$}{}; "
        "if (!$made{$parent}++ && ! -d $parent) { system(\"mkdir\", \"-p\", \"--\", $parent) == 0 or exit 70; } "
        "link(\"$dir/$name\", $p) or exit 70; } exit $s;";
    auto dir = shell_quote(download_dir);
    auto shell_loop =
        fmt::format("( s=0; while read -r h p; do [ -e \"$p\" ] && continue; b={1}/blobs/{0}/\"$h\"; "
                    "if [ ! -f \"$b\" ]; then printf '{2}blobs/%s/%s\\n' {0} \"$h\"; s=1; continue; fi; "
                    "[ -d \"${{p%/*}}\" ] || mkdir -p -- \"${{p%/*}}\" || exit 70; ln -- \"$b\" \"$p\" || exit 70; "
                    "done; exit $s )",
                    k_prefix_of_h, dir, k_missing_marker);
    // Both exit 1 when a blob was missing, 70 when a link could not be made.
    return perl_or_shell(k_perl, dir, shell_loop) + " < \"$d/input\"; s=$?; [ $s -le 1 ] || exit $s";
}

std::string download_command(const Node& node, const std::string& root, const std::string& download_dir)
{
    // The download directory is fresh and removed at the end: rclone 1.60 rewrites an existing
    // file in place, which through a hard link would rewrite a live SSTable.
    auto dir = shell_quote(download_dir);
    std::string body = fmt::format(
        "while read -r h p; do printf 'blobs/%s/%s\\n' {0} \"$h\"; done < \"$d/input\" | sort -u > \"$d/list\" && "
        "rm -rf -- {1} && mkdir -p -- {1} && "
        "rcl copy --files-from \"$d/list\" --no-traverse --size-only {2} {3} {1} || {{ s=$?; rm -rf -- {1}; exit $s; "
        "}}; {4}; rm -rf -- {1}; exit $s",
        k_prefix_of_h, dir, transfer_flags(node), shell_quote(root), link_blobs_script(download_dir));
    return framed(node, body);
}

std::string hash_command(const Node& node, const std::string& root)
{
    return framed(node, fmt::format("rcl hashsum sha256 --download --files-from \"$d/input\" --no-traverse {}",
                                    shell_quote(root)));
}

std::string version_command(const Node& node)
{
    return fmt::format("env -u AWS_CA_BUNDLE {} version", shell_quote(node.rclone()));
}

std::optional<std::pair<int, int>> parse_rclone_version(const std::string& out)
{
    static const std::regex k_version(R"(^rclone v(\d{1,4})\.(\d{1,4}))");
    std::smatch match;
    auto first_line = out.substr(0, out.find('\n'));
    if (!std::regex_search(first_line, match, k_version)) {
        return std::nullopt;
    }
    return std::pair{std::stoi(match[1]), std::stoi(match[2])};
}

namespace {

// rclone's multi-line messages ("NoSuchBucket: ...\n\tstatus code: 404, ...") on one line.
std::string one_line(const std::string& message)
{
    static const std::regex k_breaks(R"(\s*\n\s*)");
    return std::regex_replace(message, k_breaks, " ");
}

// A plain-text line without the "2026/12/01 03:51:42 " rclone puts first.
std::string without_log_time(const std::string& line)
{
    static const std::regex k_time(R"(^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )");
    return std::regex_replace(line, k_time, "");
}

} // namespace

UploadLog parse_upload_log(const std::string& out, const std::string& err)
{
    UploadLog log;
    for (const auto& line : split_fields(out, '\n')) {
        if (line.rfind(k_missing_marker, 0) == 0) {
            log.missing.push_back(line.substr(std::string(k_missing_marker).size()));
        }
    }
    for (const auto& raw : split_fields(err, '\n')) {
        std::string line(trim(raw));
        if (line.empty()) {
            continue;
        }
        if ((raw.front() == '\t' || raw.front() == ' ') && !log.errors.empty()) {
            log.errors.back() += " " + line; // the rest of a plain-text error ("\tstatus code: 404, ...")
            continue;
        }
        auto json = nlohmann::json::parse(line, nullptr, false);
        if (!json.is_object()) {
            log.errors.push_back(without_log_time(line)); // rclone's fatal lines are plain text even in JSON mode
            continue;
        }
        std::string message = one_line(json.value("msg", ""));
        std::string object = json.value("object", "");
        if (message.rfind("Copied", 0) == 0 && !object.empty()) {
            log.sent.push_back(object);
        } else if (json.value("level", "") == "error") {
            log.errors.push_back(object.empty() ? message : fmt::format("{}: {}", object, message));
        }
    }
    return log;
}

namespace {

std::string describe_exit(int status)
{
    switch (status) {
    case 1:
        return "rclone exited with 1 (usage, configuration or an error it did not classify)";
    case 3:
        return "rclone exited with 3 (directory not found)";
    case 4:
        return "rclone exited with 4 (file not found)";
    case 5:
        return "rclone exited with 5 (a temporary error: a rerun may succeed)";
    case 6:
        return "rclone exited with 6 (a lasting error, not retried)";
    case 7:
        return "rclone exited with 7 (a fatal error)";
    case 70:
        return "the archive command could not set up its private directory";
    default:
        return fmt::format("rclone exited with {}", status);
    }
}

} // namespace

std::string describe_failure(int exit_status, const std::string& err)
{
    auto errors = parse_upload_log("", err).errors;
    return errors.empty() ? describe_exit(exit_status) : describe_exit(exit_status) + ": " + errors.back();
}

Result<std::map<std::string, std::uint64_t>> parse_sizes(const std::string& out)
{
    auto json = nlohmann::json::parse(out, nullptr, false);
    if (!json.is_array()) {
        return make_error(ErrorKind::parse, "rclone lsjson printed something that is not a JSON list");
    }
    std::map<std::string, std::uint64_t> sizes;
    for (const auto& entry : json) {
        if (!entry.is_object() || !entry.contains("Path") || !entry["Path"].is_string() || !entry.contains("Size") ||
            !entry["Size"].is_number_integer() || entry.value("IsDir", false)) {
            continue; // directories, and S3's stand-in for an absent key ("IsDir": true, "Size": -1)
        }
        auto size = entry["Size"].get<std::int64_t>();
        if (size >= 0) {
            sizes[entry["Path"].get<std::string>()] = static_cast<std::uint64_t>(size);
        }
    }
    return sizes;
}

Result<std::map<std::string, std::uint64_t>> parse_listing(const std::string& out)
{
    std::map<std::string, std::uint64_t> files;
    for (const auto& line : split_fields(out, '\n')) {
        if (line.empty()) {
            continue;
        }
        auto space = line.find(' ');
        std::uint64_t size = 0;
        if (space == std::string::npos || !parse_number(line.substr(0, space), size)) {
            return make_error(ErrorKind::parse, fmt::format("unexpected line in an archive listing: {}", line));
        }
        files[line.substr(space + 1)] = size;
    }
    return files;
}

Result<std::map<std::string, std::string>> parse_hashes(const std::string& out)
{
    std::map<std::string, std::string> hashes;
    for (const auto& line : split_fields(out, '\n')) {
        if (line.empty()) {
            continue;
        }
        auto gap = line.find("  ");
        if (gap != 64 || line.size() <= 66) {
            return make_error(ErrorKind::parse, fmt::format("unexpected line in rclone's SHA-256 list: {}", line));
        }
        hashes[line.substr(66)] = line.substr(0, 64);
    }
    return hashes;
}

} // namespace ringsnap::ops::archive_steps
