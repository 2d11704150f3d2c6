#pragma once
// --banners: after the scan, connect to each open port and keep the first line the service says
// (SSH, SMTP, FTP greet first), or its answer to an HTTP HEAD when it says nothing.
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "model/scan.hpp"

namespace reach::tools {

// Fills `banner` of the open ports of `results`; at most `concurrency` connections at once,
// each given `timeout` ns to connect and as long again to talk (half for a greeting, half for
// the answer to HEAD).
Result<void> grab_banners(std::vector<model::PortResult>& results, TimeNs timeout, int concurrency, const Clock& clock);

}  // namespace reach::tools
