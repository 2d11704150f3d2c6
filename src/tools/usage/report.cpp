#include "tools/usage/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "engine/usage_cycle.hpp"
#include "format/usage_json.hpp"
#include "format/usage_plugins.hpp"
#include "format/usage_text.hpp"
#include "engine/usage_history.hpp"
#include "engine/usage_plan.hpp"
#include "tools/usage/runner.hpp"
#include "tools/zone_rules.hpp"

namespace reach::tools::usage {

namespace {

constexpr std::int64_t kDay = 86400;

Result<std::vector<model::UsageBucket>> history(store::UsageStore& store, const std::vector<std::string>& ids,
                                                engine::Span kind, const config::UsageCycle& cycle,
                                                const engine::ZoneRules& zone, std::int64_t from, std::int64_t to,
                                                std::size_t max) {
  const std::vector<engine::CycleBounds> spans = engine::spans(kind, cycle, zone, from, to, max);
  if (spans.empty()) return std::vector<model::UsageBucket>{};
  auto rows = store.hours(ids, spans.front().start, spans.back().end);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<engine::HourRow> hr;
  hr.reserve(rows->size());
  for (const store::UsageBytes& b : *rows) hr.push_back({b.hour, b.rx, b.tx});
  return engine::sum_into(hr, spans, zone);
}

}  // namespace

Result<model::UsageReport> build_report(const config::UsageConfig& cfg, store::UsageStore& store, std::int64_t now,
                                        const ReportWant& want) {
  model::UsageReport rep;
  rep.now = now;
  auto all_sources = store.sources();
  if (!all_sources) return tl::unexpected(all_sources.error());
  auto counters = store.load_counters();
  if (!counters) return tl::unexpected(counters.error());
  auto problems = store.problems();
  if (!problems) return tl::unexpected(problems.error());
  const std::int64_t stale = std::max<std::int64_t>(10, 3 * cfg.poll / kNsPerSec);
  for (const config::UsagePlan& plan : cfg.plans) {
    if (!want.plan.empty() && plan.name != want.plan) continue;
    auto zone_or = SystemZone::open(plan.cycle.tz);
    if (!zone_or) return tl::unexpected(zone_or.error());
    const SystemZone& zone = *zone_or;
    const engine::CycleBounds cycle = engine::cycle_at(plan.cycle, zone, now);
    std::vector<std::string> ids;
    for (const auto& s : plan.sources) ids.push_back(s.id);
    auto total = store.total(ids, cycle.start, cycle.end);
    if (!total) return tl::unexpected(total.error());
    const engine::PlanStatus st = engine::plan_status(plan, engine::counted(plan.count, total->rx, total->tx), cycle, now);
    auto th = store.load_threshold(plan.name);
    if (!th) return tl::unexpected(th.error());
    engine::ThresholdState state;
    state.cycle_start = th->cycle_start;
    state.fired = th->fired;
    model::UsagePlanReport p = engine::plan_report(plan, st, total->rx, total->tx, state, zone, now);
    for (const config::UsageSource& src : plan.sources) {
      model::UsageSourceStatus s;
      s.id = src.id;
      s.name = src.kind == config::UsageSource::Kind::interface && !src.interface.empty() ? src.interface : src.id;
      auto row = std::find_if(all_sources->begin(), all_sources->end(), [&](const auto& r) { return r.id == src.id; });
      if (row != all_sources->end()) {
        s.name = row->name;
        s.rx_total = row->rx;
        s.tx_total = row->tx;
        s.first_seen = row->first_hour;
      }
      if (auto c = counters->find({src.id, store::UsageDir::rx}); c != counters->end() && c->second.valid)
        s.last_read = c->second.last_wall / kNsPerSec;
      if (s.first_seen == 0 && s.last_read) s.first_seen = s.last_read;
      s.ok = s.last_read > 0 && now - s.last_read <= stale;
      // The daemon's own words for a source it cannot read, while it still says so; the question
      // whether it runs only when nothing recent was written about the source at all.
      const auto pr = problems->find(src.id);
      const bool pr_fresh = pr != problems->end() && now - pr->second.seen / kNsPerSec <= stale;
      if (pr_fresh) s.ok = false;
      if (pr_fresh)
        s.problem = pr->second.problem;
      else if (!s.ok)
        s.problem = (s.last_read ? fmt::format("not read for {} s", now - s.last_read) : std::string("never read")) +
                    (pr != problems->end() ? "; last problem: " + pr->second.problem : std::string()) +
                    " (is reach usage --daemon running?)";
      auto mine = store.total({src.id}, cycle.start, cycle.end);
      if (!mine) return tl::unexpected(mine.error());
      s.rx = mine->rx;
      s.tx = mine->tx;
      p.sources.push_back(std::move(s));
    }
    // History rows: the last 24 hours, 30 days, 12 months, 12 billing cycles, as asked.
    const struct {
      bool wanted;
      engine::Span span;
      std::int64_t back;
      std::size_t max;
      std::vector<model::UsageBucket>* rows;
    } rows[] = {{want.hours, engine::Span::hour, 24 * 3600 - 1, 24, &p.hours},
                {want.days, engine::Span::day, 30 * kDay, 30, &p.days},
                {want.months, engine::Span::month, 366 * kDay, 12, &p.months},
                {want.cycles, engine::Span::cycle, 366 * kDay, 12, &p.cycles}};
    // No rows before the plan's first counted hour (vnstat -d lists days with data only).
    std::int64_t first = 0;
    for (const auto& src : p.sources)
      if (src.first_seen > 0 && (first == 0 || src.first_seen < first)) first = src.first_seen;
    for (const auto& r : rows) {
      if (!r.wanted || first == 0) continue;
      auto h = history(store, ids, r.span, plan.cycle, zone, std::max(now - r.back, first), now + 1, r.max);
      if (!h) return tl::unexpected(h.error());
      *r.rows = std::move(*h);
    }
    rep.plans.push_back(std::move(p));
  }
  return rep;
}

int report(const UsageOptions& o, const config::UsageConfig& cfg, std::ostream& out, std::ostream& err) {
  std::optional<format::UsageNagiosThresholds> nagios;
  if (o.nagios) {
    format::UsageNagiosThresholds t;
    t.warn_pct = config::parse_percent(o.warning);
    t.crit_pct = config::parse_percent(o.critical);
    if (!t.warn_pct || !t.crit_pct) {
      out << "USAGE UNKNOWN: -w and -c take a percent of the cap, like 80% (0 < p <= 1000)\n";
      return 3;
    }
    nagios = t;
  }
  if (!o.plan.empty() && !cfg.find_plan(o.plan)) {
    err << "reach usage: --plan " << o.plan << ": no such plan in " << o.config << '\n';
    return 2;
  }
  store::UsageStoreOptions so;
  so.path = *cfg.db;
  so.read_only = true;  // a report never writes, and works beside the daemon (WAL)
  auto st = store::UsageStore::open(so);
  if (!st) {
    std::string why = st.error().message();
    // Nothing counted yet: say how counting starts.
    if (st.error().err == ENOENT || why.find("no usage data") != std::string::npos)
      why += fmt::format(" (nothing counted yet: start the daemon with reach usage --config {} --daemon)", o.config);
    if (nagios) return (out << "USAGE UNKNOWN: " << why << '\n'), 3;
    err << "reach usage: " << why << '\n';
    return 2;
  }
  ReportWant want;
  want.plan = o.plan;
  want.days = o.days || o.vnstat_json;
  want.hours = o.vnstat_json;
  want.months = o.vnstat_json;
  want.cycles = o.months || o.vnstat_json;
  auto rep = build_report(cfg, **st, wall_now() / kNsPerSec, want);
  if (!rep) {
    if (nagios) return (out << "USAGE UNKNOWN: " << rep.error().message() << '\n'), 3;
    err << "reach usage: " << rep.error().message() << '\n';
    return 2;
  }
  if (nagios) return format::write_usage_nagios(out, *rep, *nagios);
  if (!o.mrtg.empty()) {
    for (const model::UsagePlanReport& p : rep->plans)
      for (const model::UsageSourceStatus& s : p.sources)
        if (s.name == o.mrtg || s.id == o.mrtg) return (out << format::usage_mrtg(s, rep->now)), 0;
    err << "reach usage: --mrtg " << o.mrtg << ": no source of that name or id in " << o.config << '\n';
    return 2;
  }
  if (o.json) out << format::usage_json(*rep);
  else if (o.vnstat_json) out << format::usage_vnstat_json(*rep);
  else if (o.days) out << format::usage_days_text(*rep);
  else if (o.months) out << format::usage_months_text(*rep);
  else out << format::usage_status_text(*rep);
  return 0;
}

}  // namespace reach::tools::usage
