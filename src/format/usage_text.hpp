#pragma once
// `reach usage` as text (docs/USAGE.md "Output"): the current cycle of every plan, and the
// history tables of `--days` and `--months` laid out like `vnstat -d` / `vnstat -m` (rx, tx,
// total, average rate), with billing cycles as the months (as vnStat's MonthRotate does).
// Byte amounts in SI units (GB = 10^9 B, as data plans and their caps are sold); local times in
// each plan's zone with their UTC offset.
#include <cstdint>
#include <string>

#include "model/usage.hpp"

namespace reach::format {

// "0 B", "999 B", "1.00 kB", "12.35 GB", "1.20 TB" (two decimals from kB up).
std::string usage_bytes(std::uint64_t bytes);
// "2026-11-15 00:00 +01:00".
std::string usage_local(const model::LocalStamp& t);

std::string usage_status_text(const model::UsageReport& report);
std::string usage_days_text(const model::UsageReport& report);
std::string usage_months_text(const model::UsageReport& report);

}  // namespace reach::format
