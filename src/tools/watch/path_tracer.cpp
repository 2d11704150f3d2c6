#include "tools/watch/path_tracer.hpp"

#include <fmt/format.h>
#include <sys/epoll.h>

#include "engine/watch_path.hpp"
#include "sys/random.hpp"
#include "sys/resolve.hpp"
#include "sys/socket.hpp"
#include "tools/trace/trace_rx.hpp"

namespace reach::tools::watch {

namespace {
// One probe per hop, sixteen hops in flight, a second at most per probe: a trace toward a
// target that stopped answering ends within a few seconds, not 30 hops x 5 s.
constexpr int kWindow = 16;
constexpr std::size_t kMdaWindow = 48;  // `reach trace --mda`'s probes in flight
constexpr TimeNs kProbeWait = kNsPerSec;
constexpr TimeNs kTraceLimit = 20 * kNsPerSec;  // whatever happens, a trace ends by then
constexpr std::uint64_t kMdaProbes = 5000;      // `reach trace --mda`'s default budget
}  // namespace

PathTracer::~PathTracer() { close(); }

void PathTracer::trace(const IpAddr& target, const config::PathSettings& how, Done done) {
  queue_.push_back(Job{target, how, std::move(done)});
  if (!engine_ && !starting_) {
    starting_ = true;
    reactor_.post([this] {
      starting_ = false;
      start_next();
    });
  }
}

std::string PathTracer::add_socket(io::SocketKind k, Family f, const io::SocketOptions& so) {
  auto s = io::ProbeSocket::open(k, f, so);
  if (!s) return s.error().message();
  socks_.push_back(std::make_unique<io::ProbeSocket>(std::move(*s)));
  io::ProbeSocket* p = socks_.back().get();
  if (auto w = reactor_.watch(p->fd(), EPOLLIN | EPOLLERR, [this, p](std::uint32_t) {
        drain(*p);
        step();
      });
      !w) {
    socks_.pop_back();
    return w.error().message();
  }
  return {};
}

std::string PathTracer::open(const Job& j) {
  auto src = sys::source_address_for(j.target, "");
  if (!src) return src.error().message();
  io::SocketOptions so;
  so.source = *src;
  const Family f = j.target.family();
  const auto method = j.how.protocol;
  bool kernel_header = false;
  std::string e;
  if (method == model::TraceMethod::icmp) {
    if (!add_socket(io::SocketKind::icmp_raw, f, so).empty()) {
      e = add_socket(io::SocketKind::icmp_dgram, f, so);
      if (!e.empty()) return "path trace needs CAP_NET_RAW or net.ipv4.ping_group_range: " + e;
      kernel_header = true;
    }
  } else {
    // UDP and TCP probes are built whole (each MDA flow its own source port): raw sockets, as
    // `reach trace --tcp` and `--mda` need; a daemon keeps CAP_NET_RAW.
    e = add_socket(method == model::TraceMethod::udp ? io::SocketKind::udp_raw : io::SocketKind::tcp_raw, f, so);
    if (e.empty()) e = add_socket(io::SocketKind::icmp_raw, f, so);
    if (!e.empty()) {
      close();
      return fmt::format("path protocol {} needs CAP_NET_RAW: {}", method == model::TraceMethod::udp ? "udp" : "tcp", e);
    }
  }
  const std::uint64_t rnd = sys::random64() ^ key_;
  engine::TraceConfig c;
  c.method = method;
  c.target = j.target;
  c.source = *src;
  // MDA: flow n uses source port sport + n (as `reach trace --mda`); keep the range below 65536.
  c.sport = j.how.mda ? static_cast<std::uint16_t>(1024 + rnd % (64000 - kMdaProbes))
                      : static_cast<std::uint16_t>(33000 + rnd % 28000);
  c.dport = static_cast<std::uint16_t>(j.how.port);
  c.max_ttl = j.how.max_hops;
  c.queries = 1;
  c.window = kWindow;
  c.wait = kProbeWait;
  c.kernel_header = kernel_header;
  c.key = key_;
  c.manual = j.how.mda;
  last_ttl_ = -1;
  engine_ = std::make_unique<engine::TraceEngine>(c, reactor_.refresh_now());
  if (j.how.mda) {
    engine::MdaOptions mo;
    mo.destination = j.target;
    mo.max_ttl = j.how.max_hops;
    mo.max_probes = kMdaProbes;
    mo.alpha = j.how.alpha;
    mda_ = std::make_unique<engine::MdaEngine>(mo);
  }
  return {};
}

void PathTracer::start_next() {
  while (!engine_ && !queue_.empty()) {
    if (std::string e = open(queue_.front()); !e.empty()) {
      Job j = std::move(queue_.front());
      queue_.pop_front();
      j.done(PathTraceResult{}, e);
      continue;
    }
    deadline_ = reactor_.after(kTraceLimit, [this] {
      deadline_ = 0;
      finish({});
    });
    step();
  }
}

void PathTracer::step() {
  if (!engine_) return;
  TimeNs now = reactor_.refresh_now();
  if (mda_) return step_mda(now);
  for (auto& o : engine_->due(now)) send(o);
  for (auto& s : socks_) drain(*s);
  now = reactor_.refresh_now();
  (void)engine_->expire(now);
  if (engine_->done()) return finish({});
  if (timer_) reactor_.cancel(timer_);
  auto wake = engine_->next_wakeup();
  timer_ = reactor_.at(wake.value_or(now + 100 * kNsPerMs), [this] {
    timer_ = 0;
    step();
  });
}

// `reach trace --mda`'s loop, one turn: the MDA engine says which (ttl, flow) to probe, the
// trace engine (manual mode) builds and matches the probes.
void PathTracer::step_mda(TimeNs now) {
  const std::size_t busy = mda_->outstanding();
  auto batch = mda_->next(kMdaWindow > busy ? kMdaWindow - busy : 0);
  for (const auto& p : batch) {
    auto o = engine_->probe(p.ttl, static_cast<std::uint16_t>(p.flow), now);
    if (!o) {
      mda_->on_timeout(p.ttl, p.flow);
      continue;
    }
    send(*o);
  }
  for (auto& s : socks_) drain(*s);
  if (!mda_) return;  // finished while draining
  now = reactor_.refresh_now();
  for (const auto& p : engine_->expire(now)) mda_->on_timeout(p.ttl, p.flow);
  if (mda_->done()) return finish({});
  auto wake = engine_->next_wakeup();
  if (!wake && mda_->outstanding() == 0) {
    if (batch.empty()) return finish({});  // nothing in flight, nothing more asked for
    wake = now;                            // the engine has more to ask: another turn now
  }
  if (timer_) reactor_.cancel(timer_);
  timer_ = reactor_.at(wake.value_or(now + 100 * kNsPerMs), [this] {
    timer_ = 0;
    step();
  });
}

void PathTracer::send(const engine::TraceOutgoing& o) {
  io::ProbeSocket& s = *socks_.front();
  TimeNs t = reactor_.refresh_now();
  if (o.ttl != last_ttl_) {
    if (auto r = sys::set_ttl(s.fd(), engine_->config().target.family(), o.ttl); !r)
      return engine_->send_failed(o.id, t);
    last_ttl_ = o.ttl;
  }
  if (s.send(o.bytes, engine_->config().target, 0, o.id)) engine_->sent(o.id, t, reactor_.refresh_now());
  else engine_->send_failed(o.id, t);
}

void PathTracer::drain(io::ProbeSocket& s) {
  if (!engine_) return;
  io::ProbeSocket::Handlers h;
  auto answered = [&](const std::optional<model::TraceProbe>& p) {
    if (mda_ && p && p->answer != model::TraceAnswer::none) mda_->on_answer(p->ttl, p->flow, p->from, p->at_target);
  };
  h.tx_stamp = [&](const io::ProbeSocket::TxStamp& ts) { engine_->tx_stamp(static_cast<std::uint32_t>(ts.tag), ts.stamp); };
  h.packet = [&](const io::ProbeSocket::Packet& p) {
    engine::TraceIncoming in;
    switch (s.kind()) {
      case io::SocketKind::tcp_raw: in.kind = engine::TraceIncoming::Kind::tcp; break;
      case io::SocketKind::udp:
      case io::SocketKind::udp_raw: return;  // a UDP answer from a service says nothing about hops
      default: in.kind = engine::TraceIncoming::Kind::icmp; break;
    }
    in.family = s.family();
    in.data = p.data;
    in.has_ip_header = s.family() == Family::v4 && s.kind() != io::SocketKind::icmp_dgram;
    if (p.meta.from) in.from = *p.meta.from;
    in.kernel_rx = p.meta.kernel_rx.has_value();
    in.user_rx = reactor_.refresh_now();
    in.rx = p.meta.kernel_rx.value_or(*in.user_rx);
    in.ttl = p.meta.ttl;
    answered(engine_->on_packet(in));
  };
  h.icmp_error = [&](const io::ProbeSocket::IcmpError& e) {
    answered(engine_->on_queued_error(trace_queued_error(e, reactor_.refresh_now())));
  };
  (void)s.drain(h);
}

void PathTracer::finish(const std::string& error) {
  if (!engine_ || queue_.empty()) return;
  PathTraceResult r;
  if (mda_) {
    const model::MultipathGraph g = mda_->result();
    r.hops = engine::path_hops(g);
    r.reached = g.stop == model::MpStop::destination;
  } else {
    const model::TraceResult t = engine_->result(reactor_.refresh_now());
    r.hops = engine::path_hops(t);
    r.reached = t.reached;
  }
  Job j = std::move(queue_.front());
  queue_.pop_front();
  close();
  j.done(r, error);
  if (!queue_.empty()) reactor_.post([this] { start_next(); });
}

void PathTracer::close() {
  if (timer_) reactor_.cancel(timer_);
  if (deadline_) reactor_.cancel(deadline_);
  timer_ = deadline_ = 0;
  for (auto& s : socks_) reactor_.unwatch(s->fd());
  socks_.clear();
  engine_.reset();
  mda_.reset();
}

}  // namespace reach::tools::watch
