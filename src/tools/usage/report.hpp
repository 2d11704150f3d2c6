#pragma once
// `reach usage` without --daemon: the report from the database (while the daemon runs too),
// filled into model::UsageReport and written by format/usage_*.
#include <ostream>

#include "config/usage_config.hpp"
#include "model/usage.hpp"
#include "store/usage_store.hpp"
#include "tools/usage/usage.hpp"

namespace reach::tools::usage {

struct ReportWant {
  bool hours = false, days = false, months = false, cycles = false;
  std::string plan;  // only this plan, empty = all
};
// The report at `now` (unix s). Sources not read for 3 polls (at least 10 s) are marked stale.
Result<model::UsageReport> build_report(const config::UsageConfig& cfg, store::UsageStore& store, std::int64_t now,
                                        const ReportWant& want);

int report(const UsageOptions& o, const config::UsageConfig& cfg, std::ostream& out, std::ostream& err);

}  // namespace reach::tools::usage
