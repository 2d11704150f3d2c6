#pragma once
// What `reach guard` prints (docs/GUARD.md): NDJSON decisions (the daemon's --json output and
// --dry-run's), `check ADDR` and `--test-rule` reports in text and NDJSON. Read model only.
// Times in the model are on the daemon's monotonic timeline: `wall_offset` (unix ns minus
// monotonic ns, read once by the tool) turns them into unix times.
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"
#include "model/guard.hpp"

namespace reach::format {

// "1h", "10m", "1h30m", "45s", "250ms".
std::string guard_duration(TimeNs d);
const char* guard_origin_word(model::GuardBanOrigin o);
const char* guard_verdict_word(model::GuardVerdict v);

// {"type":"ban","version":1,"prefix":"198.18.0.7/32","duration_s":3600,"until":"...","offence":1,
//  "count":5,"rule":"sshd","form":"failed-password","origin":"threshold","reason":"...",
//  "dry_run":true,"latency_ms":1.2} and one newline.
std::string guard_ban_json(const model::GuardBan& b, TimeNs wall_offset, bool dry_run, double latency_ms = -1);
// A saved ban as `--list --json` prints it: the ban object (no dry_run) and "in_kernel", whether
// the kernel set holds it (false: the table was deleted from outside, or the set flushed), left
// out when the sets could not be read (no CAP_NET_ADMIN).
std::string guard_list_json(const model::GuardBan& b, TimeNs wall_offset, std::optional<bool> in_kernel);
std::string guard_unban_json(const model::GuardUnban& u, TimeNs wall_offset);
// One text line of a ban, as the daemon logs it: "ban 198.18.0.7/32 for 1h: 5 failures ... (offence 1)".
std::string guard_ban_line(const model::GuardBan& b);

std::string guard_explain_text(const model::GuardExplain& e, TimeNs wall_offset);
std::string guard_explain_json(const model::GuardExplain& e, TimeNs wall_offset);

// fail2ban-regex's report: the matched lines (with `verbose`, all of them; otherwise the first
// 20), the count per rule form, the addresses found and the summary line.
std::string guard_test_rule_text(const model::RuleTestReport& r, std::string_view log_name, bool verbose);
// One "match" object per matched line, then a "summary".
std::string guard_test_rule_json(const model::RuleTestReport& r, std::string_view log_name);

}  // namespace reach::format
