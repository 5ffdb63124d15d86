// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private keys, read once per run and shared by every session. libssh's publickey_auto would
// re-read and re-decrypt them for each of hundreds of sessions and offer every key in turn
// (exhausting sshd's MaxAuthTries); instead each key file is read once, kept in memory, and
// each session gets its own ssh_key object from that copy (the libssh docs do not promise that
// one key object may sign in several threads at once).

#include <map>
#include <mutex>
#include <string>

#include <ringsnap/result.hpp>

#include "ssh/handles.hpp"

namespace ringsnap::ssh {

class KeyStore {
public:
    // A fresh key object for `path` (already `~`-expanded). ErrorKind::auth when the file is
    // missing, unreadable, or encrypted (ringsnap never prompts: use ssh-agent for those).
    Result<KeyHandle> key_for(const std::string& path);

private:
    std::mutex m_mutex;
    std::map<std::string, std::string> m_base64_by_path;  // unencrypted export, memory only
    std::map<std::string, Error> m_error_by_path;         // so a bad key is reported, not re-read
};

} // namespace ringsnap::ssh
