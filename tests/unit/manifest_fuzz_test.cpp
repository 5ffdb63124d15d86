// SPDX-License-Identifier: Apache-2.0
// The manifest reader against generated malformed manifests: bytes flipped, cut, repeated or
// dropped, values of the wrong type or shape, deep nesting. From a fixed seed and a fixed count,
// so every run (and CI) reads the same inputs. Whatever the input: no crash, no exception out of
// the reader or the catalog, an error that names the file, and memory bounded.

#include <ringsnap/catalog.hpp>
#include <ringsnap/manifest_json.hpp>

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/resource.h>

#include "support/manifest_samples.hpp"

namespace ringsnap {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t k_seed = 20261130;
constexpr int k_cases = 1500;
constexpr int k_cases_through_the_catalog = 150; // files on disk cost more
constexpr long k_max_growth_kib = 256 * 1024;    // far above what a few KB of input could need

class Mutator
{
  public:
    explicit Mutator(std::string valid) : m_valid(std::move(valid)), m_json(ManifestJson::parse(m_valid)) {}

    std::string next(std::mt19937& random)
    {
        switch (pick(random, 8)) {
        case 0:
            return m_valid.substr(0, pick(random, m_valid.size()));
        case 1:
            return flip_bytes(random);
        case 2:
            return splice(random);
        case 3:
            return with_value_replaced(random);
        case 4:
            return with_key_removed(random);
        case 5:
            return deep_nesting(random);
        case 6:
            return random_bytes(random);
        default:
            return flip_bytes(random) + splice(random);
        }
    }

  private:
    static std::size_t pick(std::mt19937& random, std::size_t bound)
    {
        return bound == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, bound - 1)(random);
    }

    std::string flip_bytes(std::mt19937& random) const
    {
        std::string text = m_valid;
        for (std::size_t n = 1 + pick(random, 8); n > 0; --n) {
            text[pick(random, text.size())] = static_cast<char>(pick(random, 256));
        }
        return text;
    }

    // A span dropped, or repeated elsewhere.
    std::string splice(std::mt19937& random) const
    {
        std::size_t from = pick(random, m_valid.size());
        std::size_t length = pick(random, std::min<std::size_t>(400, m_valid.size() - from));
        std::string text = m_valid;
        if (pick(random, 2) == 0) {
            return text.erase(from, length);
        }
        return text.insert(pick(random, text.size()), m_valid.substr(from, length));
    }

    // Every value of the document, by JSON pointer, to replace or remove one.
    static void pointers(const ManifestJson& json, const ManifestJson::json_pointer& at,
                         std::vector<ManifestJson::json_pointer>& found)
    {
        found.push_back(at);
        if (json.is_object()) {
            for (const auto& [key, value] : json.items()) {
                pointers(value, at / key, found);
            }
        } else if (json.is_array()) {
            for (std::size_t i = 0; i < json.size(); ++i) {
                pointers(json[i], at / i, found);
            }
        }
    }

    ManifestJson::json_pointer some_pointer(std::mt19937& random) const
    {
        std::vector<ManifestJson::json_pointer> all;
        pointers(m_json, ManifestJson::json_pointer(), all);
        return all[1 + pick(random, all.size() - 1)]; // not the root
    }

    ManifestJson strange_value(std::mt19937& random) const
    {
        static const std::vector<ManifestJson> values{nullptr,
                                                      true,
                                                      -1,
                                                      0,
                                                      18446744073709551615ULL,
                                                      -9223372036854775807LL - 1,
                                                      1.5,
                                                      "",
                                                      "..",
                                                      "../etc/passwd",
                                                      "/",
                                                      "a;rm -rf /",
                                                      "bäd",
                                                      std::string("nul\0byte", 8),
                                                      std::string(5000, 'x'),
                                                      ManifestJson::array(),
                                                      ManifestJson::object(),
                                                      ManifestJson::array({1, "two", nullptr}),
                                                      "2026-13-45T99:99:99Z",
                                                      "zz"};
        return values[pick(random, values.size())];
    }

    std::string with_value_replaced(std::mt19937& random) const
    {
        ManifestJson json = m_json;
        json[some_pointer(random)] = strange_value(random);
        return json.dump(2, ' ', false, ManifestJson::error_handler_t::replace);
    }

    std::string with_key_removed(std::mt19937& random) const
    {
        ManifestJson json = m_json;
        auto pointer = some_pointer(random);
        auto& parent = json[pointer.parent_pointer()];
        if (parent.is_object()) {
            parent.erase(pointer.back());
        } else if (parent.is_array()) {
            parent.erase(static_cast<std::size_t>(std::stoul(pointer.back())));
        }
        return json.dump(2);
    }

    static std::string deep_nesting(std::mt19937& random)
    {
        std::size_t depth = 1000 + pick(random, 20000);
        std::string open = pick(random, 2) == 0 ? "[" : "{\"a\":";
        std::string text = R"({"format":"ringsnap-manifest","format_version":1,"cluster":)";
        for (std::size_t i = 0; i < depth; ++i) {
            text += open;
        }
        return text;
    }

    static std::string random_bytes(std::mt19937& random)
    {
        std::string text(pick(random, 2000), '\0');
        for (auto& byte : text) {
            byte = static_cast<char>(pick(random, 256));
        }
        return text;
    }

    std::string m_valid;
    ManifestJson m_json;
};

long max_rss_kib()
{
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

std::string valid_manifest_text()
{
    Manifest manifest = testing::sample_manifest("fuzz");
    std::ostringstream out;
    write_manifest(out, manifest);
    return out.str();
}

TEST(ManifestFuzz, MalformedManifestsAreRefusedNamingTheFileAndNothingEscapes)
{
    std::mt19937 random(k_seed);
    Mutator mutator(valid_manifest_text());
    long rss_before = max_rss_kib();
    for (int n = 0; n < k_cases; ++n) {
        std::string text = mutator.next(random);
        std::istringstream in(text);
        std::optional<Result<Manifest>> read;
        ASSERT_NO_THROW(read.emplace(read_manifest(in, "case.json"))) << "case " << n;
        if (!*read) {
            EXPECT_EQ(read->error().kind, ErrorKind::parse) << "case " << n;
            EXPECT_EQ(read->error().message.rfind("manifest case.json: ", 0), 0U)
                << "case " << n << ": " << read->error().message;
        }
        std::istringstream again(text);
        ASSERT_NO_THROW((void)read_manifest_summary(again, "case.json")) << "case " << n;
    }
    EXPECT_LT(max_rss_kib() - rss_before, k_max_growth_kib);
}

TEST(ManifestFuzz, TheCatalogListsAndLoadsMalformedManifestsAsProblemsNamingTheFile)
{
    testing::TempDir dir;
    auto catalog = *Catalog::open(dir.path(), "prod-main");
    fs::create_directories(catalog.manifests_directory());
    std::mt19937 random(k_seed + 1);
    Mutator mutator(valid_manifest_text());
    for (int n = 0; n < k_cases_through_the_catalog; ++n) {
        auto path = catalog.manifests_directory() / "fuzz.json";
        testing::write_text(path, mutator.next(random));
        std::optional<Result<CatalogListing>> listing;
        ASSERT_NO_THROW(listing.emplace(catalog.list())) << "case " << n;
        ASSERT_TRUE(*listing) << listing->error().message;
        for (const auto& problem : (*listing)->problems) {
            EXPECT_EQ(problem.error.kind, ErrorKind::catalog);
            EXPECT_NE(problem.error.message.find(path.string()), std::string::npos) << problem.error.message;
        }
        std::optional<Result<Manifest>> loaded;
        ASSERT_NO_THROW(loaded.emplace(catalog.load("fuzz"))) << "case " << n;
        if (!*loaded) {
            EXPECT_EQ(loaded->error().kind, ErrorKind::catalog);
            EXPECT_NE(loaded->error().message.find(path.string()), std::string::npos) << loaded->error().message;
        }
    }
}

} // namespace
} // namespace ringsnap
