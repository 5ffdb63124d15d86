// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/result.hpp>

namespace ringsnap {

const char* to_string(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::usage:
        return "usage";
    case ErrorKind::config:
        return "config";
    case ErrorKind::catalog:
        return "catalog";
    case ErrorKind::connect:
        return "connect";
    case ErrorKind::auth:
        return "auth";
    case ErrorKind::host_key:
        return "host_key";
    case ErrorKind::timeout:
        return "timeout";
    case ErrorKind::command:
        return "command";
    case ErrorKind::parse:
        return "parse";
    case ErrorKind::io:
        return "io";
    case ErrorKind::interrupted:
        return "interrupted";
    case ErrorKind::internal:
        return "internal";
    }
    return "internal";
}

} // namespace ringsnap
