#include "tools/watch/daemon.hpp"

#include <fmt/format.h>
#include <linux/capability.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/address.hpp"
#include "config/values.hpp"
#include "io/daemon_signals.hpp"
#include "tools/watch/payloads.hpp"
#include "sys/caps.hpp"
#include "sys/clock.hpp"
#include "sys/daemon_privs.hpp"
#include "sys/file_lock.hpp"
#include "sys/localtime.hpp"
#include "sys/random.hpp"
#include "tools/watch/module_spec.hpp"
#include "tools/watch/snmp_prober.hpp"

namespace reach::tools::watch {

using model::RoundResult;
using model::WatchEvent;

namespace {

TimeNs wall_now() { return sys::WallClock().now(); }

engine::AlertRule engine_rule(const config::AlertRule& a) {
  engine::AlertRule r;
  r.name = a.name;
  r.failures = a.failures;
  r.successes = a.successes;
  r.flap = a.flap.enabled;
  r.flap_window = std::min(a.flap.window, 32);
  r.flap_low = a.flap.low;
  r.flap_high = a.flap.high;
  r.reminder = a.reminder;
  r.quorum = a.quorum;
  return r;
}

// The state shown when no alert rule applies: the last round's verdict, undamped.
const engine::AlertRule kShownRule = [] {
  engine::AlertRule r;
  r.name = "state";
  r.failures = 1;
  r.successes = 1;
  r.flap = false;
  return r;
}();

std::uint64_t name_seed(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

}  // namespace

Daemon::Daemon(DaemonOptions opts, std::ostream& out, std::ostream& err)
    : opts_(std::move(opts)), out_(out), err_(err) {}

Daemon::~Daemon() {
  http_.reset();
  paths_.reset();
  peer_http_.reset();
  probers_.reset();
  sender_.reset();
}

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonOptions opts, std::ostream& out, std::ostream& err) {
  std::unique_ptr<Daemon> d(new Daemon(std::move(opts), out, err));
  if (auto s = d->start(); !s) return tl::unexpected(s.error());
  return d;
}

ProbeSpec Daemon::spec_for(std::uint32_t id, const config::WatchTarget& t) const {
  ProbeSpec s;
  if (!t.module.empty()) {
    const config::BbModule* m = opts_.modules.find(t.module);
    const std::string target = !t.url.empty() ? t.url : t.port > 0 ? join_host_port(t.host, static_cast<std::uint16_t>(t.port)) : t.host;
    Result<ProbeSpec> ms = m ? spec_from_module(*m, target, t.timeout)
                             : Result<ProbeSpec>(fail("module", t.module, 0, "no such module"));
    if (ms) s = *ms;
    else s.error = ms.error().message();
  } else {
    s.kind = t.probe;
    s.host = t.host;
    s.port = t.port;
    s.url = t.url;
    s.packets = t.packets;
    s.timeout = t.timeout;
    s.http.body_limit = t.body_size_limit;
    if (auto e = http_expect(t.expect_status, t.expect_status_text, t.body, t.body_regex, t.cert_days))
      s.http.expect = std::move(*e);
    else
      s.error = e.error().message();
    if (t.probe == model::WatchProbe::dnsbl) {
      s.dnsbl_zones = t.zones;
      s.dnsbl_server = t.dns_server;
    }
    if (t.probe == model::WatchProbe::dns) {
      s.dns.name = t.dns.name;
      s.dns.type = t.dns.type;
      s.host = t.dns.server.empty() ? t.host : t.dns.server;
      if (auto hp = split_host_port(s.host)) {
        s.host = hp->first;
        if (hp->second) s.port = hp->second;
      }
    }
    if (t.probe == model::WatchProbe::snmp)
      if (auto e = snmp_spec(t, s.snmp); !e.empty()) s.error = e;
  }
  s.id = id;
  s.name = t.name;
  s.timeout = std::min(s.timeout, t.timeout > 0 ? t.timeout : s.timeout);
  // SmokePing sends a round's pings back to back; spacing them a little keeps one burst from
  // measuring a queue of our own making, and the round well inside one interval.
  if (s.packets > 1) s.spacing = std::clamp<TimeNs>(t.interval / (2 * s.packets), 10 * kNsPerMs, kNsPerSec);
  return s;
}

void Daemon::apply(const config::WatchConfig& cfg, bool initial) {
  const TimeNs now = reactor_->refresh_now();
  std::set<std::string, std::less<>> keep;
  for (const config::WatchTarget& t : cfg.targets) {
    keep.insert(t.name);
    auto it = by_name_.find(t.name);
    if (it == by_name_.end()) {
      const std::uint32_t id = next_id_++;
      Target& rt = targets_[id];
      rt.id = id;
      rt.cfg = t;
      rt.spec = spec_for(id, t);
      by_name_.emplace(t.name, id);
      sched_.upsert(id, t.interval, name_seed(t.name), now);
      continue;
    }
    Target& rt = targets_.at(it->second);
    const bool reprobe = rt.spec.kind != t.probe || rt.cfg.host != t.host || rt.cfg.port != t.port ||
                         rt.cfg.url != t.url || rt.cfg.module != t.module || rt.cfg.packets != t.packets;
    rt.cfg = t;
    rt.spec = spec_for(rt.id, t);
    if (reprobe) probers_->cancel(rt.id), rt.in_flight = 0;
    sched_.upsert(rt.id, t.interval, name_seed(t.name), now);
  }
  std::vector<std::string> gone;
  for (auto it = by_name_.begin(); it != by_name_.end();) {
    if (keep.count(it->first)) {
      ++it;
      continue;
    }
    gone.push_back(it->first);
    probers_->cancel(it->second);
    sched_.remove(it->second);
    targets_.erase(it->second);
    it = by_name_.erase(it);
  }
  if (writer_ && !gone.empty()) writer_->forget_alert_states(std::move(gone));
  // Alert rules that no longer apply to a target lose their state; new ones start unknown.
  for (auto& entry : targets_) {
    Target& t = entry.second;
    std::erase_if(t.alerts, [&](const auto& kv) {
      auto r = std::find_if(cfg.alerts.begin(), cfg.alerts.end(), [&](const auto& a) { return a.name == kv.first; });
      return r == cfg.alerts.end() || !r->applies_to(t.cfg.name);
    });
  }
  if (!initial) opts_.config = cfg;
  arm();
}

Result<void> Daemon::start() {
  auto r = io::Reactor::create();
  if (!r) return tl::unexpected(r.error());
  reactor_ = std::move(*r);
  // Before anything that starts a thread (it inherits the blocked signals) or writes stdout.
  io::DaemonSignals sig{"reach watch", [this] { stop(exit_code_); }, {}, [this](const std::string& line) {
                          err_ << "reach watch: " << line << '\n' << std::flush;
                        }, !opts_.rounds};
  if (!opts_.config_path.empty() || opts_.reopen_events)
    sig.reload = [this] {
      const bool reopened = opts_.reopen_events && opts_.reopen_events();
      if (opts_.config_path.empty()) {
        // Said so that a SIGHUP to a command-line daemon is not taken for one it ignored.
        if (reopened)
          err_ << "reach watch: SIGHUP: started from the command line: reopened --events, nothing else to reload\n"
               << std::flush;
        return;
      }
      // A failure was said once by reload() (its error event); success is said here.
      if (reload())
        err_ << "reach watch: " << opts_.config_path << ": reloaded: watching " << targets_.size() << " targets\n"
             << std::flush;
    };
  if (auto h = io::handle_daemon_signals(*reactor_, std::move(sig)); !h) return h;
  key_ = sys::random64();
  auto p = Probers::create(*reactor_, key_);
  if (!p) return tl::unexpected(p.error());
  probers_ = std::move(*p);

  // Everything that needs a privilege is opened first: raw sockets, listen sockets, the db.
  auto any = [&](model::WatchProbe kind) {
    return std::any_of(opts_.config.targets.begin(), opts_.config.targets.end(),
                       [&](const auto& t) { return t.probe == kind; });
  };
  // SYN rounds read ICMP errors about their SYNs on the raw ICMP socket.
  const bool any_syn = any(model::WatchProbe::syn);
  if (any(model::WatchProbe::icmp) || any_syn || !opts_.config_path.empty()) probers_->open_icmp_sockets();
  if (any(model::WatchProbe::http))
    if (auto h = io::load_http_library(); !h) return h;
  if (opts_.config.db) {
    store::Options so;
    so.path = *opts_.config.db;
    so.retention = {opts_.config.history.raw, opts_.config.history.minute, opts_.config.history.hour};
    auto lock = sys::lock_for_daemon(so.path, "watch");
    if (!lock) return tl::unexpected(lock.error());
    db_lock_ = std::move(*lock);
    auto s = store::Store::open(so);
    if (!s) return tl::unexpected(s.error());
    store_ = std::move(*s);
    // History is written off the probe loop (a rollup may take seconds on a busy machine).
    auto w = store::Writer::open(so);
    if (!w) return tl::unexpected(w.error());
    writer_ = std::move(*w);
    if (auto l = notify::load_notifier_libraries(opts_.config.notifiers); !l) return l;
    notify::OutboxSender::Hooks hooks;
    hooks.find = [this](std::string_view name) { return opts_.config.find_notifier(name); };
    hooks.password = [this](std::string_view name) {
      auto pw = mail_passwords_.find(std::string(name));
      return pw != mail_passwords_.end() ? pw->second : std::string();
    };
    hooks.error = [this](const std::string& line) {
      emit(WatchEvent{WatchEvent::Kind::error, wall_now(), {}, {}, {}, {}, line, 0});
    };
    hooks.writer = writer_.get();
    sender_ = std::make_unique<notify::OutboxSender>(*reactor_, *store_, std::move(hooks));
  }
  if (auto u = start_usage(); !u) return u;
  if (opts_.config.listen)
    if (auto h = start_http(); !h) return h;
  // Read while still privileged: the file may be readable by root alone.
  if (auto pw = read_mail_passwords(opts_.config)) mail_passwords_ = std::move(*pw);
  else return tl::unexpected(pw.error());

  // A daemon keeps CAP_NET_RAW alone, so a reload can open raw sockets again; nothing else.
  // Targets from the command line never change: every capability goes, but CAP_NET_RAW when
  // there are syn:// targets (their raw TCP socket opens at the first round, as a daemon's).
  bool low_port = false;
  if (http_)
    for (auto port : http_->bound_ports()) low_port |= port < 1024;
  if (opts_.config_path.empty() && !opts_.config.user && !(any_syn && sys::has_net_raw())) {
    if (auto d = sys::drop_all_capabilities(); !d) return d;
  } else if (sys::has_net_raw()) {
    Result<void> kept = opts_.config.user
                            ? (low_port ? sys::switch_user(*opts_.config.user, {CAP_NET_RAW, CAP_NET_BIND_SERVICE})
                                        : sys::switch_user(*opts_.config.user, {CAP_NET_RAW}))
                            : (low_port ? sys::keep_only_capabilities({CAP_NET_RAW, CAP_NET_BIND_SERVICE})
                                        : sys::keep_only_capabilities({CAP_NET_RAW}));
    if (!kept) return kept;
  } else if (opts_.config.user) {
    if (auto s = sys::switch_user(*opts_.config.user, {}); !s) return s;
  } else if (auto d = sys::drop_all_capabilities(); !d) {
    return d;
  }

  // Alert state saved by an earlier run resumes (a restart neither re-fires nor forgets).
  apply(opts_.config, true);
  if (store_) {
    if (auto saved = store_->load_alert_states()) {
      for (const store::AlertState& a : *saved) {
        auto it = by_name_.find(a.target);
        if (it == by_name_.end()) continue;
        engine::AlertState s;
        s.state = a.state;
        s.since = a.since_wall;
        s.fail_run = static_cast<int>(a.failures);
        s.ok_run = static_cast<int>(a.successes);
        s.results = static_cast<std::uint32_t>(a.flap_bits);
        s.results_len = static_cast<int>(std::min<std::uint32_t>(a.flap_rounds, 32));
        s.flapping = a.flapping;
        s.firing = a.firing;
        s.notified = a.last_notified_wall;
        s.alert_since = a.alert_since_wall;
        targets_.at(it->second).alerts[a.alert] = s;
      }
    }
  }
  last_reload_wall_ = wall_now();

  // The history thread only now: it inherits the capabilities this one kept and the signals
  // the loop blocked (a stop signal must go to the loop's signalfd, not kill the process there).
  if (writer_) writer_->start();
  reactor_->after(kNsPerSec, [this] { flush_history(); });
  if (store_) reactor_->after(kNsPerSec, [this] { pump_outbox(); });
  if (opts_.live) reactor_->after(0, [this] { redraw(); });
  configure_peers();
  if (!opts_.config_path.empty()) err_ << startup_line() << std::flush;
  return {};
}

// One line on stderr when a daemon is up (stdout may carry NDJSON events): what it watches and
// where it answers, so an operator starting it by hand sees it did start.
std::string Daemon::startup_line() const {
  const std::size_t n = opts_.config.targets.size();
  std::string s = "reach watch: " + opts_.config_path + ": watching " + std::to_string(n) + (n == 1 ? " target" : " targets");
  if (http_ && opts_.config.listen) {
    s += "; HTTP on " + *opts_.config.listen;
    const auto ports = http_->bound_ports();
    if (!ports.empty() && opts_.config.listen->ends_with(":0")) s += " (port " + std::to_string(ports.front()) + ")";
  }
  s += opts_.config.db ? "; history in " + *opts_.config.db : "; no history (no db:)";
  return s + '\n';
}

Result<void> Daemon::reload() {
  std::ifstream in(opts_.config_path, std::ios::binary);
  if (!in) {
    const int e = errno;
    reload_error_ = fmt::format("{}: cannot read", opts_.config_path);
    emit(WatchEvent{WatchEvent::Kind::error, wall_now(), {}, {}, {}, {}, "reload failed: " + reload_error_, 0});
    return fail("reload", opts_.config_path, e, "cannot read the file");
  }
  std::stringstream text;
  text << in.rdbuf();
  auto cfg = config::parse_watch_config(text.str(), opts_.config_path);
  if (cfg) cfg = config::apply_overrides(std::move(*cfg), opts_.overrides);
  if (!cfg) {
    reload_error_ = cfg.error().message();
    emit(WatchEvent{WatchEvent::Kind::error, wall_now(), {}, {}, {}, {}, "reload failed: " + reload_error_, 0});
    return tl::unexpected(cfg.error().to_error());
  }
  if (cfg->modules != opts_.config.modules && cfg->modules) {
    if (auto m = load_modules(*cfg->modules)) {
      opts_.modules = *m;
    } else {
      reload_error_ = m.error().message();
      emit(WatchEvent{WatchEvent::Kind::error, wall_now(), {}, {}, {}, {}, "reload failed: " + reload_error_, 0});
      return tl::unexpected(m.error());
    }
  }
  if (cfg->listen != opts_.config.listen || cfg->db != opts_.config.db)
    err_ << "reach watch: reload: listen and db changes take effect at the next start\n";
  auto passwords = read_mail_passwords(*cfg);
  if (!passwords) {
    reload_error_ = passwords.error().message();
    emit(WatchEvent{WatchEvent::Kind::error, wall_now(), {}, {}, {}, {}, "reload failed: " + reload_error_, 0});
    return tl::unexpected(passwords.error());
  }
  mail_passwords_ = std::move(*passwords);
  config::WatchConfig next = std::move(*cfg);
  next.listen = opts_.config.listen;
  next.db = opts_.config.db;
  const bool peers_changed = next.peers != opts_.config.peers;
  apply(next, false);
  if (peers_changed) configure_peers();
  reload_error_.clear();
  last_reload_wall_ = wall_now();
  return {};
}

void Daemon::arm() {
  auto next = sched_.next_due();
  if (!next) return;
  // One wake-up per 10 ms starts every round due in it: with each target on its own phase, a
  // wake-up per round cost more CPU than the probe (watch_bench: 50 -> 29 us per echo at 1,000
  // targets). A round starts at most 10 ms after its phase; RTTs are timed from the send.
  constexpr TimeNs kWakeGrid = 10 * kNsPerMs;
  const TimeNs at = (*next + kWakeGrid - 1) / kWakeGrid * kWakeGrid;
  if (timer_ && timer_at_ <= at) return;
  if (timer_) reactor_->cancel(timer_);
  timer_at_ = at;
  timer_ = reactor_->at(at, [this] {
    timer_ = 0;
    on_timer();
  });
}

void Daemon::on_timer() {
  for (std::uint32_t id : sched_.due(reactor_->refresh_now())) {
    auto it = targets_.find(id);
    if (it == targets_.end()) continue;
    Target& t = it->second;
    if (opts_.rounds && static_cast<int>(t.rounds) + t.in_flight >= *opts_.rounds) continue;
    // A round of a connect/HTTP/DNS probe that is still running is not doubled up; ICMP rounds
    // may overlap (the last echoes of one still waiting while the next starts).
    if (t.in_flight > 0 && t.spec.kind != model::WatchProbe::icmp) continue;
    ++t.in_flight;
    probers_->run(t.spec, [this, id](RoundResult r) { round_done(id, std::move(r)); });
  }
  arm();
}

bool Daemon::in_maintenance(const config::AlertRule& rule, TimeNs wall) const {
  const std::int64_t s = wall / kNsPerSec;
  for (const auto& m : rule.maintenance)
    if (s >= m.from && s < m.to) return true;
  for (const auto& w : rule.weekly) {
    auto lt = sys::local_time(wall, w.tz);
    if (!lt) continue;
    const int minute = lt->hour * 60 + lt->minute;
    const int today = lt->weekday, yesterday = (lt->weekday + 6) % 7;  // 0 = Monday
    const bool wraps = w.to_minute <= w.from_minute;
    if ((w.days >> today) & 1u) {
      if (!wraps && minute >= w.from_minute && minute < w.to_minute) return true;
      if (wraps && minute >= w.from_minute) return true;
    }
    if (wraps && ((w.days >> yesterday) & 1u) && minute < w.to_minute) return true;
  }
  return false;
}

void Daemon::round_done(std::uint32_t id, RoundResult r) {
  auto it = targets_.find(id);
  if (it == targets_.end()) return;  // removed by a reload while it ran
  Target& t = it->second;
  t.in_flight = std::max(t.in_flight - 1, 0);
  ++t.rounds;
  t.failed += !r.success;
  t.sent += static_cast<std::uint64_t>(r.sent);
  t.received += static_cast<std::uint64_t>(r.received);
  if (r.success) t.last_success = r.start_wall;
  t.window.add(r);
  if (opts_.config_path.empty() || opts_.rounds) t.all_rtts.insert(t.all_rtts.end(), r.rtts.begin(), r.rtts.end());
  if (writer_) writer_->add_round(r);
  if (opts_.events) *opts_.events << round_ndjson(r, opts_.netns) << '\n' << std::flush;
  // A round that could not tell (no zone of a dnsbl target answered) is history and metrics,
  // but neither a failure nor a success to the alert rules: the state stays as it was.
  const bool judged = !r.no_verdict;

  const TimeNs wall = wall_now();
  std::vector<WatchEvent> events;
  if (judged) events = engine::on_round(t.shown, kShownRule, t.cfg.name, r.success, r.reason, wall, true);
  std::erase_if(events, [](const WatchEvent& e) { return e.kind != WatchEvent::Kind::state_change; });
  bool any_rule = false, notified = false;
  std::vector<store::Store::Notification> outbox;
  for (const config::AlertRule& rule : opts_.config.alerts) {
    if (!judged || !rule.applies_to(t.cfg.name)) continue;
    if (!any_rule) events.clear();  // the first rule's state changes replace the raw ones
    engine::AlertState& s = t.alerts[rule.name];
    const engine::AlertState before = s;
    const engine::QuorumCount peers = rule.quorum > 0 ? peer_count(t.cfg.name) : engine::QuorumCount{};
    auto ev = engine::on_round(s, engine_rule(rule), t.cfg.name, r.success, r.reason, wall, in_maintenance(rule, wall),
                               peers);
    // What a restart must not lose is saved within a second; the round counters once a minute.
    if (s.state != before.state || s.firing != before.firing || s.flapping != before.flapping ||
        s.notified != before.notified || s.alert_since != before.alert_since)
      dirty_.insert(t.id);
    for (WatchEvent& e : ev) {
      if (e.kind == WatchEvent::Kind::state_change && any_rule) continue;  // one per target
      if (e.kind == WatchEvent::Kind::firing || e.kind == WatchEvent::Kind::resolved ||
          e.kind == WatchEvent::Kind::reminder)
        notify(e, t, rule, outbox), notified = true;
      events.push_back(e);
    }
    if (!any_rule) t.shown.state = s.state;
    any_rule = true;
  }
  // The notifications and the alert state that decided them commit together: a restart then
  // neither repeats the firing nor forgets to resolve it.
  if (notified && store_) {
    commit_notifications(t, std::move(outbox));
    dirty_.erase(t.id);
  }
  t.last = std::move(r);
  for (const WatchEvent& e : events) emit(e);
  path_after_round(t, events);
  show_round(t, *t.last);
  if (opts_.rounds && rounds_complete()) stop(exit_code_);
}

bool Daemon::rounds_complete() const {
  for (const auto& [id, t] : targets_)
    if (static_cast<int>(t.rounds) < *opts_.rounds) return false;
  return true;
}

void Daemon::emit(const WatchEvent& e) {
  remember_event(e);
  if (opts_.events) *opts_.events << event_ndjson(e, opts_.netns) << '\n' << std::flush;
  if (opts_.lines && e.kind != WatchEvent::Kind::state_change) out_ << event_text(e) << '\n' << std::flush;
  if (e.kind == WatchEvent::Kind::error) err_ << "reach watch: " << e.reason << '\n';
  // Ups and downs leave a trail with or without --events and notifiers (rounds stay quiet); not
  // over the live table, nor in a bounded run (its summary says it).
  if (!opts_.live && !opts_.rounds)
    if (auto line = state_trail(e)) err_ << "reach watch: " << *line << '\n' << std::flush;
}

// Once a second: the writer thread rolls up and prunes; its outcome since the last call turns
// into an error event (once per outage) and the alert state that changed is handed to it.
void Daemon::flush_history() {
  reactor_->after(kNsPerSec, [this] { flush_history(); });
  if (!writer_) return;
  writer_->tick(wall_now());
  const store::Writer::Status st = writer_->status();
  history_errors_ = st.errors;
  if (st.failing && !history_failing_)
    emit(WatchEvent{WatchEvent::Kind::error, wall_now(), {}, {}, {}, {}, "history: " + st.error, 0});
  else if (!st.failing && history_failing_)
    emit(WatchEvent{WatchEvent::Kind::error, wall_now(), {}, {}, {}, {}, "history: writing again", 0});
  history_failing_ = st.failing;
  std::vector<store::AlertState> states;
  const bool all = ++flushes_ % 60 == 0;
  for (const auto& [id, t] : targets_)
    if (all || dirty_.count(id)) append_alert_rows(t, states);
  if (!states.empty()) writer_->save_alert_states(std::move(states));
  dirty_.clear();
}

void Daemon::append_alert_rows(const Target& t, std::vector<store::AlertState>& out) const {
  for (const auto& [rule, s] : t.alerts) {
    store::AlertState a;
    a.target = t.cfg.name;
    a.alert = rule;
    a.state = s.state;
    a.since_wall = s.since;
    a.failures = static_cast<std::uint32_t>(s.fail_run);
    a.successes = static_cast<std::uint32_t>(s.ok_run);
    a.flap_bits = s.results;
    a.flap_rounds = static_cast<std::uint32_t>(s.results_len);
    a.flapping = s.flapping;
    a.firing = s.firing;
    a.last_notified_wall = s.notified;
    a.alert_since_wall = s.alert_since;
    out.push_back(std::move(a));
  }
}

void Daemon::stop(int code) {
  exit_code_ = code;
  if (!sender_) return reactor_->stop();
  sender_->drain(notify::OutboxSender::kStopWait, [this] { reactor_->stop(); });
}

int Daemon::run() {
  if (auto r = reactor_->run(); !r) {
    err_ << "reach watch: " << r.error().message() << '\n';
    return 2;
  }
  finish_usage();
  if (writer_) {
    flush_history();  // the alert state as it is now
    if (auto c = writer_->close(wall_now()); !c) err_ << "reach watch: history: " << c.error().message() << '\n';
  }
  summary();
  if (opts_.config_path.empty() || opts_.rounds) {
    // A command-line run answers like ping: 0 when every target's last round succeeded.
    bool all = !targets_.empty();
    for (const auto& [id, t] : targets_) all &= t.last && t.last->success;
    if (exit_code_ == 0) exit_code_ = all ? 0 : 1;
  }
  if (opts_.nagios) {
    std::vector<model::RoundResult> last;
    for (const auto& [name, id] : by_name_)
      if (targets_.at(id).last) last.push_back(*targets_.at(id).last);
    auto report = nagios_report(last);
    out_ << report.first << '\n' << std::flush;
    return report.second;
  }
  return exit_code_;
}

const Daemon::Target* Daemon::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &targets_.at(it->second);
}

std::vector<model::TargetMetrics> Daemon::target_metrics() const {
  std::vector<model::TargetMetrics> out;
  out.reserve(targets_.size());
  for (const auto& [name, id] : by_name_) out.push_back(metrics_of(targets_.at(id)));
  return out;
}

model::TargetMetrics Daemon::metrics_of(const Target& t) const {
  model::TargetMetrics m;
  m.name = t.cfg.name;
  m.probe = t.spec.kind;
  m.labels = t.cfg.labels;
  m.state = t.shown.state;
  m.last = t.last;
  m.rounds = t.rounds;
  m.rounds_failed = t.failed;
  m.packets_sent = t.sent;
  m.packets_received = t.received;
  m.last_success_wall = t.last_success;
  for (const config::AlertRule& rule : opts_.config.alerts)
    if (rule.applies_to(t.cfg.name)) {
      auto a = t.alerts.find(rule.name);
      m.alerts.emplace_back(rule.name, a != t.alerts.end() && a->second.firing);
    }
  return m;
}

model::WatchProcessMetrics Daemon::process_metrics() const {
  model::WatchProcessMetrics p;
  p.targets = targets_.size();
  // Queued counts come from the outbox itself (what a previous process left counts too); one
  // GROUP BY per scrape, not per round.
  std::map<std::string, std::size_t> queued;
  if (store_)
    if (auto q = store_->outbox_pending_by_notifier()) queued = std::move(*q);
  for (const config::Notifier& n : opts_.config.notifiers) {
    model::NotifierMetrics m;
    if (sender_)
      if (auto st = sender_->stats().find(n.name); st != sender_->stats().end()) m = st->second;
    m.name = n.name;
    auto q = queued.find(n.name);
    m.queued = q != queued.end() ? q->second : 0;
    p.notifiers.push_back(std::move(m));
  }
  p.history_write_errors = history_errors_;
  p.last_reload_ok = reload_error_.empty();
  p.last_reload_wall = last_reload_wall_;
  return p;
}

}  // namespace reach::tools::watch
