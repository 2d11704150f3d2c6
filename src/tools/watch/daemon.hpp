#pragma once
// The running `reach watch`: targets probed on a schedule that runs forever, alert damping,
// the notification outbox, history, the HTTP API and the terminal view, all on one Reactor.
// Internal to tools/watch (watch.cpp builds the options; api.cpp, dashboard.cpp, outbox.cpp and
// view.cpp add their parts to this class).
#include <deque>
#include <map>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/blackbox_modules.hpp"
#include "config/watch_config.hpp"
#include "engine/watch_alerts.hpp"
#include "engine/watch_schedule.hpp"
#include "engine/watch_stats.hpp"
#include "format/dashboard.hpp"
#include "format/prom_exposition.hpp"
#include "io/http_async.hpp"
#include "io/http_server.hpp"
#include "io/reactor.hpp"
#include "io/worker.hpp"
#include "model/watch.hpp"
#include "model/watch_metrics.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"
#include "sys/fd.hpp"
#include "tools/notify/mail_passwords.hpp"
#include "tools/notify/outbox_sender.hpp"
#include "tools/usage/runner.hpp"
#include "tools/watch/path_tracer.hpp"
#include "tools/watch/probers.hpp"

namespace reach::tools::watch {

struct DaemonOptions {
  config::WatchConfig config;
  config::BbModules modules;          // built-ins plus the modules file
  std::string config_path;            // empty: targets from the command line (no reload)
  config::WatchOverrides overrides;   // re-applied on every reload
  std::ostream* events = nullptr;     // NDJSON events (--events)
  std::function<bool()> reopen_events;  // SIGHUP: --events FILE anew (logrotate), false when it could
                                        // not (said); empty for none
  std::string netns;                  // --netns: named in every event (already entered by main)
  bool live = false;                  // redraw a table on the terminal
  bool lines = false;                 // a text line per finished round
  std::optional<int> rounds;          // stop after this many rounds of every target (--once: 1)
  bool nagios = false;                // with rounds: print a Nagios report at the end
};

using notify::read_mail_passwords;  // tools/notify/mail_passwords.hpp

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> create(DaemonOptions opts, std::ostream& out, std::ostream& err);
  ~Daemon();
  // Runs until SIGINT/SIGTERM (or the rounds are done); returns the exit code.
  int run();

  // --- shared by the parts in api.cpp, outbox.cpp, view.cpp ---
  struct Target {
    std::uint32_t id = 0;
    config::WatchTarget cfg;
    ProbeSpec spec;
    engine::RollingWindow window{60};
    std::map<std::string, engine::AlertState> alerts;  // by rule name
    engine::AlertState shown;       // the state the table and /metrics show
    std::uint64_t rounds = 0, failed = 0, sent = 0, received = 0;
    TimeNs last_success = 0;
    std::optional<model::RoundResult> last;
    std::vector<TimeNs> all_rtts;   // CLI or -c N only: for the summary at the end
    int in_flight = 0;              // rounds started, not finished
    PathState path;                 // path_watch.cpp
  };

  io::Reactor& reactor() { return *reactor_; }
  std::vector<model::TargetMetrics> target_metrics() const;
  model::TargetMetrics metrics_of(const Target& t) const;
  model::WatchProcessMetrics process_metrics() const;
  const Target* find(std::string_view name) const;
  Result<void> reload();  // re-reads the config file; keeps the old one on error
  std::string startup_line() const;
  const std::string& last_reload_error() const { return reload_error_; }

 private:
  Daemon(DaemonOptions opts, std::ostream& out, std::ostream& err);
  Result<void> start();
  void apply(const config::WatchConfig& cfg, bool initial);
  ProbeSpec spec_for(std::uint32_t id, const config::WatchTarget& t) const;
  void on_timer();
  void arm();
  void round_done(std::uint32_t id, model::RoundResult r);
  void on_events(const Target& t, const std::vector<model::WatchEvent>& events);
  bool in_maintenance(const config::AlertRule& rule, TimeNs wall) const;
  void flush_history();
  void append_alert_rows(const Target& t, std::vector<store::AlertState>& out) const;
  void emit(const model::WatchEvent& e);
  void stop(int code);
  bool rounds_complete() const;

  // api.cpp
  Result<void> start_http();
  void serve_probe(const io::HttpServerRequest& req, io::HttpReply reply);
  // dashboard.cpp: the pages at / and /targets/, the files at /assets/, /api/v1/overview and
  // the series of a smoke graph (/api/v1/targets/NAME/series, routed in api.cpp)
  void start_dashboard();
  format::DashRow dash_row(const Target& t) const;
  // `w`: the window the parameters chose (checked in api.cpp); needs the store.
  void serve_series(const std::string& name, const std::string& range, const format::DashWindow& w,
                    io::HttpReply reply);
  // The latest state changes and alerts, marked on the graphs (kept in memory: a restart
  // starts them afresh).
  void remember_event(const model::WatchEvent& e);
  static constexpr std::size_t kRecentEvents = 10000;
  std::deque<model::WatchEvent> recent_events_;
  // outbox.cpp
  // The payloads of an alert event for each of the rule's notifiers, appended to `out`.
  void notify(const model::WatchEvent& e, const Target& t, const config::AlertRule& rule,
              std::vector<store::Store::Notification>& out) const;
  // Commits the notifications together with the target's alert state (store::Store::enqueue).
  void commit_notifications(const Target& t, std::vector<store::Store::Notification> items);
  void pump_outbox();
  // usage_section.cpp: the file's `usage:` section, counted on this reactor
  Result<void> start_usage();
  void finish_usage();
  void append_usage_metrics(std::vector<format::prom::Family>& families);
  // peers.cpp: the `peers:` agents' views of the targets, pulled from their /api/v1/targets
  void configure_peers();
  void poll_peers();
  engine::QuorumCount peer_count(const std::string& target) const;
  // path_watch.cpp: a trace toward a target when its state changes, at its first up round and
  // on demand (/api/v1/targets/NAME/path); the `path` event compares it with the last up path
  bool path_enabled(const Target& t) const;
  void path_after_round(Target& t, const std::vector<model::WatchEvent>& events);
  // False when the rate limit held it back (it then runs once a token is there).
  bool start_path(Target& t, const std::string& trigger);
  void path_done(std::uint32_t id, const std::string& trigger, TimeNs wall, const config::PathSettings& how,
                 const PathTraceResult& r, const std::string& error);
  void route_path_api();
  void serve_path(const std::string& name, io::HttpReply reply);
  std::unique_ptr<PathTracer> paths_;
  // view.cpp
  void show_round(const Target& t, const model::RoundResult& r);
  void redraw();
  void summary();

  DaemonOptions opts_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<io::Reactor> reactor_;
  std::unique_ptr<Probers> probers_;
  std::unique_ptr<store::Store> store_;    // this thread's: the outbox, history reads
  std::unique_ptr<store::Writer> writer_;  // its own thread: rounds, alert state, rollups
  std::unique_ptr<io::HttpServer> http_;
  std::unique_ptr<io::Worker> metrics_worker_;  // renders /metrics off the loop; before http_ dies
  engine::WatchScheduler sched_;
  sys::Fd db_lock_;  // one watch daemon per database (sys::lock_for_daemon)
  std::unordered_map<std::uint32_t, Target> targets_;
  std::map<std::string, std::uint32_t, std::less<>> by_name_;
  std::uint32_t next_id_ = 1;
  io::Reactor::TimerId timer_ = 0;
  TimeNs timer_at_ = 0;
  std::unique_ptr<notify::OutboxSender> sender_;  // with store_
  std::map<std::string, std::string> mail_passwords_;  // email notifier -> its password_file's text
  std::set<std::uint32_t> dirty_;      // targets whose alert state changed since the last save
  std::uint64_t flushes_ = 0;
  std::uint64_t history_errors_ = 0;
  bool history_failing_ = false;
  std::string reload_error_;
  TimeNs last_reload_wall_ = 0;
  int exit_code_ = 0;
  std::uint64_t key_ = 0;
  struct Peer {
    std::string url;              // the peer's /api/v1/targets
    bool in_flight = false;
    TimeNs at = 0;                // monotonic time of its last good answer, 0 = none yet
    std::unordered_map<std::string, model::TargetState> states;
    std::string error;            // why the last pull failed, empty when it worked
  };
  std::unique_ptr<io::HttpAsync> peer_http_;
  std::vector<Peer> peers_;
  std::uint64_t peers_gen_ = 0;   // answers to an older `peers:` list are dropped
  bool peer_timer_ = false;
  std::unique_ptr<store::UsageStore> usage_store_;
  std::unique_ptr<usage::Runner> usage_;
};

}  // namespace reach::tools::watch
