// MRTG, Nagios and Prometheus exports of `reach usage` (usage_plugins.hpp).
#include "format/usage_plugins.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "format/nagios_perf.hpp"
#include "format/usage_text.hpp"
#include "format/watch_mrtg.hpp"

namespace reach::format {

std::string usage_mrtg(const model::UsageSourceStatus& s, std::int64_t now) {
  std::string name = s.name;
  for (char& c : name)
    if (c == '\n' || c == '\r') c = ' ';  // the name is one line
  if (s.last_read == 0)
    return fmt::format("UNKNOWN\nUNKNOWN\n{}\n{}\n", mrtg_uptime(0), name);
  TimeNs up = (now - std::min(now, s.first_seen)) * kNsPerSec;
  return fmt::format("{}\n{}\n{}\n{}\n", s.rx_total, s.tx_total, mrtg_uptime(up), name);
}

namespace {

bool at_least(const model::UsagePlanReport& p, std::optional<double> pct) {
  if (!pct) return false;
  // Exact on bytes: used >= cap * pct / 100, computed in long double (64-bit mantissa).
  return static_cast<long double>(p.used) * 100 >= static_cast<long double>(p.cap) * static_cast<long double>(*pct);
}

std::string bytes_at(const model::UsagePlanReport& p, std::optional<double> pct) {
  if (!pct) return "";
  // A cap near 2^64 at a percent above 100 is past any byte count: the conversion of a value
  // out of range gave 0, a threshold every count is over.
  const long double b = std::ceil(static_cast<long double>(p.cap) * *pct / 100);
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  return fmt::format("{}", b >= static_cast<long double>(kMax) ? kMax : static_cast<std::uint64_t>(b));
}

std::string perfdata(const model::UsagePlanReport& p, const UsageNagiosThresholds& t) {
  auto pct = [](std::optional<double> v) { return v ? fmt::format("{:g}", *v) : std::string(); };
  return fmt::format("{}={}B;{};{};0;{} {}={:.2f}%;{};{};0;100", nagios_perf_label(p.name), p.used,
                     bytes_at(p, t.warn_pct), bytes_at(p, t.crit_pct), p.cap, nagios_perf_label(p.name + "_pct"),
                     p.percent, pct(t.warn_pct), pct(t.crit_pct));
}

std::string describe(const model::UsagePlanReport& p) {
  std::string s = fmt::format("{} {:.1f}% of {} ({})", p.name, p.percent, usage_bytes(p.cap), usage_bytes(p.used));
  if (p.used >= p.cap) s += ", over the cap";
  else s += fmt::format(", {}/day left for {} day{}", usage_bytes(p.daily_budget), p.days_left, p.days_left == 1 ? "" : "s");
  for (const auto& src : p.sources)
    if (!src.ok) s += fmt::format(", {}: {}", src.name, src.problem);
  return nagios_text(s);
}

}  // namespace

NagiosState usage_nagios_state(const model::UsagePlanReport& p, const UsageNagiosThresholds& t) {
  if (at_least(p, t.crit_pct)) return NagiosState::critical;
  if (at_least(p, t.warn_pct)) return NagiosState::warning;
  bool broken = std::any_of(p.sources.begin(), p.sources.end(), [](const auto& s) { return !s.ok; });
  return broken ? NagiosState::unknown : NagiosState::ok;
}

int write_usage_nagios(std::ostream& out, const model::UsageReport& report, const UsageNagiosThresholds& t) {
  if (report.plans.empty()) {
    out << "USAGE UNKNOWN: no plans\n";
    out.flush();
    return static_cast<int>(NagiosState::unknown);
  }
  // Severity for the summary: CRITICAL > WARNING > UNKNOWN > OK (the cap is what matters).
  auto rank = [](NagiosState s) {
    return s == NagiosState::critical ? 3 : s == NagiosState::warning ? 2 : s == NagiosState::unknown ? 1 : 0;
  };
  NagiosState worst = NagiosState::ok;
  std::vector<std::string> perf, texts, bad;
  for (const auto& p : report.plans) {
    NagiosState s = usage_nagios_state(p, t);
    if (rank(s) > rank(worst)) worst = s;
    perf.push_back(perfdata(p, t));
    texts.push_back(describe(p));
    if (s != NagiosState::ok) bad.push_back(fmt::format("{} {}", nagios_state_word(s), describe(p)));
  }
  out << "USAGE " << nagios_state_word(worst) << ": " << fmt::format("{}", fmt::join(texts, "; ")) << " | "
      << fmt::format("{}", fmt::join(perf, " ")) << '\n';
  if (report.plans.size() > 1)
    for (const auto& b : bad) out << b << '\n';
  out.flush();
  return static_cast<int>(worst);
}

std::vector<prom::Family> usage_metric_families(const model::UsageReport& report) {
  using prom::Family;
  using prom::Type;
  Family cycle{"reach_usage_cycle_bytes", Type::gauge, "Bytes counted in the current billing cycle, by direction.", {}};
  Family used{"reach_usage_used_bytes", Type::gauge, "Bytes the plan counts against its cap in the current cycle.", {}};
  Family cap{"reach_usage_cap_bytes", Type::gauge, "The plan's data cap.", {}};
  Family ratio{"reach_usage_ratio", Type::gauge, "Used bytes over the cap (1 = at the cap).", {}};
  Family start{"reach_usage_cycle_start_timestamp_seconds", Type::gauge, "Start of the current billing cycle.", {}};
  Family end{"reach_usage_cycle_end_timestamp_seconds", Type::gauge, "End of the current billing cycle.", {}};
  Family budget{"reach_usage_daily_budget_bytes", Type::gauge, "Bytes per day left until the cycle ends.", {}};
  Family projected{"reach_usage_projected_exhaustion_timestamp_seconds", Type::gauge,
                   "When the cap is reached at this cycle's average rate (only when before the cycle ends).", {}};
  Family fired{"reach_usage_threshold_fired", Type::gauge, "1 when the threshold was crossed this cycle.", {}};
  Family src_bytes{"reach_usage_source_bytes", Type::counter, "Bytes counted from a source since reach first saw it.", {}};
  Family src_up{"reach_usage_source_up", Type::gauge, "1 when the source's last read succeeded.", {}};
  auto d = [](auto v) { return static_cast<double>(v); };
  for (const auto& p : report.plans) {
    prom::Labels l{{"plan", p.name}};
    auto with = [&](const char* k, std::string v) {
      prom::Labels x = l;
      x.emplace_back(k, std::move(v));
      return x;
    };
    cycle.samples.emplace_back(with("direction", "rx"), d(p.rx));
    cycle.samples.emplace_back(with("direction", "tx"), d(p.tx));
    used.samples.emplace_back(l, d(p.used));
    cap.samples.emplace_back(l, d(p.cap));
    ratio.samples.emplace_back(l, p.cap ? d(p.used) / d(p.cap) : 0.0);
    start.samples.emplace_back(l, d(p.cycle_start));
    end.samples.emplace_back(l, d(p.cycle_end));
    budget.samples.emplace_back(l, d(p.daily_budget));
    if (p.projected_exhaustion) projected.samples.emplace_back(l, d(*p.projected_exhaustion));
    for (int pct : p.thresholds) {
      bool f = std::find(p.fired.begin(), p.fired.end(), pct) != p.fired.end();
      fired.samples.emplace_back(with("percent", std::to_string(pct)), f ? 1.0 : 0.0);
    }
    for (const auto& s : p.sources) {
      prom::Labels sl{{"plan", p.name}, {"source", s.id}, {"name", s.name}};
      auto dir = [&](const char* v) {
        prom::Labels x = sl;
        x.emplace_back("direction", v);
        return x;
      };
      src_bytes.samples.emplace_back(dir("rx"), d(s.rx_total));
      src_bytes.samples.emplace_back(dir("tx"), d(s.tx_total));
      src_up.samples.emplace_back(sl, s.ok ? 1.0 : 0.0);
    }
  }
  std::vector<Family> out;
  for (auto* f : {&cycle, &used, &cap, &ratio, &start, &end, &budget, &projected, &fired, &src_bytes, &src_up})
    if (!f->samples.empty()) out.push_back(std::move(*f));
  return out;
}

}  // namespace reach::format
