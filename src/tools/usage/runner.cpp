#include "tools/usage/runner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "format/usage_text.hpp"
#include "format/wall_time.hpp"
#include "sys/clock.hpp"
#include "sys/file_lock.hpp"
#include "sys/netns.hpp"
#include "sys/link_stats.hpp"
#include "sys/spawn.hpp"
#include "tools/usage/counting.hpp"
#include "tools/watch/payloads.hpp"

namespace reach::tools::usage {

namespace {

const char* step_word(engine::StepKind k) {
  switch (k) {
    case engine::StepKind::baseline: return "first reading";
    case engine::StepKind::normal: return "normal";
    case engine::StepKind::wrap: return "counter wrapped";
    case engine::StepKind::reset: return "counter reset";
    case engine::StepKind::new_base: return "new counter";
  }
  return "?";
}

store::UsageCounterRow row_of(const engine::CounterState& s) { return {s.valid, s.base, s.last, s.last_wall, s.bits}; }
engine::CounterState state_of(const store::UsageCounterRow& r) {
  engine::CounterState s;
  s.valid = r.valid;
  s.base = r.base;
  s.last = r.last;
  s.last_wall = r.last_wall;
  s.bits = r.bits;
  return s;
}

std::string host_name() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof buf - 1) == 0 ? buf : "localhost";
}

std::string utc_text(std::int64_t unix_s) { return format::rfc3339_nano(unix_s * kNsPerSec); }

}  // namespace

TimeNs UsageClock::now() const { return wall_now(); }

TimeNs wall_now() {
  TimeNs now = sys::WallClock().now();
  // FOR TESTS ONLY: lab tests cross billing-cycle boundaries without waiting a month.
  if (const char* off = std::getenv("REACH_USAGE_TEST_TIME_OFFSET"); off && *off)
    now += static_cast<TimeNs>(std::strtoll(off, nullptr, 10)) * kNsPerSec;
  return now;
}

Runner::Runner(io::Reactor& reactor, config::UsageConfig cfg, store::UsageStore& store, store::Store* outbox,
               RunnerHooks hooks)
    : reactor_(reactor), cfg_(std::move(cfg)), store_(store), outbox_(outbox), hooks_(std::move(hooks)) {}

Runner::~Runner() {
  if (timer_) reactor_.cancel(timer_);
  if (monitor_) reactor_.unwatch(monitor_->fd());
}

Result<std::unique_ptr<Runner>> Runner::create(io::Reactor& reactor, config::UsageConfig cfg, store::UsageStore& store,
                                               store::Store* outbox, RunnerHooks hooks) {
  std::unique_ptr<Runner> r(new Runner(reactor, std::move(cfg), store, outbox, std::move(hooks)));
  if (auto l = r->load(); !l) return tl::unexpected(l.error());
  return r;
}

Result<void> Runner::load() {
  // A second daemon on the same database (reach watch and reach usage --daemon with one file)
  // would add every delta again: the first one counts, the second one refuses to start.
  const std::string lock_path = store_.path() + ".lock";
  auto lock = sys::lock_file(lock_path);
  if (!lock && lock.error().err == EWOULDBLOCK)
    return fail("usage", store_.path(), 0,
                "another reach daemon is already counting into this database (it holds " + lock_path + ")");
  if (!lock) return tl::unexpected(lock.error());
  lock_ = std::move(*lock);
  auto boot = sys::boot_id();
  if (!boot) return tl::unexpected(boot.error());
  // An ifindex names a link only within one network namespace: a daemon started in another
  // one must not take that namespace's link for the one counted before. The counter base of an
  // interface is "BOOTID.NETNS/IFINDEX".
  auto ns = sys::current_netns();
  if (!ns) return tl::unexpected(ns.error());
  boot_id_ = *boot + "." + std::to_string(ns->ino);
  auto saved = store_.load_counters();
  if (!saved) return tl::unexpected(saved.error());
  for (const config::UsagePlan& p : cfg_.plans) {
    for (const config::UsageSource& s : p.sources) {
      if (sources_.count(s.id)) continue;
      Source& rt = sources_[s.id];
      rt.cfg = s;
      if (auto it = saved->find({s.id, store::UsageDir::rx}); it != saved->end()) rt.rx = state_of(it->second);
      if (auto it = saved->find({s.id, store::UsageDir::tx}); it != saved->end()) rt.tx = state_of(it->second);
      // Still this boot: keep following the link counted before the restart (it may have been
      // renamed while we were down).
      const std::string prefix = boot_id_ + "/";
      if (s.kind == config::UsageSource::Kind::interface && rt.rx.valid && rt.rx.base.rfind(prefix, 0) == 0)
        rt.followed = std::atoi(rt.rx.base.c_str() + prefix.size());
    }
    Plan plan;
    plan.cfg = p;
    auto zone = SystemZone::open(p.cycle.tz);
    if (!zone) return tl::unexpected(zone.error());
    plan.zone = std::make_unique<SystemZone>(std::move(*zone));
    auto th = store_.load_threshold(p.name);
    if (!th) return tl::unexpected(th.error());
    plan.thresholds.cycle_start = th->cycle_start;
    plan.thresholds.fired = th->fired;
    plans_.push_back(std::move(plan));
  }
  const bool any = std::any_of(sources_.begin(), sources_.end(), [](const auto& kv) {
    return kv.second.cfg.kind == config::UsageSource::Kind::interface;
  });
  if (any) {
    auto m = sys::LinkMonitor::open();
    if (!m) return tl::unexpected(m.error());
    monitor_ = std::move(*m);
  }
  return {};
}

void Runner::start() {
  if (monitor_)
    if (auto w = reactor_.watch(monitor_->fd(), EPOLLIN, [this](std::uint32_t) { on_link_events(); }); !w)
      hooks_.error("usage: " + w.error().message() + " (a deleted link's last bytes are counted only at polls)");
  poll();
}

void Runner::on_link_events() {
  std::map<std::string, std::pair<engine::CounterState, engine::CounterState>> before;
  for (const auto& [id, s] : sources_)
    if (s.cfg.kind == config::UsageSource::Kind::interface) before[id] = {s.rx, s.tx};
  store::UsageUpdate update;
  count_deleted_links(update);
  if (!update.counters.empty()) apply(update, before);
}

void Runner::count_deleted_links(store::UsageUpdate& update) {
  if (!monitor_) return;
  auto gone = monitor_->deleted();
  if (!gone) {
    hooks_.error("usage: " + gone.error().message() + " (the last bytes of links deleted meanwhile may be lost)");
    return;
  }
  const TimeNs wall = wall_now();
  for (const sys::LinkStats& l : *gone) {
    const std::string base = boot_id_ + "/" + std::to_string(l.ifindex);
    for (auto& [id, s] : sources_) {
      if (s.cfg.kind != config::UsageSource::Kind::interface || !s.rx.valid || s.rx.base != base) continue;
      config::UsageSource exact = s.cfg;  // this very link, whatever the source matches by
      exact.mac.clear();
      exact.interface = l.name;
      auto sample = interface_sample(exact, {l}, boot_id_, wall);
      if (!sample) continue;
      // A veth reports its received bytes from its peer, detached by then: 0. A final value
      // below the last one says nothing (the counter cannot have restarted while being deleted).
      if (sample->rx.value < s.rx.last) sample->rx.value = s.rx.last;
      if (sample->tx.value < s.tx.last) sample->tx.value = s.tx.last;
      hooks_.log(fmt::format("usage: {} ({}): deleted; its last counters rx={} tx={}", id, l.name, l.rx_bytes, l.tx_bytes));
      count(s, *sample, update);
      s.followed = 0;
    }
  }
}

void Runner::finish() {
  if (timer_) reactor_.cancel(timer_), timer_ = 0;
  poll();
  if (timer_) reactor_.cancel(timer_), timer_ = 0;
  if (auto c = store_.checkpoint(); !c) hooks_.error("usage: " + c.error().message());
}

void Runner::unavailable(Source& s, const std::string& why, TimeNs wall, store::UsageUpdate& update) {
  // Not readable now (a WWAN link between sessions, an agent that does not answer): nothing to
  // count; the state stays, so what crossed meanwhile is counted once it answers again (or, for
  // a new counter base, from that base's start).
  if (s.problem != why) hooks_.log(fmt::format("usage: {}: {} (not counted until it is back)", s.cfg.id, why));
  s.problem = why;
  update.problems.push_back({s.cfg.id, why, wall});
}

void Runner::count(Source& s, const SourceSample& sample, store::UsageUpdate& update) {
  const TimeNs from = s.rx.valid ? s.rx.last_wall : 0;
  const engine::CounterStep r = engine::advance(s.rx, sample.rx, sample.max_rate);
  const engine::CounterStep t = engine::advance(s.tx, sample.tx, sample.max_rate);
  update.counters.push_back({s.cfg.id, store::UsageDir::rx, row_of(s.rx)});
  update.counters.push_back({s.cfg.id, store::UsageDir::tx, row_of(s.tx)});
  std::vector<store::UsageBytes> hours;
  spread_hours(r.bytes, t.bytes, from, sample.rx.wall, hours);
  for (const store::UsageBytes& b : hours) update.bytes.push_back({s.cfg.id, b});
  const std::string& name = sample.display;
  if (name != s.name) {
    if (!s.name.empty()) hooks_.log(fmt::format("usage: {}: now named {} (was {})", s.cfg.id, name, s.name));
    update.names.emplace_back(s.cfg.id, name);
    s.name = name;
  }
  if (!s.problem.empty()) {
    hooks_.log(fmt::format("usage: {} ({}): counting again", s.cfg.id, name));
    update.problems.push_back({s.cfg.id, "", sample.rx.wall});
  }
  s.problem.clear();
  if (r.kind == engine::StepKind::baseline || t.kind == engine::StepKind::baseline)
    hooks_.log(fmt::format("usage: {} ({}): counting from rx={} tx={}", s.cfg.id, name, sample.rx.value,
                           sample.tx.value));
  else if (r.kind != engine::StepKind::normal || t.kind != engine::StepKind::normal)
    hooks_.log(fmt::format("usage: {} ({}): rx {} (+{}), tx {} (+{})", s.cfg.id, name, step_word(r.kind), r.bytes,
                           step_word(t.kind), t.bytes));
}

void Runner::count_interfaces(TimeNs wall, store::UsageUpdate& update) {
  const bool any = std::any_of(sources_.begin(), sources_.end(), [](const auto& kv) {
    return kv.second.cfg.kind == config::UsageSource::Kind::interface;
  });
  if (!any) return;
  auto links = sys::read_link_stats();
  if (!links) {
    if (link_problem_.empty()) hooks_.error("usage: " + links.error().message());
    link_problem_ = links.error().message();
    return;
  }
  link_problem_.clear();
  for (auto& [id, s] : sources_) {
    if (s.cfg.kind != config::UsageSource::Kind::interface) continue;
    auto sample = follow_interface(s.cfg, *links, boot_id_, wall, s.followed);
    if (!sample) {
      unavailable(s, sample.error().detail.empty() ? sample.error().message() : sample.error().detail, wall, update);
      continue;
    }
    count(s, *sample, update);
  }
}

void Runner::start_remote(Source& s) {
  if (s.in_flight) return;  // a slow agent or script is read at its own pace, never twice at once
  if (!worker_) {
    auto w = io::Worker::create(reactor_);
    if (!w) {
      store::UsageUpdate update;
      unavailable(s, w.error().message(), wall_now(), update);
      (void)store_.commit(update);
      return;
    }
    worker_ = std::move(*w);
  }
  s.in_flight = true;
  if (s.cfg.kind == config::UsageSource::Kind::snmp && !s.snmp) s.snmp = std::make_unique<SnmpSampler>(s.cfg.snmp);
  SnmpSampler* snmp = s.snmp.get();
  const config::UsageSource cfg = s.cfg;
  const TimeNs timeout = std::max<TimeNs>(cfg_.poll, 30 * kNsPerSec);
  worker_->run([this, snmp, cfg, timeout]() -> io::Worker::Continuation {
    static const UsageClock clock;
    Result<SourceSample> r = snmp ? snmp->sample(clock) : mrtg_sample(cfg, timeout, clock);
    return [this, id = cfg.id, r = std::move(r)]() mutable { on_remote(id, std::move(r)); };
  });
}

void Runner::on_remote(const std::string& id, Result<SourceSample> sample) {
  auto it = sources_.find(id);
  if (it == sources_.end()) return;
  Source& s = it->second;
  s.in_flight = false;
  std::map<std::string, std::pair<engine::CounterState, engine::CounterState>> before{{id, {s.rx, s.tx}}};
  store::UsageUpdate update;
  if (sample) count(s, *sample, update);
  else unavailable(s, sample.error().message(), wall_now(), update);
  apply(update, before);
}

void Runner::poll() {
  timer_ = reactor_.after(cfg_.poll, [this] {
    timer_ = 0;
    poll();
  });
  const TimeNs wall = wall_now();
  std::map<std::string, std::pair<engine::CounterState, engine::CounterState>> before;
  for (const auto& [id, s] : sources_)
    if (s.cfg.kind == config::UsageSource::Kind::interface) before[id] = {s.rx, s.tx};
  store::UsageUpdate update;
  // Deletions first: a link deleted (and perhaps re-created under its name) since the last poll
  // is counted to its end before the dump finds it gone.
  count_deleted_links(update);
  count_interfaces(wall, update);
  apply(update, before);
  for (auto& [id, s] : sources_)
    if (s.cfg.kind != config::UsageSource::Kind::interface) start_remote(s);
}

void Runner::apply(const store::UsageUpdate& update,
                   std::map<std::string, std::pair<engine::CounterState, engine::CounterState>>& before) {
  // What was advanced in memory is kept only when its commit succeeds; on failure the states go
  // back, and the next reading counts the same bytes again from the committed state.
  if (auto c = store_.commit(update); !c) {
    for (auto& [id, st] : before) std::tie(sources_[id].rx, sources_[id].tx) = st;
    if (!store_failing_) hooks_.error("usage: " + c.error().message() + " (the bytes are counted when writing works again)");
    store_failing_ = true;
    return;
  }
  if (store_failing_) hooks_.log("usage: writing again");
  store_failing_ = false;
  const std::int64_t now_s = wall_now() / kNsPerSec;
  for (Plan& p : plans_) {
    // A cycle (re)loaded from the store already holds this commit's bytes.
    const bool reloaded = refresh_cycle(p, now_s);
    for (const auto& b : update.bytes) {
      if (reloaded) break;
      if (b.bytes.hour < p.cycle.start || b.bytes.hour >= p.cycle.end) continue;
      if (std::none_of(p.cfg.sources.begin(), p.cfg.sources.end(), [&](const auto& s) { return s.id == b.source; }))
        continue;
      p.rx += b.bytes.rx;
      p.tx += b.bytes.tx;
    }
    check_thresholds(p, now_s);
  }
}

bool Runner::refresh_cycle(Plan& p, std::int64_t now_s) {
  if (p.cycle.end > p.cycle.start && now_s >= p.cycle.start && now_s < p.cycle.end) return false;
  const engine::CycleBounds c = engine::cycle_at(p.cfg.cycle, *p.zone, now_s);
  std::vector<std::string> ids;
  for (const auto& s : p.cfg.sources) ids.push_back(s.id);
  // The cycle's buckets: hours that start inside it (a cycle starts on a whole hour unless its
  // zone is offset by a fraction of an hour; then the hour is the cycle's it starts in).
  auto t = store_.total(ids, c.start, c.end);
  if (!t) {
    hooks_.error("usage: " + t.error().message());
    return false;  // tried again at the next poll
  }
  if (p.cycle.end > 0) hooks_.log(fmt::format("usage: plan {}: new cycle {} .. {}", p.cfg.name, utc_text(c.start), utc_text(c.end)));
  // A new cycle lifts the last one's block now (its kernel timeout would at the same moment,
  // except under the test clock offset or a changed cycle).
  if (p.cycle.end > 0 && p.cfg.on_cap_block) block_plan(p, false, 0);
  p.cycle = c;
  p.rx = t->rx;
  p.tx = t->tx;
  return true;
}

void Runner::check_thresholds(Plan& p, std::int64_t now_s) {
  if (p.cycle.end <= p.cycle.start) return;
  const std::uint64_t used = engine::counted(p.cfg.count, p.rx, p.tx);
  const engine::PlanStatus st = engine::plan_status(p.cfg, used, p.cycle, now_s);
  const engine::ThresholdState before = p.thresholds;
  const std::vector<int> crossed = engine::crossed(p.thresholds, p.cfg, st);
  if (p.thresholds.cycle_start == before.cycle_start && p.thresholds.fired == before.fired) return;
  const TimeNs wall = now_s * kNsPerSec;
  std::vector<store::Store::Notification> items;
  for (int pct : crossed) {
    if (pct == engine::kOnCap) continue;
    hooks_.log(pct == engine::kProjected ? fmt::format("usage: plan {}: projected to exceed its cap", p.cfg.name)
                       : fmt::format("usage: plan {}: {}% of the cap used", p.cfg.name, pct));
    notifications(p, pct, st, wall, items);
  }
  // The crossings and the state that records them commit together (one transaction of the
  // outbox's connection): a kill -9 in between can neither send one twice nor lose one.
  const store::UsageThresholdRow row{p.thresholds.cycle_start, p.thresholds.fired};
  Result<void> saved;
  if (!items.empty()) {
    auto q = store::enqueue_with_threshold(*outbox_, std::move(items), p.cfg.name, row, sys::WallClock().now());
    if (!q) saved = tl::unexpected(q.error());
  } else {
    saved = store_.save_threshold(p.cfg.name, row);
  }
  if (!saved) {
    // Decided again at the next poll, when writing works.
    p.thresholds = before;
    hooks_.error("usage: " + saved.error().message());
    return;
  }
  if (std::find(crossed.begin(), crossed.end(), engine::kOnCap) != crossed.end()) run_on_cap(p, st);
  if (!crossed.empty() && hooks_.queued) hooks_.queued();
}

std::vector<std::string> block_names(const config::UsagePlan& p) {
  std::vector<std::string> out;
  for (const auto& s : p.sources)
    if (s.kind == config::UsageSource::Kind::interface && !s.interface.empty() &&
        std::find(out.begin(), out.end(), s.interface) == out.end())
      out.push_back(s.interface);
  return out;
}

void Runner::block_plan(const Plan& p, bool block, std::int64_t cycle_end_s) {
  const std::vector<std::string> names = block_names(p.cfg);
  auto r = [&]() -> Result<void> {
    if (!nft_) {
      auto n = io::NftUsageBlock::open();
      if (!n) return tl::unexpected(n.error());
      nft_ = std::move(*n);
    }
    if (!block) return nft_->unblock(names);
    if (auto e = nft_->ensure(p.cfg.on_cap_allow); !e) return e;
    return nft_->block(names, io::block_timeout(cycle_end_s, wall_now() / kNsPerSec));
  }();
  if (!r) return hooks_.error(fmt::format("usage: plan {}: on_cap.block: {}", p.cfg.name, r.error().message()));
  hooks_.log(block ? fmt::format("usage: plan {}: blocked {} until {} (essential traffic stays open)", p.cfg.name,
                                 fmt::join(names, ", "), utc_text(cycle_end_s))
                   : fmt::format("usage: plan {}: unblocked {}", p.cfg.name, fmt::join(names, ", ")));
}

void Runner::run_on_cap(const Plan& p, const engine::PlanStatus& st) {
  // Recorded before it runs: at most once per cycle (a kill -9 in the microseconds between the
  // commit and the start loses it, rather than a restart running it twice).
  if (p.cfg.on_cap_block) block_plan(p, true, st.cycle.end);
  if (p.cfg.on_cap_exec.empty()) return;
  hooks_.log(fmt::format("usage: plan {}: cap reached, running on_cap.exec", p.cfg.name));
  if (!worker_) {
    auto w = io::Worker::create(reactor_);
    if (!w) return hooks_.error("usage: plan " + p.cfg.name + ": on_cap.exec: " + w.error().message());
    worker_ = std::move(*w);
  }
  std::vector<std::string> env = sys::current_environment();
  for (auto [k, v] : {std::pair<const char*, std::string>{"REACH_USAGE_EVENT", "cap_reached"},
                      {"REACH_USAGE_PLAN", p.cfg.name},
                      {"REACH_USAGE_USED_BYTES", std::to_string(st.used)},
                      {"REACH_USAGE_CAP_BYTES", std::to_string(st.cap)},
                      {"REACH_USAGE_PERCENT", fmt::format("{:.1f}", st.percent)},
                      {"REACH_USAGE_COUNT", config::usage_count_word(p.cfg.count)},
                      {"REACH_USAGE_CYCLE_START", utc_text(st.cycle.start)},
                      {"REACH_USAGE_CYCLE_END", utc_text(st.cycle.end)},
                      {"REACH_USAGE_CYCLE_END_UNIX", std::to_string(st.cycle.end)}})
    env.push_back(std::string(k) + "=" + v);
  worker_->run([this, argv = p.cfg.on_cap_exec, env = std::move(env), name = p.cfg.name]() -> io::Worker::Continuation {
    auto r = sys::run_command(argv, env, kOnCapTimeout);
    return [this, name, r = std::move(r)] {
      if (r) hooks_.log(fmt::format("usage: plan {}: on_cap.exec finished", name));
      else hooks_.error(fmt::format("usage: plan {}: on_cap.exec: {}", name, r.error().message()));
    };
  });
}

void Runner::notifications(const Plan& p, int pct, const engine::PlanStatus& st, TimeNs wall,
                           std::vector<store::Store::Notification>& items) {
  if (!outbox_ || p.cfg.notify.empty()) return;
  model::WatchEvent e;
  e.kind = model::WatchEvent::Kind::firing;
  e.wall = e.since_wall = wall;
  e.target = p.cfg.name;
  e.alert = pct == engine::kProjected ? "usage_projected" : fmt::format("usage_{}pct", pct);
  std::string text = fmt::format("plan {}: {} of {} used ({:.1f}%) in the cycle {} .. {}", p.cfg.name,
                                 format::usage_bytes(st.used), format::usage_bytes(st.cap), st.percent, utc_text(st.cycle.start),
                                 utc_text(st.cycle.end));
  if (st.projected_exhaustion) text += fmt::format("; projected to reach the cap at {}", utc_text(*st.projected_exhaustion));
  text += st.daily_budget > 0 ? fmt::format("; {}/day left for {} day{}", format::usage_bytes(st.daily_budget), st.days_left,
                                            st.days_left == 1 ? "" : "s")
                              : std::string("; no budget left this cycle");
  e.reason = std::move(text);
  watch::AlertContext ctx;
  ctx.instance = host_name();
  ctx.probe = "usage";
  ctx.labels = {{"cap_bytes", std::to_string(st.cap)},
                {"plan", p.cfg.name},
                {"threshold", pct == engine::kProjected ? "projected" : std::to_string(pct)}};
  for (const std::string& name : p.cfg.notify) {
    auto n = std::find_if(cfg_.notifiers.begin(), cfg_.notifiers.end(), [&](const auto& x) { return x.name == name; });
    if (n == cfg_.notifiers.end()) continue;
    // The outbox runs on the real clock (its sender is watch's); only the payload's time is ours.
    items.push_back({name, watch::notifier_payload(*n, e, ctx)});
  }
}

std::vector<PlanNow> Runner::plans_now() const {
  std::vector<PlanNow> out;
  const std::int64_t now_s = wall_now() / kNsPerSec;
  for (const Plan& p : plans_) {
    out.push_back({p.cfg.name, engine::plan_status(p.cfg, engine::counted(p.cfg.count, p.rx, p.tx), p.cycle, now_s),
                   p.rx, p.tx});
  }
  return out;
}

}  // namespace reach::tools::usage
