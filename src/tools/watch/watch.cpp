#include "tools/watch/watch.hpp"

#include <fmt/format.h>

#include <cstring>
#include <memory>

#include "base/address.hpp"
#include "config/blackbox_modules.hpp"
#include "config/usage_config.hpp"
#include "format/watch_mrtg.hpp"
#include "store/store.hpp"
#include "sys/clock.hpp"
#include "sys/file_lock.hpp"
#include "sys/input_file.hpp"
#include "sys/output.hpp"
#include "sys/resolve.hpp"
#include "sys/terminal.hpp"
#include "tools/watch/cli_targets.hpp"
#include "tools/watch/daemon.hpp"
#include "tools/watch/module_spec.hpp"
#include "tools/watch/snmp_prober.hpp"

namespace reach::tools {

using watch::Daemon;
using watch::DaemonOptions;

namespace {

// Errors a parse cannot see: patterns that do not compile, modules that are missing or
// unsupported. One line each, with the target's line.
std::vector<std::string> deep_check(const config::WatchConfig& cfg, const config::BbModules& modules) {
  std::vector<std::string> out;
  // Notifications are committed to the outbox before they are sent; without a database they
  // could be lost, so a config that notifies must name one.
  if (!cfg.db)
    for (const config::AlertRule& a : cfg.alerts)
      if (!a.notify.empty()) {
        out.push_back(fmt::format("{}:{}: alerts.{}.notify: notifications go through the outbox in the "
                                  "database: set `db:` (e.g. /var/lib/reach/watch/watch.db)",
                                  cfg.source, a.line, a.name));
        break;
      }
  for (const config::WatchTarget& t : cfg.targets) {
    if (!t.module.empty()) {
      const config::BbModule* m = modules.find(t.module);
      if (!m) out.push_back(fmt::format("{}:{}: targets.{}.module: no module \"{}\"", cfg.source, t.line, t.name, t.module));
      else if (!m->supported)
        out.push_back(fmt::format("{}:{}: targets.{}.module: {}", cfg.source, t.line, t.name, m->unsupported_reason));
      continue;
    }
    if (t.probe == model::WatchProbe::http)
      if (auto e = watch::http_expect(t.expect_status, t.expect_status_text, t.body, t.body_regex, t.cert_days); !e)
        out.push_back(fmt::format("{}:{}: targets.{}.body_regex: {}", cfg.source, t.line, t.name, e.error().message()));
  }
  for (std::string& e : watch::snmp_config_errors(cfg)) out.push_back(std::move(e));
  return out;
}

// The first command-line target whose host does not resolve (the system resolver, once each).
std::optional<std::string> unresolvable(const config::WatchConfig& cfg) {
  for (const config::WatchTarget& t : cfg.targets) {
    if (t.probe == model::WatchProbe::http || !t.module.empty()) continue;  // libcurl resolves URLs
    std::string host = t.probe == model::WatchProbe::dns && !t.dns.server.empty() ? t.dns.server : t.host;
    if (t.probe == model::WatchProbe::dns)
      if (auto hp = watch::split_host_port(host)) host = hp->first;
    auto a = parse_address(host, AddressForm::host);
    if (a && a->literal) continue;
    if (auto r = sys::resolve(host, std::nullopt); !r) return r.error().message();
  }
  return std::nullopt;
}

int print_history(const WatchOptions& o, const config::WatchConfig& cfg, std::ostream& out, std::ostream& err,
                  bool mrtg) {
  if (!cfg.db) {
    err << "reach watch: no history: give --db or `db:` in the config\n";
    return 2;
  }
  store::Options so;
  so.path = *cfg.db;
  auto st = store::Store::open(so);
  if (!st) {
    err << "reach watch: " << st.error().message() << '\n';
    return 2;
  }
  const std::string& name = mrtg ? o.mrtg : o.history;
  const TimeNs now = sys::WallClock().now();
  const TimeNs from = mrtg ? now - 5 * 60 * kNsPerSec : now - static_cast<TimeNs>(o.history_hours * 3600 * 1e9);
  auto h = (*st)->history(name, from, now + kNsPerSec, 100000);
  if (!h) {
    err << "reach watch: " << h.error().message() << '\n';
    return 2;
  }
  if (mrtg) {
    // MRTG's external script: the latest round (median RTT in microseconds, loss in percent),
    // how long the history goes back, the name.
    std::optional<model::RoundResult> last;
    if (!h->empty() && h->back().resolution == store::Resolution::raw) {
      const store::HistoryPoint& p = h->back();
      last.emplace();
      last->target = name;
      last->start_wall = p.wall;
      last->sent = static_cast<int>(p.sent);
      last->received = static_cast<int>(p.received);
      last->rtts = p.rtts;
      last->success = p.successes > 0;
    }
    auto span = (*st)->history(name, now - 48 * 3600 * kNsPerSec, now + kNsPerSec, 1);
    const TimeNs since = span && !span->empty() ? span->front().wall : now;
    out << format::watch_mrtg(last, now - since, name);
    return last ? 0 : 1;
  }
  if (h->empty()) {
    err << "reach watch: no history for " << name << " in the last " << o.history_hours << " h\n";
    return 1;
  }
  out << fmt::format("{:<20} {:>6} {:>8} {:>8} {:>10} {:>10} {:>10}\n", "TIME (UTC)", "ROUNDS", "OK", "LOSS", "MIN ms",
                     "MEDIAN ms", "MAX ms");
  for (const store::HistoryPoint& p : *h) {
    std::time_t t = static_cast<std::time_t>(p.wall / kNsPerSec);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    const double loss = p.sent ? 100.0 * static_cast<double>(p.sent - p.received) / static_cast<double>(p.sent) : 0;
    auto msf = [](TimeNs v) { return fmt::format("{:.3f}", static_cast<double>(v) / 1e6); };
    out << fmt::format("{:<20} {:>6} {:>8} {:>7.1f}% {:>10} {:>10} {:>10}\n", when, p.count, p.successes, loss,
                       p.received ? msf(p.rtt_min) : "-", p.received ? msf(p.quantile(0.5)) : "-",
                       p.received ? msf(p.rtt_max) : "-");
  }
  return 0;
}

}  // namespace

int run_watch(const WatchOptions& o, std::ostream& out, std::ostream& err) {
  const bool from_file = !o.config.empty();
  if (from_file == !o.targets.empty()) {
    err << "reach watch: give targets or --config FILE (not both) (see reach watch --help)\n";
    return 2;
  }
  std::string text, source = o.config;
  if (from_file) {
    auto t = sys::read_input_file(o.config);
    if (!t) {
      err << "reach watch: " << t.error().message() << '\n';
      return 2;
    }
    text = std::move(*t);
  } else {
    auto t = watch::targets_yaml(o.targets);
    if (!t) {
      err << "reach watch: " << t.error().message() << '\n';
      return 2;
    }
    text = std::move(*t);
    source = "command line";
  }
  auto cfg = config::parse_watch_config(text, source);
  if (cfg) cfg = config::apply_overrides(std::move(*cfg), o.overrides);
  if (!cfg) {
    err << cfg.error().message() << '\n';
    return 2;
  }
  config::BbModules modules = config::builtin_blackbox_modules();
  if (cfg->modules) {
    auto m = watch::load_modules(*cfg->modules);
    if (!m) {
      err << "reach watch: " << m.error().message() << '\n';
      return 2;
    }
    modules = std::move(*m);
  }
  std::vector<std::string> problems = deep_check(*cfg, modules);
  // The usage: section is parsed when the daemon starts it; --validate must see its errors too,
  // or it would say OK for a file the daemon then refuses.
  if (from_file && cfg->usage) {
    if (auto u = config::parse_usage_config(text, source); !u)
      for (const config::ConfigError& e : u.error().items) problems.push_back(e.text());
    else if (!cfg->db)
      problems.push_back(source + ": usage: counts into the database: set `db:` (e.g. /var/lib/reach/watch/watch.db)");
  }
  // The database the daemon creates or opens: --validate refuses what the start would, with the
  // same line (--history and --mrtg only read it).
  if (cfg->db && o.history.empty() && o.mrtg.empty())
    if (auto d = sys::check_data_file(*cfg->db); !d) problems.push_back("reach watch: " + d.error().message());
  if (o.validate) {
    for (const std::string& w : modules.warnings(cfg->modules.value_or("")))
      out << "warning: " << w << '\n';
    for (const std::string& p : problems) err << p << '\n';
    if (!problems.empty()) return 2;
    out << fmt::format("{}: OK: {} targets, {} alerts, {} notifiers\n", source, cfg->targets.size(), cfg->alerts.size(),
                       cfg->notifiers.size());
    return 0;
  }
  if (!problems.empty()) {
    for (const std::string& p : problems) err << p << '\n';
    return 2;
  }
  // On the command line a name that does not resolve is bad input, as for ping: one line, exit
  // 2, before anything runs. A daemon's file never stops on it (its rounds fail with the reason).
  if (!from_file && o.history.empty() && o.mrtg.empty())
    if (auto bad = unresolvable(*cfg)) {
      err << "reach watch: " << *bad << '\n';
      return 2;
    }
  if (!o.history.empty()) return print_history(o, *cfg, out, err, false);
  if (!o.mrtg.empty()) return print_history(o, *cfg, out, err, true);

  // Not an ofstream: its failed writes (a full disk) went unseen and every later event was lost.
  std::unique_ptr<sys::FileOutput> events_file;
  DaemonOptions d;
  d.config = std::move(*cfg);
  d.modules = std::move(modules);
  d.config_path = from_file ? o.config : "";
  d.overrides = o.overrides;
  d.netns = o.netns;
  if (o.events == "-") {
    d.events = &out;
  } else if (!o.events.empty()) {
    auto f = sys::FileOutput::open(o.events, "--events " + o.events);
    if (!f) {
      err << "reach watch: --events " << o.events << ": " << std::strerror(f.error().err) << '\n';
      return 2;
    }
    events_file = std::move(*f);
    d.events = &events_file->stream();
    d.reopen_events = [&events_file, &err] {
      auto r = events_file->reopen();
      if (!r)
        err << "reach watch: SIGHUP: --events " << events_file->path() << ": " << std::strerror(r.error().err)
            << ": still writing to the file opened before\n" << std::flush;
      return r.has_value();
    };
  }
  if (o.once) d.rounds = 1;
  if (o.count) d.rounds = *o.count;
  d.nagios = o.nagios;
  const bool tty = sys::stdout_is_terminal();
  d.live = !o.no_live && o.events != "-" && !o.nagios && (o.live || (!from_file && tty && !d.rounds));
  d.lines = !d.live && !o.nagios && o.events != "-" && !from_file;
  auto daemon = Daemon::create(std::move(d), out, err);
  if (!daemon) {
    err << "reach watch: " << daemon.error().message() << '\n';
    return 2;
  }
  const int code = (*daemon)->run();
  if (events_file) events_file->stream().flush();
  // A bounded run stops at a failed write (a daemon said it and went on): say it, exit 2.
  if (events_file && events_file->error() != 0) {
    err << "reach watch: --events " << o.events << ": write error: " << std::strerror(events_file->error()) << '\n';
    return 2;
  }
  return code;
}

}  // namespace reach::tools
