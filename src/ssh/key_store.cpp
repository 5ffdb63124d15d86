// SPDX-License-Identifier: Apache-2.0
#include "ssh/key_store.hpp"

#include <filesystem>

#include <fmt/format.h>

namespace ringsnap::ssh {

namespace {

Result<std::string> read_key_once(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return make_error(ErrorKind::auth, fmt::format("identity file {} does not exist", path));
    }
    ssh_key raw = nullptr;
    // No passphrase and no prompt callback: an encrypted key fails here instead of prompting.
    if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK) {
        return make_error(ErrorKind::auth,
                          fmt::format("cannot load private key {} (unreadable, or protected by a passphrase: "
                                      "load it into ssh-agent and leave identity_file unset)",
                                      path));
    }
    KeyHandle key(raw);
    char* base64 = nullptr;
    if (ssh_pki_export_privkey_base64(key.get(), nullptr, nullptr, nullptr, &base64) != SSH_OK) {
        return make_error(ErrorKind::auth, fmt::format("cannot use private key {}", path));
    }
    std::string copy(base64);
    ssh_string_free_char(base64);
    return copy;
}

} // namespace

Result<KeyHandle> KeyStore::key_for(const std::string& path)
{
    std::string base64;
    {
        std::lock_guard lock(m_mutex);
        if (auto failed = m_error_by_path.find(path); failed != m_error_by_path.end()) {
            return failed->second;
        }
        auto cached = m_base64_by_path.find(path);
        if (cached == m_base64_by_path.end()) {
            auto loaded = read_key_once(path);
            if (!loaded) {
                m_error_by_path.emplace(path, loaded.error());
                return loaded.error();
            }
            cached = m_base64_by_path.emplace(path, std::move(*loaded)).first;
        }
        base64 = cached->second;
    }
    ssh_key raw = nullptr;
    if (ssh_pki_import_privkey_base64(base64.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK) {
        return make_error(ErrorKind::auth, fmt::format("cannot use private key {}", path));
    }
    return KeyHandle(raw);
}

} // namespace ringsnap::ssh
