// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reads Prometheus text as a scraper does, to test what --metrics-file writes.

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace ringsnap::testing {

// The text format, as far as ringsnap writes it: sample name, labels, value; HELP and TYPE
// before each family's first sample.
struct Scraped
{
    std::map<std::string, double> samples; // "name{labels}" -> value
    std::map<std::string, std::string> types;
    std::vector<std::string> errors;
};

inline Scraped scrape(const std::string& text)
{
    Scraped scraped;
    std::istringstream in(text);
    std::set<std::string> helped;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("# HELP ")) {
            helped.insert(line.substr(7, line.find(' ', 7) - 7));
            continue;
        }
        if (line.starts_with("# TYPE ")) {
            auto name = line.substr(7, line.find(' ', 7) - 7);
            scraped.types[name] = line.substr(line.rfind(' ') + 1);
            continue;
        }
        auto space = line.rfind(' ');
        auto series = line.substr(0, space);
        auto name = series.substr(0, series.find('{'));
        if (!helped.count(name) || !scraped.types.count(name)) {
            scraped.errors.push_back("no HELP or TYPE before " + line);
        }
        if (!scraped.samples.emplace(series, std::stod(line.substr(space + 1))).second) {
            scraped.errors.push_back("twice: " + series);
        }
    }
    return scraped;
}

} // namespace ringsnap::testing
