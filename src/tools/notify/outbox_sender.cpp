// Moved here from tools/watch/outbox.cpp so `reach usage` delivers through the same code.
#include "tools/notify/outbox_sender.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <utility>
#include <variant>

#include "io/http_client.hpp"
#include "sys/clock.hpp"
#include "sys/spawn.hpp"
#include "sys/syslog.hpp"

namespace reach::tools::notify {

namespace {

TimeNs wall_now() { return sys::WallClock().now(); }

const store::Backoff kBackoff{};

// The envelope address of "Name <a@b>" (SMTP's MAIL FROM and RCPT TO take no display name).
std::string envelope_address(const std::string& mailbox) {
  auto open = mailbox.rfind('<');
  auto close = mailbox.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open)
    return mailbox.substr(open + 1, close - open - 1);
  return mailbox;
}

}  // namespace

OutboxSender::OutboxSender(io::Reactor& reactor, store::Store& store, Hooks hooks)
    : reactor_(reactor), store_(store), hooks_(std::move(hooks)) {}

OutboxSender::~OutboxSender() {
  if (timer_) reactor_.cancel(timer_);
  if (drain_timer_) reactor_.cancel(drain_timer_);
  cancel_->store(true);  // a message being sent ends within a second; the thread is joined
  mail_.reset();
  http_.reset();
}

void OutboxSender::drain(TimeNs limit, std::function<void()> then) {
  if (draining_) return give_up();  // the stop signal again: the wait ends, said as its timeout is
  draining_ = true;
  then_ = std::move(then);
  if (timer_) reactor_.cancel(timer_);
  timer_ = 0;
  if (delivering_.empty()) return drained();
  drain_timer_ = reactor_.after(limit, [this] {
    drain_timer_ = 0;
    give_up();
  });
}

void OutboxSender::give_up() {
  if (!delivering_.empty() && then_)
    hooks_.error(fmt::format("outbox: stopping with {} deliveries unconfirmed; the next start sends them again",
                             delivering_.size()));
  // Its outcome can no longer be recorded and the next start runs it again: as at its timeout.
  for (const auto& [id, child] : children_) (void)sys::kill_child(child, SIGKILL);
  cancel_->store(true);
  drained();
}

void OutboxSender::drained() {
  if (drain_timer_) reactor_.cancel(drain_timer_);
  drain_timer_ = 0;
  if (auto then = std::exchange(then_, nullptr)) then();
}

void OutboxSender::pump() {
  if (draining_) return;
  auto due = [&] {
    store::Writer::Hold hold(hooks_.writer);
    return store_.due(wall_now(), 64, kBackoff);
  }();
  if (!due) {
    hooks_.error("outbox: " + due.error().message());
  } else {
    for (const store::OutboxItem& item : *due)
      if (delivering_.insert(item.id).second) deliver(item);
  }
  if (!timer_)  // one retry timer at a time
    timer_ = reactor_.after(kNsPerSec, [this] {
      timer_ = 0;
      pump();
    });
}

void OutboxSender::deliver(const store::OutboxItem& item) {
  const config::Notifier* n = hooks_.find(item.notifier);
  auto done = [this, id = item.id, name = item.notifier](bool ok, std::string error) {
    delivering_.erase(id);
    // Run last, after the outcome is committed.
    struct AfterDone {
      OutboxSender* s;
      ~AfterDone() {
        if (s->draining_ && s->delivering_.empty()) s->drained();
      }
    } after{this};
    auto& st = stats_[name];
    st.name = name;
    if (ok) {
      ++st.sent;
      store::Writer::Hold hold(hooks_.writer);
      if (auto r = store_.delivered(id, wall_now()); !r) hooks_.error("outbox: " + r.error().message());
      return;
    }
    ++st.failed;
    {
      store::Writer::Hold hold(hooks_.writer);
      (void)store_.failed(id, wall_now(), error, kBackoff);
    }
    hooks_.error(fmt::format("notifier {}: {} (will retry)", name, error));
  };
  if (!n) return done(false, "notifier no longer configured");
  if (std::holds_alternative<config::WebhookNotifier>(n->kind) && !http_) {
    auto h = io::HttpAsync::create(reactor_);
    if (!h) return done(false, h.error().message());
    http_ = std::move(*h);
  }

  if (const auto* w = std::get_if<config::WebhookNotifier>(&n->kind)) {
    io::HttpRequest req;
    req.url = w->url;
    req.method = "POST";
    req.body = item.payload;
    req.timeout = w->timeout;
    req.headers = {"Content-Type: application/json", "Idempotency-Key: " + item.key};
    for (const auto& [k, v] : w->headers) req.headers.push_back(k + ": " + v);
    auto id = http_->start(std::move(req), [done](io::HttpResponse h) {
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
    children_[item.id] = child;
    auto timer = std::make_shared<io::Reactor::TimerId>(
        reactor_.after(x->timeout, [child] { (void)sys::kill_child(child, SIGKILL); }));
    auto w = reactor_.watch_child(child, [this, done, timer, id = item.id](int status) {
      reactor_.cancel(*timer);
      children_.erase(id);
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return done(true, {});
      done(false, WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status)) : "killed (timeout?)");
    });
    if (!w) children_.erase(item.id), done(false, w.error().message());
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
    env.password = hooks_.password(item.notifier);
    env.require_tls = m->starttls;
    req.mail = std::move(env);
    req.cancel = cancel_;
    // libcurl waits for the answer to the message's final "." blocking, on the multi interface
    // too: a server that stalled there froze every probe for the notifier's timeout. Mail goes
    // out on a helper thread, one message at a time.
    if (!mail_) {
      auto w = io::Worker::create(reactor_);
      if (!w) return done(false, w.error().message());
      mail_ = std::move(*w);
    }
    mail_->run([req = std::move(req), done]() -> io::Worker::Continuation {
      Result<io::HttpResponse> r = io::fetch(req);
      return [r = std::move(r), done] {
        if (!r) return done(false, r.error().message());
        if (r->completed) return done(true, {});  // curl saw 250 after DATA
        done(false, r->status > 0 ? fmt::format("SMTP {}: {}", r->status, r->error) : r->error);
      };
    });
    return;
  }
}

Result<void> load_notifier_libraries(const std::vector<config::Notifier>& notifiers) {
  const bool curl = std::any_of(notifiers.begin(), notifiers.end(), [](const config::Notifier& n) {
    return std::holds_alternative<config::WebhookNotifier>(n.kind) || std::holds_alternative<config::EmailNotifier>(n.kind);
  });
  return curl ? io::load_http_library() : Result<void>{};
}

}  // namespace reach::tools::notify
