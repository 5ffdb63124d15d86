// SPDX-License-Identifier: Apache-2.0
#pragma once

// Owning handles for libssh objects, so every exit path frees them.

#include <memory>

#include <libssh/libssh.h>

namespace ringsnap::ssh {

struct SessionDeleter {
    void operator()(ssh_session session) const
    {
        if (ssh_is_connected(session)) {
            ssh_disconnect(session);
        }
        ssh_free(session);
    }
};
struct ChannelDeleter {
    void operator()(ssh_channel channel) const { ssh_channel_free(channel); }
};
struct KeyDeleter {
    void operator()(ssh_key key) const { ssh_key_free(key); }
};
struct StringDeleter {
    void operator()(char* text) const { ssh_string_free_char(text); }
};

using SessionHandle = std::unique_ptr<ssh_session_struct, SessionDeleter>;
using ChannelHandle = std::unique_ptr<ssh_channel_struct, ChannelDeleter>;
using KeyHandle = std::unique_ptr<ssh_key_struct, KeyDeleter>;
using SshString = std::unique_ptr<char, StringDeleter>;

} // namespace ringsnap::ssh
