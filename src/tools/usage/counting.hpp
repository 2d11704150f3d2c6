#pragma once
// The pure parts of `reach usage`'s counting (docs/USAGE.md "Counting"): which link is a
// configured interface, and in which hourly buckets the bytes of one poll go. No clock, no
// system call: unit-tested with tables (tests/unit/tools_usage_test.cpp).
#include <cstdint>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "config/usage_config.hpp"
#include "store/usage_store.hpp"
#include "sys/link_stats.hpp"
#include "tools/usage/sources.hpp"

namespace reach::tools::usage {

// The bytes counted between two readings at `from` and `to` (unix ns), spread over the UTC
// hours of that span in proportion to the time spent in each, so a daemon that was down across
// a cycle boundary splits the gap's bytes by time instead of giving all to the new cycle. The
// parts sum exactly to the input (the last hour takes the rounding). from >= to, or from 0:
// everything in to's hour. Appended to `out` (merged with a bucket of the same hour at its end).
void spread_hours(std::uint64_t rx, std::uint64_t tx, TimeNs from, TimeNs to,
                  std::vector<store::UsageBytes>& out);

// The sample of an interface source now (tools/usage/sources: interface_sample), with one rule
// added: a source named by its interface name keeps following the link it counted so far
// (`followed` ifindex, 0 = none) while that link exists, also under a new name, so a rename keeps
// its counters and history; once that link is gone the configured name is looked up again (a
// deleted and re-created interface is a new counter). A source with a MAC is matched by MAC
// every time. Updates `followed` (0 when not found).
Result<SourceSample> follow_interface(const config::UsageSource& source, const std::vector<sys::LinkStats>& links,
                                      const std::string& boot_id, TimeNs wall, int& followed);

}  // namespace reach::tools::usage
