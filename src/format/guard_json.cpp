#include "format/guard_json.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "format/wall_time.hpp"

namespace reach::format {
namespace {

using nlohmann::ordered_json;
constexpr int kSchemaVersion = 1;

std::string line(const ordered_json& j) { return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + '\n'; }

ordered_json head(const char* type) { return ordered_json{{"type", type}, {"version", kSchemaVersion}}; }

}  // namespace

std::string guard_duration(TimeNs d) {
  if (d <= 0) return "0s";
  if (d < kNsPerSec) return fmt::format("{}ms", d / kNsPerMs);
  std::int64_t s = d / kNsPerSec;
  std::string out;
  if (s >= 86400) out += fmt::format("{}d", s / 86400), s %= 86400;
  if (s >= 3600) out += fmt::format("{}h", s / 3600), s %= 3600;
  if (s >= 60) out += fmt::format("{}m", s / 60), s %= 60;
  if (s > 0 || out.empty()) out += fmt::format("{}s", s);
  return out;
}

const char* guard_origin_word(model::GuardBanOrigin o) {
  switch (o) {
    case model::GuardBanOrigin::threshold: return "threshold";
    case model::GuardBanOrigin::escalated: return "escalated";
    case model::GuardBanOrigin::manual: return "manual";
    case model::GuardBanOrigin::restored: return "restored";
    case model::GuardBanOrigin::country: return "country";
  }
  return "?";
}

const char* guard_verdict_word(model::GuardVerdict v) {
  switch (v) {
    case model::GuardVerdict::allowed: return "allowed";
    case model::GuardVerdict::loopback: return "loopback";
    case model::GuardVerdict::own_address: return "own_address";
    case model::GuardVerdict::banned: return "banned";
    case model::GuardVerdict::counting: return "counting";
    case model::GuardVerdict::clean: return "clean";
    case model::GuardVerdict::country_allowed: return "country_allowed";
  }
  return "?";
}

namespace {

ordered_json ban_object(const model::GuardBan& b, TimeNs wall_offset) {
  ordered_json j = head("ban");
  j["timestamp"] = rfc3339_micro(b.at + wall_offset);
  j["prefix"] = b.prefix.to_string();
  j["duration_s"] = static_cast<double>(b.duration) / kNsPerSec;
  j["until"] = rfc3339_micro(b.until + wall_offset);
  j["offence"] = b.offence;
  j["count"] = b.count;
  j["rule"] = b.rule;
  j["form"] = b.form;
  j["origin"] = guard_origin_word(b.origin);
  j["reason"] = b.reason;
  if (!b.country.empty()) j["country"] = b.country;
  return j;
}

}  // namespace

std::string guard_ban_json(const model::GuardBan& b, TimeNs wall_offset, bool dry_run, double latency_ms) {
  ordered_json j = ban_object(b, wall_offset);
  j["dry_run"] = dry_run;
  if (latency_ms >= 0) j["latency_ms"] = latency_ms;
  return line(j);
}

std::string guard_list_json(const model::GuardBan& b, TimeNs wall_offset, std::optional<bool> in_kernel) {
  ordered_json j = ban_object(b, wall_offset);
  j["dry_run"] = false;  // as before in_kernel was added
  if (in_kernel) j["in_kernel"] = *in_kernel;
  return line(j);
}

std::string guard_unban_json(const model::GuardUnban& u, TimeNs wall_offset) {
  ordered_json j = head("unban");
  j["timestamp"] = rfc3339_micro(u.at + wall_offset);
  j["prefix"] = u.prefix.to_string();
  j["manual"] = u.manual;
  return line(j);
}

std::string guard_ban_line(const model::GuardBan& b) {
  std::string s = fmt::format("ban {} for {} ({}", b.prefix.to_string(), guard_duration(b.duration), guard_origin_word(b.origin));
  if (b.offence > 1) s += fmt::format(", offence {}", b.offence);
  s += ")";
  if (!b.reason.empty()) s += ": " + b.reason;
  if (!b.country.empty() && b.origin != model::GuardBanOrigin::country) s += " [" + b.country + "]";
  return s;
}

std::string guard_explain_text(const model::GuardExplain& e, TimeNs wall_offset) {
  std::string s = fmt::format("{}: {}", e.addr.to_string(), guard_verdict_word(e.verdict));
  switch (e.verdict) {
    case model::GuardVerdict::allowed:
    case model::GuardVerdict::country_allowed: s += " by " + e.allowed_by + ": never counted, never banned"; break;
    case model::GuardVerdict::loopback: s += ": never banned"; break;
    case model::GuardVerdict::own_address: s += ": one of this machine's addresses, never banned"; break;
    case model::GuardVerdict::banned:
      s += fmt::format(" as {} until {}", e.ban_prefix.to_string(), rfc3339_micro(e.ban_until + wall_offset));
      break;
    case model::GuardVerdict::counting:
      s += fmt::format(": {} of {} failures within {} (counted as {})", e.failures, e.threshold, guard_duration(e.window),
                       e.counted_as.to_string());
      break;
    case model::GuardVerdict::clean:
      if (e.country_rule == "ban") s += fmt::format(": its first failure would ban {}", e.counted_as.to_string());
      else s += fmt::format(": {} failures within {} would ban {}", e.threshold, guard_duration(e.window), e.counted_as.to_string());
      break;
  }
  if (e.verdict != model::GuardVerdict::allowed && e.verdict != model::GuardVerdict::loopback &&
      e.verdict != model::GuardVerdict::own_address && e.verdict != model::GuardVerdict::country_allowed &&
      e.next_duration > 0)
    s += fmt::format("; the next ban would last {}{}", guard_duration(e.next_duration),
                     e.offences > 0 ? fmt::format(" (offence {})", e.offences + 1) : "");
  s += '\n';
  if (!e.reason.empty()) s += "  " + e.reason + '\n';
  if (!e.country.empty())
    s += fmt::format("  country: {} ({})\n", e.country,
                     e.country_rule == "ban"     ? "countries.ban: banned at its first failure"
                     : e.country_rule == "allow" ? "countries.allow: never counted"
                                                 : "no country rule: the threshold applies");
  return s;
}

std::string guard_explain_json(const model::GuardExplain& e, TimeNs wall_offset) {
  ordered_json j = head("check");
  j["addr"] = e.addr.to_string();
  j["verdict"] = guard_verdict_word(e.verdict);
  if (!e.allowed_by.empty()) j["allowed_by"] = e.allowed_by;
  j["counted_as"] = e.counted_as.to_string();
  j["would_ban"] = e.counted_as.to_string();
  j["failures"] = e.failures;
  j["threshold"] = e.threshold;
  j["window_s"] = static_cast<double>(e.window) / kNsPerSec;
  if (e.verdict == model::GuardVerdict::banned) {
    j["ban_prefix"] = e.ban_prefix.to_string();
    j["ban_until"] = rfc3339_micro(e.ban_until + wall_offset);
  }
  j["offences"] = e.offences;
  j["next_duration_s"] = static_cast<double>(e.next_duration) / kNsPerSec;
  j["reason"] = e.reason;
  if (!e.country.empty()) j["country"] = e.country;
  if (!e.country_rule.empty()) j["country_rule"] = e.country_rule;
  return line(j);
}

std::string guard_test_rule_text(const model::RuleTestReport& r, std::string_view log_name, bool verbose) {
  // The skipped lines are among the missed ones: said as a part of them, so the counts add up.
  std::string s = fmt::format("Lines: {} lines read from {}, {} matched, {} missed", r.lines, log_name, r.matched,
                              r.lines - r.matched);
  std::vector<std::string> of;
  if (r.too_long) of.push_back(fmt::format("{} over the line limit, skipped", r.too_long));
  if (r.unparsed) of.push_back(fmt::format("{} refused by the relay rule: not JSON, or a forged event", r.unparsed));
  if (!of.empty()) s += fmt::format(" (of which {})", fmt::join(of, "; "));
  s += "\n\nMatched lines:\n";
  std::size_t shown = 0;
  for (const auto& h : r.hits) {
    if (!verbose && shown == 20) {
      s += fmt::format("  ... {} more (--verbose shows every one)\n", r.hits.size() - shown);
      break;
    }
    s += fmt::format("  line {}: {} {} {}\n", h.line_no, h.match.rule, h.match.form, h.match.addr.to_string());
    ++shown;
  }
  s += "\nBy rule form:\n";
  for (const auto& f : r.by_form) s += fmt::format("  {:>8}  {} {}\n", f.lines, f.rule, f.form);
  s += "\nAddresses:\n";
  for (const auto& [addr, n] : r.by_addr) s += fmt::format("  {:>8}  {}\n", n, addr);
  return s;
}

std::string guard_test_rule_json(const model::RuleTestReport& r, std::string_view log_name) {
  std::string out;
  for (const auto& h : r.hits) {
    ordered_json j = head("match");
    j["line"] = h.line_no;
    j["rule"] = h.match.rule;
    j["form"] = h.match.form;
    j["addr"] = h.match.addr.to_string();
    j["weight"] = h.match.weight;
    out += line(j);
  }
  ordered_json j = head("summary");
  j["file"] = std::string(log_name);
  j["lines"] = r.lines;
  j["matched"] = r.matched;
  j["too_long"] = r.too_long;
  j["unparsed"] = r.unparsed;
  ordered_json forms = ordered_json::array();
  for (const auto& f : r.by_form) forms.push_back({{"rule", f.rule}, {"form", f.form}, {"lines", f.lines}});
  j["by_form"] = std::move(forms);
  ordered_json addrs = ordered_json::array();
  for (const auto& [a, n] : r.by_addr) addrs.push_back({{"addr", a}, {"lines", n}});
  j["by_addr"] = std::move(addrs);
  out += line(j);
  return out;
}

}  // namespace reach::format
