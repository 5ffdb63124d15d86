// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/hash_index.hpp>

#include <functional>

namespace ringsnap {

namespace {

int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;  // upper case is not what nodes print, so it is not a hash we wrote
}

// Digests are kept as 32 bytes rather than 64 hex characters: half the memory per file.
template <class Digest>
std::optional<Digest> decode_sha256(std::string_view hex)
{
    Digest digest{};
    if (hex.size() != digest.size() * 2) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < digest.size(); ++i) {
        int high = hex_value(hex[2 * i]);
        int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        digest[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return digest;
}

template <class Digest>
std::string encode_sha256(const Digest& digest)
{
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(digest.size() * 2);
    for (auto byte : digest) {
        hex.push_back(k_digits[byte >> 4]);
        hex.push_back(k_digits[byte & 0xf]);
    }
    return hex;
}

std::string location_name(std::string_view host, std::string_view directory)
{
    std::string name(host);
    name.push_back('\0');  // neither a host name nor a path holds a NUL: no two pairs collide
    name.append(directory);
    return name;
}

void mix(std::size_t& seed, std::size_t value)
{
    seed ^= value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
}

} // namespace

std::size_t HashIndex::KeyHash::operator()(const Key& key) const
{
    std::size_t seed = std::hash<std::string>{}(key.name);
    mix(seed, key.location);
    mix(seed, key.size);
    mix(seed, key.inode);
    mix(seed, static_cast<std::size_t>(key.mtime_ns));
    return seed;
}

HashIndex::HashIndex(const std::vector<Manifest>& newest_first)
{
    for (const auto& manifest : newest_first) {
        add(manifest);
    }
}

void HashIndex::add(const Manifest& manifest)
{
    for (const auto& node : manifest.nodes) {
        if (node.status != NodeStatus::ok) {
            continue;  // a node that failed midway may have recorded a partial picture
        }
        for (const auto& table : node.tables) {
            auto location = location_of(node.host, table.directory);
            for (const auto& file : table.files) {
                auto digest = decode_sha256<Digest>(file.sha256);
                if (!file.inode || !file.mtime_ns || !digest) {
                    continue;
                }
                m_files.try_emplace(Key{location, file.name, file.size, *file.inode, *file.mtime_ns}, *digest);
            }
        }
    }
}

std::optional<std::string> HashIndex::find(const FileIdentity& file) const
{
    auto location = find_location(file.host, file.directory);
    if (!location) {
        return std::nullopt;
    }
    auto found = m_files.find(Key{*location, std::string(file.name), file.size, file.inode, file.mtime_ns});
    if (found == m_files.end()) {
        return std::nullopt;
    }
    return encode_sha256(found->second);
}

std::uint32_t HashIndex::location_of(std::string_view host, std::string_view directory)
{
    auto next = static_cast<std::uint32_t>(m_locations.size());
    return m_locations.try_emplace(location_name(host, directory), next).first->second;
}

std::optional<std::uint32_t> HashIndex::find_location(std::string_view host, std::string_view directory) const
{
    auto found = m_locations.find(location_name(host, directory));
    if (found == m_locations.end()) {
        return std::nullopt;
    }
    return found->second;
}

} // namespace ringsnap
