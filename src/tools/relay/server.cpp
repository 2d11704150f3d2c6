#include "tools/relay/server.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <linux/capability.h>
#include <signal.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>

#include "io/daemon_signals.hpp"
#include "sys/batch.hpp"
#include "sys/caps.hpp"
#include "sys/daemon_privs.hpp"
#include "sys/limits.hpp"
#include "sys/listen.hpp"
#include "sys/splice.hpp"
#include "tools/relay/budget.hpp"
#include "tools/relay/defence.hpp"

namespace reach::tools::relay {

namespace {

constexpr int kBacklog = 4096;  // deliberate: a burst of SYNs waits in the kernel, not refused
constexpr int kAcceptsPerTurn = 64;

Result<void> keep_privileges(bool net_admin, bool bind, const std::optional<std::string>& user) {
  if (net_admin && bind)
    return user ? sys::switch_user(*user, {CAP_NET_ADMIN, CAP_NET_BIND_SERVICE})
                : sys::keep_only_capabilities({CAP_NET_ADMIN, CAP_NET_BIND_SERVICE});
  if (net_admin) return user ? sys::switch_user(*user, {CAP_NET_ADMIN}) : sys::keep_only_capabilities({CAP_NET_ADMIN});
  if (bind)
    return user ? sys::switch_user(*user, {CAP_NET_BIND_SERVICE}) : sys::keep_only_capabilities({CAP_NET_BIND_SERVICE});
  return user ? sys::switch_user(*user, {}) : sys::drop_all_capabilities();
}

// A port below 1024 refused: say why. After the start the relay holds CAP_NET_BIND_SERVICE
// only when it listened below 1024 then (keep_privileges), so only a restart can add one.
Error low_port_hint(Error e, const io::ListenAddress& a, bool reloading) {
  if (e.err != EACCES || a.port >= 1024 || sys::has_capability(CAP_NET_BIND_SERVICE)) return e;
  e.detail = reloading ? fmt::format("{} needs a restart: a port below 1024 needs CAP_NET_BIND_SERVICE, which was "
                                     "not kept (no listen port below 1024 at start)",
                                     a.to_string())
                       : "a port below 1024 needs root or CAP_NET_BIND_SERVICE";
  return e;
}

}  // namespace

const char* reject_word(Reject r) {
  static const char* const words[kRejectCount] = {"none",        "bad_proxy_header", "head_timeout",
                                                  "bad_request", "head_too_large",   "no_backend",
                                                  "client_error", "backend_error",   "idle_timeout",
                                                  "shutdown",    "limited",         "evicted"};
  return words[static_cast<std::size_t>(r)];
}

Server::Server(const RelayOptions& opts, config::RelayConfig cfg, std::ostream& out, std::ostream& err)
    : opts_(opts), cfg_(std::make_shared<const config::RelayConfig>(std::move(cfg))), out_(out), err_(err) {}

Server::~Server() {
  http_.reset();
  // Moved out first: close() reports back through finished(), which must not touch the map
  // being walked.
  auto open = std::move(conns_);
  conns_.clear();
  for (auto& [id, c] : open) c->close(Reject::shutdown);
  open.clear();
  finished_.clear();
  for (auto& [i, c] : checks_) {
    reactor_->unwatch(c.fd.get());
    reactor_->cancel(c.timer);
  }
  for (auto& [name, l] : listeners_) reactor_->unwatch(l.fd.get());
}

Result<std::unique_ptr<Server>> Server::create(const RelayOptions& opts, config::RelayConfig cfg,
                                               std::ostream& out, std::ostream& err) {
  std::unique_ptr<Server> s(new Server(opts, std::move(cfg), out, err));
  if (auto r = s->start(); !r) return tl::unexpected(r.error());
  return s;
}

Result<void> Server::open_listeners(const config::RelayConfig& cfg, bool reloading) {
  std::map<std::string, Listener> next;
  std::vector<std::string> taken;  // from the old set
  // On a failure the listeners taken over go back (the new ones close): the old set stays whole.
  auto give_back = [&](Error e) -> Result<void> {
    for (const auto& key : taken) listeners_.emplace(key, std::move(next.at(key)));
    if (auto w = watch_listeners(); !w) return w;
    return tl::unexpected(std::move(e));
  };
  for (const auto& text : cfg.listen) {
    auto a = io::parse_listen_address(text);
    if (!a) return give_back(a.error());
    const std::string key = a->to_string();
    if (next.count(key)) continue;
    if (auto old = listeners_.find(key); old != listeners_.end()) {
      next.emplace(key, std::move(old->second));
      listeners_.erase(old);
      taken.push_back(key);
      continue;
    }
    auto fd = sys::listen_tcp(a->addr, a->port, kBacklog, key);
    if (!fd) return give_back(low_port_hint(std::move(fd.error()), *a, reloading));
    next.emplace(key, Listener{*a, std::move(*fd)});
  }
  // Only now that every new one opened: the old set closes (connections stay).
  for (auto& [key, l] : listeners_) reactor_->unwatch(l.fd.get());
  listeners_ = std::move(next);
  return watch_listeners();
}

// (Re)registers every listener: a map node moved between sets is a new address for the callback.
Result<void> Server::watch_listeners() {
  for (auto& [key, l] : listeners_) {
    Listener* lp = &l;
    (void)reactor_->unwatch(l.fd.get());
    if (auto w = reactor_->watch(l.fd.get(), EPOLLIN, [this, lp](std::uint32_t) { on_accept(*lp); }); !w)
      return w;
  }
  return {};
}

Result<void> Server::start() {
  auto r = io::Reactor::create();
  if (!r) return tl::unexpected(r.error());
  reactor_ = std::move(*r);
  io::DaemonSignals sig{"reach relay", [this] {
                          exit_code_ = 0;
                          reactor_->stop();
                        }, {}, [this](const std::string& line) { event("reload", line, {{"ok", false}}); }};
  if (!opts_.config.empty())
    sig.reload = [this] {
      if (auto r = reload(); !r) {
        ++reload_failures_;
        event("reload", r.error().message(), {{"ok", false}});
      }
    };
  if (auto h = io::handle_daemon_signals(*reactor_, std::move(sig)); !h) return h;
  gate_ = defence_gate(cfg_->limits, cfg_->head_timeout, {}, cfg_->accept_proxy);
  nofile_ = sys::raise_fd_limit(fds_wanted(*cfg_));
  if (auto l = open_listeners(*cfg_, false); !l) return l;
  apply_backends(*cfg_);
  if (cfg_->metrics) {
    io::HttpServerOptions o;
    o.listen = {*cfg_->metrics};
    auto h = io::HttpServer::start(*reactor_, o);
    if (!h)  // which setting it was: a bind error alone does not say
      return fail(cfg_->metrics_line ? fmt::format("{}:{}: relay.metrics", cfg_->source, cfg_->metrics_line)
                                     : std::string("--metrics"),
                  *cfg_->metrics, 0, h.error().message());
    http_ = std::move(*h);
    start_metrics();
  }
  // Privileges: nothing more is needed once the sockets are open, except CAP_NET_ADMIN for the
  // black-hole's nftables batches (netlink checks it at every send) and CAP_NET_BIND_SERVICE
  // when a reload may listen below 1024 again.
  const bool low = std::any_of(listeners_.begin(), listeners_.end(), [](const auto& kv) { return kv.second.addr.port < 1024; });
  const bool bind = !opts_.config.empty() && low && sys::has_capability(CAP_NET_BIND_SERVICE);
  const bool admin = cfg_->limits.blackhole && sys::has_capability(CAP_NET_ADMIN);
  if (auto p = keep_privileges(admin, bind, cfg_->user); !p) return p;

  if (gate_->tick_interval() > 0) reactor_->after(gate_->tick_interval(), [this] { on_tick(); });
  schedule_checks();
  std::string where;
  for (const auto& [key, l] : listeners_) where += (where.empty() ? "" : " ") + key;
  std::string to;
  for (const auto& b : backends_) to += (to.empty() ? "" : " ") + b.text;
  fd_note_said_ = fd_note(*cfg_);
  event("start",
        fmt::format("relay {} -> {} (PROXY {}{}){}", where, to, config::proxy_send_word(cfg_->send_proxy),
                    cfg_->http ? ", http" : "", fd_note_said_),
        {{"listen", listeners_.size()}, {"backends", backends_.size()}, {"nofile", nofile_}});
  return {};
}

void Server::apply_backends(const config::RelayConfig& cfg) {
  // Health state survives a reload for a backend that stays (by its address).
  std::map<std::string, engine::RelayPool::Backend> old;
  if (pool_)
    for (std::size_t i = 0; i < backends_.size(); ++i) old[backends_[i].text] = pool_->backends()[i];
  backends_.clear();
  for (const auto& b : cfg.backends)
    backends_.push_back(BackendRef{b.addr, b.port, b.send_proxy.value_or(cfg.send_proxy), b.text});
  pool_ = std::make_unique<engine::RelayPool>(
      backends_.size(),
      cfg.balance == config::Balance::leastconn ? engine::PoolBalance::leastconn : engine::PoolBalance::roundrobin,
      cfg.health.fall, cfg.health.rise);
  for (std::size_t i = 0; i < backends_.size(); ++i)
    if (auto o = old.find(backends_[i].text); o != old.end()) pool_->restore(i, o->second);
  ++pool_generation_;
  for (auto& [i, c] : checks_) {
    reactor_->unwatch(c.fd.get());
    reactor_->cancel(c.timer);
  }
  checks_.clear();
}

void Server::on_accept(Listener& l) {
  const std::string name = l.addr.to_string();
  for (int i = 0; i < kAcceptsPerTurn; ++i) {
    auto a = sys::accept_connection(l.fd.get(), name);
    if (!a) {
      // Out of fds (EMFILE/ENFILE) or memory: stop accepting for a moment instead of spinning
      // on a listener that stays readable.
      event("error", a.error().message());
      const int fd = l.fd.get();
      reactor_->unwatch(fd);
      reactor_->after(100 * kNsPerMs, [this, name] {
        auto it = listeners_.find(name);
        if (it == listeners_.end()) return;
        Listener* lp = &it->second;
        (void)reactor_->watch(lp->fd.get(), EPOLLIN, [this, lp](std::uint32_t) { on_accept(*lp); });
      });
      return;
    }
    if (!*a) return;
    const TimeNs now = reactor_->now();
    // The one admission point (flood defences: gate.hpp).
    // From a trusted balancer the client is known only once the PROXY header is in: until then
    // the balancer's pending headers are capped, and the header deadline runs.
    const IpAddr& peer = (*a)->peer;
    const bool upstream = std::any_of(cfg_->accept_proxy.begin(), cfg_->accept_proxy.end(),
                                      [&](const IpPrefix& p) { return p.contains(peer); });
    auto ask = [&](bool can_evict) {
      return upstream ? gate_->admit_upstream(peer, now, can_evict) : gate_->admit(peer, now, can_evict);
    };
    Gate::Verdict v = ask(!heads_.empty());
    // At a global cap: the oldest connection that has not forwarded a byte yet makes room
    // (a silent flood spread over many prefixes, each under its own limits, must not lock
    // everyone else out until the head deadline); an established one never does.
    if (v.evict) {
      evict_oldest(v.reason, now);
      v = ask(false);
    }
    if (!v.ok) {
      ++refusals_[v.reason];
      (void)sys::set_linger_zero((*a)->fd.get());
      continue;
    }
    ++accepted_;
    const std::uint64_t id = next_id_++;
    auto c = std::make_unique<Conn>(*this, *reactor_, id, std::move(**a), cfg_, gate_->head_deadline(now));
    Conn* cp = c.get();
    conns_.emplace(id, std::move(c));
    heads_.insert(heads_.end(), id);  // ids grow: the set's order is the order of arrival
    high_water_ = std::max(high_water_, conns_.size());
    update_memory();
    cp->start();
  }
}

Result<void> Server::reload() {
  auto next = build_config(opts_);
  if (!next) {
    std::string why;
    for (const auto& e : next.error().items) why += (why.empty() ? "" : "; ") + e.text();
    return fail("reload", "", 0, why + " (old config kept)");
  }
  if (auto l = open_listeners(*next, true); !l) return fail("reload", "", 0, l.error().message() + " (old config kept)");
  apply_backends(*next);
  // Limits apply to new connections; the open ones stay counted, under their addresses.
  std::vector<IpAddr> open;
  open.reserve(conns_.size());
  for (const auto& [id, c] : conns_) open.push_back(c->counted());
  std::vector<std::string> notes;
  if (auto n = gate_->reconfigure(next->limits, next->head_timeout, next->accept_proxy, open, reactor_->now());
      !n.empty())
    notes.push_back(std::move(n));
  // The process switched user at start and cannot switch back: the user stays until a restart.
  if (next->user != cfg_->user) {
    notes.push_back(fmt::format("user: still {}: a reload cannot switch user (privileges were dropped at start); "
                                "restart to apply",
                                cfg_->user ? "\"" + *cfg_->user + "\"" : "the starting user"));
    next->user = cfg_->user;
  }
  // The /metrics server was started with the relay; moving it would drop a scrape mid-flight.
  if (next->metrics != cfg_->metrics) {
    notes.push_back(fmt::format("metrics: still {}: a reload does not move /metrics; restart to apply",
                                cfg_->metrics ? *cfg_->metrics : "off"));
    next->metrics = cfg_->metrics;
    next->metrics_line = cfg_->metrics_line;
  }
  nofile_ = sys::raise_fd_limit(fds_wanted(*next));
  // Said again only when it changed: the same note at every reload is noise to log alerting.
  if (auto n = fd_note(*next); n != fd_note_said_) {
    if (!n.empty()) notes.push_back(n.substr(2));
    fd_note_said_ = std::move(n);
  }
  cfg_ = std::make_shared<const config::RelayConfig>(std::move(*next));
  update_memory();
  ++reloads_;
  schedule_checks();
  std::string text = fmt::format("reloaded: {} listeners, {} backends, {} connections kept", listeners_.size(),
                                 backends_.size(), conns_.size());
  for (const auto& n : notes) text += "; " + n;
  event("reload", text, {{"ok", true}, {"connections", conns_.size()}, {"notes", notes}});
  return {};
}

void Server::update_memory() {
  gate_->memory_in_use(memory_estimate(*cfg_, conns_.size(), forwarding_));
}

std::string Server::fd_note(const config::RelayConfig& c) const {
  if (nofile_ >= fds_wanted(c)) return "";
  return fmt::format("; open files limited to {} (max_conns {} wants {}): raise LimitNOFILE", nofile_,
                     c.limits.max_conns, fds_wanted(c));
}

std::optional<std::size_t> Server::pick_backend(const std::vector<bool>& tried) {
  return pool_->pick(tried, reactor_->now());
}
BackendRef Server::backend(std::size_t i) const { return backends_.at(i); }
void Server::backend_opened(std::size_t i) {
  pool_->opened(i);
  ++forwarding_;
  update_memory();
}
void Server::backend_closed(const std::string& text) {
  --forwarding_;
  for (std::size_t i = 0; i < backends_.size(); ++i)
    if (backends_[i].text == text) pool_->closed(i);
}
void Server::backend_failed(std::size_t i, const std::string& reason) {
  pool_->connect_failed(i, reactor_->now());
  (void)reason;  // counted; set aside for a while, and the health check says when it is out
}
void Server::bytes(std::uint64_t up, std::uint64_t down) {
  bytes_up_ += up;
  bytes_down_ += down;
}
void Server::head_timed_out(const IpAddr& peer) { gate_->head_timed_out(peer); }
bool Server::handover(const IpAddr& upstream, const IpAddr& client) {
  const Gate::Verdict v = gate_->handover(upstream, client, reactor_->now());
  if (!v.ok) ++refusals_[v.reason];
  return v.ok;
}

void Server::evict_oldest(const std::string& reason, TimeNs now) {
  const std::uint64_t id = *heads_.begin();
  auto it = conns_.find(id);
  if (it == conns_.end()) {  // not expected: finished() takes it out of both
    heads_.erase(heads_.begin());
    return;
  }
  gate_->evicted(it->second->counted(), reason, now);
  it->second->close(Reject::evicted);  // finished() takes it out of heads_ and the counts
}

void Server::settled(std::uint64_t id) { heads_.erase(id); }

void Server::finished(std::uint64_t id, Reject why) {
  heads_.erase(id);
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  ++rejects_[static_cast<std::size_t>(why)];
  gate_->released(it->second->counted(), reactor_->now());
  // The Conn is on the stack of its own callback: destroyed on the next turn.
  finished_.push_back(std::move(it->second));
  conns_.erase(it);
  update_memory();
  if (finished_.size() == 1) reactor_->post([this] { finished_.clear(); });
}

// The defences' batch of bans to the kernel, and their events.
void Server::on_tick() {
  gate_->tick(reactor_->now());
  // A flood has ebbed: what its connections used goes back to the kernel (fds close by
  // themselves; the heap does not shrink without asking).
  if (high_water_ >= 256 && conns_.size() * 4 <= high_water_) {
    sys::release_free_heap();
    high_water_ = conns_.size();
  }
  // The defences hand over NDJSON; through event() they become text lines without --json and get
  // the relay's timestamp with it.
  for (const auto& line : gate_->take_events()) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    std::string kind = j.value("type", std::string("relay_defence"));
    if (kind.rfind("relay_", 0) == 0) kind.erase(0, 6);
    const std::string text = j.value("message", kind);
    for (const char* k : {"type", "version", "message"}) j.erase(k);
    event(kind, text, std::move(j));
  }
  reactor_->after(gate_->tick_interval(), [this] { on_tick(); });
}

int Server::run() {
  if (auto r = reactor_->run(); !r) {
    err_ << "reach relay: " << r.error().message() << '\n';
    return 2;
  }
  return exit_code_;
}

}  // namespace reach::tools::relay
