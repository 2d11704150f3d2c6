#pragma once
// Writers of `reach check` results: a text table, NDJSON, or a Nagios plugin report.
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "format/geo_note.hpp"
#include "model/check.hpp"

namespace reach::format {

const char* check_status_word(model::CheckStatus s);
const char* check_kind_word(model::CheckKind k);
// The TIME column: 0.090ms, 12.3ms, 2.00s; "-" without a time.
std::string check_time_text(const std::optional<TimeNs>& t);

// name, endpoint, result, reason, time (and the expectation for policy flows), then a summary.
// geo (--geo): a GEO column of each endpoint's address.
void write_check_text(std::ostream& out, const std::vector<model::CheckOutcome>& rows, const model::CheckSummary& s,
                      const GeoOf& geo = {});
// One `check` object per row, then a `summary` (docs/JSON.md).
void write_check_json(std::ostream& out, const std::vector<model::CheckOutcome>& rows, const model::CheckSummary& s,
                      const GeoOf& geo = {});

// -w / -c: a check slower than `seconds`, or more than `failed` failed endpoints.
struct NagiosThresholds {
  std::optional<double> warn_seconds, crit_seconds;
  std::optional<unsigned> warn_failed, crit_failed;  // crit_failed unset: any failure is CRITICAL
};
enum class NagiosState { ok = 0, warning = 1, critical = 2, unknown = 3 };
NagiosState nagios_state(const std::vector<model::CheckOutcome>& rows, const NagiosThresholds& t);
// `CHECK STATUS: summary | perfdata`, then one line per endpoint that is not OK. Returns the
// plugin exit code.
int write_check_nagios(std::ostream& out, const std::vector<model::CheckOutcome>& rows, const NagiosThresholds& t);
// The one line for bad arguments (exit 3).
int write_nagios_unknown(std::ostream& out, std::string_view why);

}  // namespace reach::format
