// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plain aligned tables for stdout: a header row, then rows, columns separated by two spaces.

#include <cstdint>
#include <string>
#include <vector>

namespace ringsnap {

class TextTable {
public:
    explicit TextTable(std::vector<std::string> headers) : m_headers(std::move(headers)) {}

    void add_row(std::vector<std::string> cells) { m_rows.push_back(std::move(cells)); }
    bool empty() const { return m_rows.empty(); }

    // Every column padded to its widest cell except the last, so lines carry no trailing blanks.
    std::string render() const;

private:
    std::vector<std::string> m_headers;
    std::vector<std::vector<std::string>> m_rows;
};

// "512 B", "1.5 KiB", "42.0 GiB": binary units, one decimal, as operators read disk sizes.
std::string format_bytes(std::uint64_t bytes);

} // namespace ringsnap
