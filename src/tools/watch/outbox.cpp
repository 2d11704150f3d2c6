// Notifications: each decided one is committed to the outbox first, then delivered by
// notify::OutboxSender (shared with `reach usage`), which retries with backoff and also picks
// up what a killed process left.
#include <fmt/format.h>
#include <unistd.h>

#include "format/watch_words.hpp"
#include "sys/clock.hpp"
#include "tools/watch/daemon.hpp"
#include "tools/watch/payloads.hpp"

namespace reach::tools::watch {

namespace {

TimeNs wall_now() { return sys::WallClock().now(); }

std::string host_name() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof buf - 1) == 0 ? buf : "localhost";
}

}  // namespace

void Daemon::notify(const model::WatchEvent& e, const Target& t, const config::AlertRule& rule,
                    std::vector<store::Store::Notification>& out) const {
  if (!store_) return;  // the command line has no notifiers
  AlertContext ctx;
  ctx.instance = host_name();
  if (opts_.config.listen) ctx.external_url = "http://" + *opts_.config.listen;
  ctx.labels = t.cfg.labels;
  ctx.probe = format::watch_probe_word(t.spec.kind);
  for (const std::string& name : rule.notify)
    if (const config::Notifier* n = opts_.config.find_notifier(name))
      out.push_back({name, notifier_payload(*n, e, ctx)});
}

void Daemon::commit_notifications(const Target& t, std::vector<store::Store::Notification> items) {
  std::vector<store::AlertState> rows;
  append_alert_rows(t, rows);
  {
    store::Writer::Hold hold(writer_.get());  // commit before send: wait one history transaction at most
    if (auto r = store_->enqueue(std::move(items), rows, wall_now()); !r)
      emit(model::WatchEvent{model::WatchEvent::Kind::error, wall_now(), t.cfg.name, {}, {}, {},
                             "outbox: " + r.error().message(), 0});
  }
  // The writer may still hold an older snapshot of this target's state in its queue; the same
  // rows after it keep the last write the newest.
  if (writer_) writer_->save_alert_states(std::move(rows));
  reactor_->post([this] { pump_outbox(); });
}

void Daemon::pump_outbox() {
  if (sender_) sender_->pump();
}

}  // namespace reach::tools::watch
