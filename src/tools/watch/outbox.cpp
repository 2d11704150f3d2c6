// Notifications: each decided one is committed to the outbox first, then delivered by
// notify::OutboxSender (shared with `reach usage`), which retries with backoff and also picks
// up what a killed process left.
#include <fmt/format.h>
#include <unistd.h>

#include "format/watch_words.hpp"
#include "sys/clock.hpp"
#include "sys/input_file.hpp"
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

void Daemon::notify(const model::WatchEvent& e, const Target& t, const config::AlertRule& rule) {
  if (!store_) return;  // the command line has no notifiers
  AlertContext ctx;
  ctx.instance = host_name();
  if (opts_.config.listen) ctx.external_url = "http://" + *opts_.config.listen;
  ctx.labels = t.cfg.labels;
  ctx.probe = format::watch_probe_word(t.spec.kind);
  for (const std::string& name : rule.notify) {
    const config::Notifier* n = opts_.config.find_notifier(name);
    if (!n) continue;
    const std::string payload = notifier_payload(*n, e, ctx);
    store::Writer::Hold hold(writer_.get());  // commit before send: wait one history transaction at most
    auto item = store_->enqueue(name, payload, wall_now());
    if (!item) {
      emit(model::WatchEvent{model::WatchEvent::Kind::error, wall_now(), t.cfg.name, rule.name, {}, {},
                             "outbox: " + item.error().message(), 0});
      continue;
    }
  }
  reactor_->post([this] { pump_outbox(); });
}

Result<std::map<std::string, std::string>> read_mail_passwords(const config::WatchConfig& cfg) {
  std::map<std::string, std::string> out;
  for (const config::Notifier& n : cfg.notifiers) {
    const auto* m = std::get_if<config::EmailNotifier>(&n.kind);
    if (!m || m->password_file.empty()) continue;
    auto text = sys::read_input_file(m->password_file, 4096);
    if (!text) return tl::unexpected(text.error());
    std::string pw = std::move(*text);
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();  // one line
    out[n.name] = std::move(pw);
  }
  return out;
}

void Daemon::pump_outbox() {
  if (sender_) sender_->pump();
}

}  // namespace reach::tools::watch
