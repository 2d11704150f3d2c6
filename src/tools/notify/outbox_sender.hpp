#pragma once
// Delivers what waits in a database's notification outbox (store::Store's outbox: webhook,
// email, exec, syslog), retrying failures with the store's backoff. Shared by `reach watch`
// and `reach usage`: each decides what to say and enqueues it; this sends it. One sender per
// database (the outbox's contract, store/store.hpp). Runs on the caller's Reactor.
#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/watch_config.hpp"
#include "io/http_async.hpp"
#include "io/reactor.hpp"
#include "io/worker.hpp"
#include "model/watch_metrics.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace reach::tools::notify {

// Loads libcurl at a daemon's start when one of `notifiers` sends through it (webhook, email):
// see io::load_http_library.
Result<void> load_notifier_libraries(const std::vector<config::Notifier>& notifiers);

class OutboxSender {
 public:
  struct Hooks {
    // The notifier of that name in the current config (it may change on reload); null when gone.
    std::function<const config::Notifier*(std::string_view name)> find;
    // An email notifier's password (its password_file's text), empty when none.
    std::function<std::string(std::string_view name)> password;
    // One line about a failure (the caller logs or emits it).
    std::function<void(const std::string& line)> error;
    // The database's history writer thread, when there is one: each outbox write holds it, so
    // a rollup delays a notification by one transaction at most (store/writer.hpp).
    store::Writer* writer = nullptr;
  };
  OutboxSender(io::Reactor& reactor, store::Store& store, Hooks hooks);
  ~OutboxSender();
  OutboxSender(const OutboxSender&) = delete;
  OutboxSender& operator=(const OutboxSender&) = delete;

  // Starts every due item not already in flight and keeps one retry timer (1 s) armed, so
  // failed items and what a killed process left are picked up. Call after enqueueing.
  void pump();
  // For a stop: starts nothing more and calls `then` once every delivery in flight has its
  // outcome committed, or after `limit`, whichever is first (at once when none is in flight).
  // Without it a receiver could have an item whose `delivered` was never committed, and the
  // next start would send it again (at-least-once); a `systemctl restart` must not do that.
  // A second call, or the stop signal again, ends the wait.
  void drain(TimeNs limit, std::function<void()> then);
  static constexpr TimeNs kStopWait = 5 * kNsPerSec;  // a daemon's drain() limit
  // Deliveries and failed attempts per notifier since start (queued is not filled here).
  const std::map<std::string, model::NotifierMetrics>& stats() const { return stats_; }

 private:
  void deliver(const store::OutboxItem& item);
  void drained();
  void give_up();  // ends a drain() with deliveries in flight, saying how many

  io::Reactor& reactor_;
  store::Store& store_;
  Hooks hooks_;
  std::unique_ptr<io::HttpAsync> http_;  // webhooks, on the loop
  // Set when a stop gives up: a message being sent on mail_ ends (curl's progress callback).
  std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
  std::unique_ptr<io::Worker> mail_;       // SMTP, blocking in libcurl: off the loop
  std::set<std::int64_t> delivering_;    // outbox ids in flight
  std::map<std::int64_t, pid_t> children_;  // exec notifiers running, by outbox id
  io::Reactor::TimerId timer_ = 0;
  bool draining_ = false;
  std::function<void()> then_;             // drain()'s continuation, run once
  io::Reactor::TimerId drain_timer_ = 0;
  std::map<std::string, model::NotifierMetrics> stats_;
};

}  // namespace reach::tools::notify
