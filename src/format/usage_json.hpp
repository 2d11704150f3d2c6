#pragma once
// `reach usage --json` (the project's NDJSON schema, docs/JSON.md "reach usage") and
// `--vnstat-json` (vnStat 2.x's `vnstat --json` output, jsonversion 2, so that what reads vnStat —
// OPNsense, netdata, Home Assistant, scripts — reads reach unchanged; one vnStat "interface" per
// plan, named after the plan).
#include <string>

#include "model/usage.hpp"

namespace reach::format {

// One `usage` object per plan, then one `usage_hour`/`usage_day`/`usage_month`/`usage_cycle`
// object per history row the report holds; one line each, newline included.
std::string usage_json(const model::UsageReport& report);

// The whole vnStat JSON document, one line (as vnstat --json prints it), newline included.
std::string usage_vnstat_json(const model::UsageReport& report);

}  // namespace reach::format
