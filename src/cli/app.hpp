// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace ringsnap::cli {

// The whole command line: parse, set up logging and signals, run the chosen verb, and turn its
// outcome into an exit code (the only place that does). Never throws.
int run(int argc, char** argv);

} // namespace ringsnap::cli
