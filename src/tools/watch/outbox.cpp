// Notifications: each decided one is committed to the outbox first, then delivered; a failed
// delivery is retried with backoff by the pump, which also picks up what a killed process left.
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "format/watch_words.hpp"
#include "sys/clock.hpp"
#include "sys/input_file.hpp"
#include "sys/spawn.hpp"
#include "sys/syslog.hpp"
#include "tools/watch/daemon.hpp"
#include "tools/watch/payloads.hpp"

namespace reach::tools::watch {

namespace {

TimeNs wall_now() { return sys::WallClock().now(); }

const store::Backoff kBackoff{};

std::string host_name() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof buf - 1) == 0 ? buf : "localhost";
}

// The envelope address of "Name <a@b>" (SMTP's MAIL FROM and RCPT TO take no display name).
std::string envelope_address(const std::string& mailbox) {
  auto open = mailbox.rfind('<');
  auto close = mailbox.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open)
    return mailbox.substr(open + 1, close - open - 1);
  return mailbox;
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
  if (!store_) return;
  auto due = [&] {
    store::Writer::Hold hold(writer_.get());
    return store_->due(wall_now(), 64, kBackoff);
  }();
  if (!due) {
    emit(model::WatchEvent{model::WatchEvent::Kind::error, wall_now(), {}, {}, {}, {},
                           "outbox: " + due.error().message(), 0});
  } else {
    for (const store::OutboxItem& item : *due)
      if (delivering_.insert(item.id).second) deliver(item);
  }
  if (!outbox_timer_)  // one retry timer at a time
    outbox_timer_ = reactor_->after(kNsPerSec, [this] {
      outbox_timer_ = 0;
      pump_outbox();
    });
}

void Daemon::deliver(const store::OutboxItem& item) {
  const config::Notifier* n = opts_.config.find_notifier(item.notifier);
  auto done = [this, id = item.id, name = item.notifier](bool ok, std::string error) {
    delivering_.erase(id);
    auto& st = notifier_stats_[name];
    st.name = name;
    if (ok) {
      ++st.sent;
      store::Writer::Hold hold(writer_.get());
      if (auto r = store_->delivered(id, wall_now()); !r)
        emit(model::WatchEvent{model::WatchEvent::Kind::error, wall_now(), {}, {}, {}, {},
                               "outbox: " + r.error().message(), 0});
      return;
    }
    ++st.failed;
    {
      store::Writer::Hold hold(writer_.get());
      (void)store_->failed(id, wall_now(), error, kBackoff);
    }
    emit(model::WatchEvent{model::WatchEvent::Kind::error, wall_now(), {}, {}, {}, {},
                           fmt::format("notifier {}: {} (will retry)", name, error), 0});
  };
  if (!n) return done(false, "notifier no longer configured");
  // webhook and email share one curl multi handle, made at the first delivery
  const bool curl = std::holds_alternative<config::WebhookNotifier>(n->kind) ||
                    std::holds_alternative<config::EmailNotifier>(n->kind);
  if (curl && !notify_http_) {
    auto h = io::HttpAsync::create(*reactor_);
    if (!h) return done(false, h.error().message());
    notify_http_ = std::move(*h);
  }

  if (const auto* w = std::get_if<config::WebhookNotifier>(&n->kind)) {
    io::HttpRequest req;
    req.url = w->url;
    req.method = "POST";
    req.body = item.payload;
    req.timeout = w->timeout;
    req.headers = {"Content-Type: application/json", "Idempotency-Key: " + item.key};
    for (const auto& [k, v] : w->headers) req.headers.push_back(k + ": " + v);
    auto id = notify_http_->start(std::move(req), [done](io::HttpResponse h) {
      if (h.completed && h.status >= 200 && h.status < 300) return done(true, {});
      done(false, h.completed ? fmt::format("HTTP {}", h.status) : h.error);
    });
    if (!id) done(false, id.error().message());
    return;
  }
  if (const auto* x = std::get_if<config::ExecNotifier>(&n->kind)) {
    auto env = sys::current_environment();
    env.push_back("REACH_NOTIFICATION_ID=" + item.key);
    auto pid = sys::spawn(x->argv, env, item.payload);
    if (!pid) return done(false, pid.error().message());
    const pid_t child = *pid;
    auto timer = std::make_shared<io::Reactor::TimerId>(
        reactor_->after(x->timeout, [child] { (void)sys::kill_child(child, SIGKILL); }));
    auto w = reactor_->watch_child(child, [this, done, timer](int status) {
      reactor_->cancel(*timer);
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return done(true, {});
      done(false, WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status)) : "killed (timeout?)");
    });
    if (!w) done(false, w.error().message());
    return;
  }
  if (const auto* s = std::get_if<config::SyslogNotifier>(&n->kind)) {
    Result<void> sent = s->transport == config::SyslogNotifier::Transport::local
                            ? sys::send_local_syslog(item.payload)
                            : sys::send_syslog(s->transport == config::SyslogNotifier::Transport::tcp, s->host,
                                               static_cast<std::uint16_t>(s->port), item.payload);
    return sent ? done(true, {}) : done(false, sent.error().message());
  }
  if (const auto* m = std::get_if<config::EmailNotifier>(&n->kind)) {
    io::HttpRequest req;
    req.url = m->smtp;
    req.body = item.payload;  // the whole message, built when it was queued
    req.timeout = m->timeout;
    io::MailEnvelope env;
    env.from = envelope_address(m->from);
    for (const std::string& to : m->to) env.rcpt.push_back(envelope_address(to));
    env.username = m->username;
    if (auto pw = mail_passwords_.find(item.notifier); pw != mail_passwords_.end()) env.password = pw->second;
    env.require_tls = m->starttls;
    req.mail = std::move(env);
    auto id = notify_http_->start(std::move(req), [done](io::HttpResponse h) {
      if (h.completed) return done(true, {});  // curl saw 250 after DATA
      done(false, h.status > 0 ? fmt::format("SMTP {}: {}", h.status, h.error) : h.error);
    });
    if (!id) done(false, id.error().message());
    return;
  }
}

}  // namespace reach::tools::watch
