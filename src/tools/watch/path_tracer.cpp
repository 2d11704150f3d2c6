#include "tools/watch/path_tracer.hpp"

#include <sys/epoll.h>

#include "sys/caps.hpp"
#include "sys/resolve.hpp"
#include "sys/socket.hpp"
#include "tools/trace/trace_rx.hpp"

namespace reach::tools::watch {

namespace {
// One probe per hop, sixteen hops in flight, a second at most per probe: a trace toward a
// target that stopped answering ends within a few seconds, not 30 hops x 5 s.
constexpr int kWindow = 16;
constexpr TimeNs kProbeWait = kNsPerSec;
constexpr TimeNs kTraceLimit = 20 * kNsPerSec;  // whatever happens, a trace ends by then
}  // namespace

PathTracer::~PathTracer() { close(); }

void PathTracer::trace(const IpAddr& target, int max_ttl, Done done) {
  queue_.push_back(Job{target, max_ttl, std::move(done)});
  if (!engine_ && !starting_) {
    starting_ = true;
    reactor_.post([this] {
      starting_ = false;
      start_next();
    });
  }
}

std::string PathTracer::open(const Job& j) {
  auto src = sys::source_address_for(j.target, "");
  if (!src) return src.error().message();
  io::SocketOptions so;
  so.source = *src;
  bool kernel_header = false;
  auto s = io::ProbeSocket::open(io::SocketKind::icmp_raw, j.target.family(), so);
  if (!s) {
    s = io::ProbeSocket::open(io::SocketKind::icmp_dgram, j.target.family(), so);
    if (!s) return "path trace needs CAP_NET_RAW or net.ipv4.ping_group_range: " + s.error().message();
    kernel_header = true;
  }
  sock_ = std::make_unique<io::ProbeSocket>(std::move(*s));
  if (auto w = reactor_.watch(sock_->fd(), EPOLLIN | EPOLLERR, [this](std::uint32_t) {
        drain();
        step();
      });
      !w) {
    sock_.reset();
    return w.error().message();
  }
  engine::TraceConfig c;
  c.method = model::TraceMethod::icmp;
  c.target = j.target;
  c.source = *src;
  c.sport = static_cast<std::uint16_t>((key_ >> 16) ^ static_cast<std::uint64_t>(reactor_.now()));
  c.max_ttl = j.max_ttl;
  c.queries = 1;
  c.window = kWindow;
  c.wait = kProbeWait;
  c.kernel_header = kernel_header;
  c.key = key_;
  last_ttl_ = -1;
  engine_ = std::make_unique<engine::TraceEngine>(c, reactor_.refresh_now());
  return {};
}

void PathTracer::start_next() {
  while (!engine_ && !queue_.empty()) {
    if (std::string e = open(queue_.front()); !e.empty()) {
      Job j = std::move(queue_.front());
      queue_.pop_front();
      j.done(model::TraceResult{}, e);
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
  for (auto& o : engine_->due(now)) send(o);
  drain();
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

void PathTracer::send(const engine::TraceOutgoing& o) {
  TimeNs t = reactor_.refresh_now();
  if (o.ttl != last_ttl_) {
    if (auto r = sys::set_ttl(sock_->fd(), engine_->config().target.family(), o.ttl); !r)
      return engine_->send_failed(o.id, t);
    last_ttl_ = o.ttl;
  }
  if (sock_->send(o.bytes, engine_->config().target, 0, o.id)) engine_->sent(o.id, t, reactor_.refresh_now());
  else engine_->send_failed(o.id, t);
}

void PathTracer::drain() {
  if (!sock_ || !engine_) return;
  io::ProbeSocket::Handlers h;
  h.tx_stamp = [&](const io::ProbeSocket::TxStamp& ts) { engine_->tx_stamp(static_cast<std::uint32_t>(ts.tag), ts.stamp); };
  h.packet = [&](const io::ProbeSocket::Packet& p) {
    engine::TraceIncoming in;
    in.kind = engine::TraceIncoming::Kind::icmp;
    in.family = sock_->family();
    in.data = p.data;
    in.has_ip_header = sock_->family() == Family::v4 && sock_->kind() == io::SocketKind::icmp_raw;
    if (p.meta.from) in.from = *p.meta.from;
    in.kernel_rx = p.meta.kernel_rx.has_value();
    in.user_rx = reactor_.refresh_now();
    in.rx = p.meta.kernel_rx.value_or(*in.user_rx);
    in.ttl = p.meta.ttl;
    (void)engine_->on_packet(in);
  };
  h.icmp_error = [&](const io::ProbeSocket::IcmpError& e) {
    (void)engine_->on_queued_error(trace_queued_error(e, reactor_.refresh_now()));
  };
  (void)sock_->drain(h);
}

void PathTracer::finish(const std::string& error) {
  if (!engine_ || queue_.empty()) return;
  model::TraceResult r = engine_->result(reactor_.refresh_now());
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
  if (sock_) reactor_.unwatch(sock_->fd());
  sock_.reset();
  engine_.reset();
}

}  // namespace reach::tools::watch
