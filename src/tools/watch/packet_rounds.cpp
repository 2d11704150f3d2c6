#include "tools/watch/packet_rounds.hpp"

#include <sys/epoll.h>

#include <cerrno>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/check_engine.hpp"
#include "engine/cookie.hpp"
#include "engine/ping_engine.hpp"
#include "io/probe_socket.hpp"
#include "packet/ip.hpp"
#include "sys/resolve.hpp"
#include "tools/watch/probers.hpp"

namespace reach::tools::watch {

using model::EventType;
using model::RoundResult;

struct PacketRounds::Impl {
  io::Reactor& reactor;
  std::uint64_t key;

  struct RawTcp {
    std::optional<io::ProbeSocket> sock;
    bool tried = false;
    std::string error;
  };
  RawTcp tcp4, tcp6;

  struct Job {
    std::uint32_t target = 0;
    bool syn = false;
    IpAddr addr;
    std::unique_ptr<engine::PingEngine> engine;
    std::shared_ptr<io::ProbeSocket> udp;  // udp rounds: their own connected socket (kept alive while drained)
    io::Reactor::TimerId timer = 0;
    RoundResult result;
    TimeNs start = 0;
    Done done;
  };
  std::uint32_t next_job = 1;
  std::unordered_map<std::uint32_t, Job> jobs;

  Impl(io::Reactor& r, std::uint64_t k) : reactor(r), key(k) {}

  RawTcp& raw_tcp(Family f) {
    RawTcp& s = f == Family::v4 ? tcp4 : tcp6;
    if (s.tried) return s;
    s.tried = true;
    auto sock = io::ProbeSocket::open(io::SocketKind::tcp_raw, f, {});
    if (!sock) {
      const int err = sock.error().err;
      s.error = err == EPERM || err == EACCES
                    ? "syn probes send raw TCP SYNs and need CAP_NET_RAW (" + sock.error().message() + ")"
                    : sock.error().message();
      return s;
    }
    s.sock.emplace(std::move(*sock));
    if (auto w = reactor.watch(s.sock->fd(), EPOLLIN | EPOLLERR, [this, f](std::uint32_t) { drain_raw(f); }); !w) {
      s.error = w.error().message();
      s.sock.reset();
    }
    return s;
  }

  void finish_later(Done done, RoundResult r) {
    reactor.post([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  }

  void run(const ProbeSpec& spec, const IpAddr& addr, RoundResult r, TimeNs start, Done done) {
    const bool syn = spec.kind == model::WatchProbe::syn;
    auto fail_now = [&](std::string reason) {
      r.reason = std::move(reason);
      r.duration = reactor.refresh_now() - start;
      finish_later(std::move(done), std::move(r));
    };
    const std::uint32_t id = next_job++;
    engine::PingConfig cfg;
    cfg.method = syn ? model::Method::tcp_syn : model::Method::udp;
    cfg.count = 1;
    cfg.interval = spec.timeout;
    cfg.wait = spec.timeout;
    cfg.payload = syn ? 0 : spec.payload;
    cfg.port = static_cast<std::uint16_t>(spec.port);
    engine::TargetSpec t;
    t.addr = addr;
    Job job;
    job.target = spec.id;
    job.syn = syn;
    job.addr = addr;
    io::ProbeSocket* sock = nullptr;
    if (syn) {
      RawTcp& raw = raw_tcp(addr.family());
      if (!raw.sock) return fail_now(raw.error);
      auto src = sys::source_address_for(addr, "");
      if (!src) return fail_now(src.error().message());
      t.source = *src;
      // 256 source ports per round from a base that moves with the round, as `reach ping --tcp`.
      t.ident = static_cast<std::uint16_t>(61000 - 256 * (id % 80));
      sock = &*raw.sock;
    } else {
      auto u = io::ProbeSocket::open(io::SocketKind::udp, addr.family(), {});
      if (!u) return fail_now(u.error().message());
      if (auto c = u->connect(addr, cfg.port); !c) {  // no route, as the tcp probe words it
        auto k = engine::classify_connect(c.error().err, std::nullopt, true);
        return fail_now(k.reason.empty() ? c.error().message() : k.reason);
      }
      job.udp = std::make_shared<io::ProbeSocket>(std::move(*u));
    }
    const TimeNs now = reactor.refresh_now();
    job.engine = std::make_unique<engine::PingEngine>(cfg, std::vector<engine::TargetSpec>{t},
                                                      engine::cookie(key, {id}), now);
    job.result = std::move(r);
    job.result.sent = 1;
    job.start = start;
    job.done = std::move(done);
    auto& j = jobs.emplace(id, std::move(job)).first->second;
    if (!syn) {
      sock = j.udp.get();
      if (auto w = reactor.watch(sock->fd(), EPOLLIN | EPOLLERR, [this, id](std::uint32_t) { drain_udp(id); }); !w) {
        j.udp.reset();
        reactor.post([this, id, e = w.error().message()] { end(id, send_error(e)); });
        return;
      }
    }
    for (const engine::Outgoing& o : j.engine->due(now)) {
      // The RTT's origin is read just before the send and bounded just after it (engine/rtt.hpp).
      const TimeNs before = reactor.refresh_now();
      auto sent = sock->send(o.bytes, addr, syn ? 0 : cfg.port, (std::uint64_t{id} << 32) | o.seq);
      if (sent) {
        j.engine->sent(o.target, o.seq, before, reactor.refresh_now());
      } else {
        auto e = j.engine->send_failed(o.target, o.seq, reactor.refresh_now(), sent.error().message());
        reactor.post([this, id, e] { end(id, e); });
        return;
      }
    }
    arm(id);
  }

  static model::ProbeEvent send_error(std::string e) {
    model::ProbeEvent ev;
    ev.type = EventType::send_error;
    ev.error = std::move(e);
    return ev;
  }

  void arm(std::uint32_t id) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    auto at = it->second.engine->next_wakeup();
    if (!at) {  // the engine is done without an event for us: never leave a round hanging
      model::ProbeEvent timeout;
      timeout.type = EventType::timeout;
      reactor.post([this, id, timeout] { end(id, timeout); });
      return;
    }
    it->second.timer = reactor.at(*at, [this, id] {
      auto it = jobs.find(id);
      if (it == jobs.end()) return;
      it->second.timer = 0;
      take(id, it->second.engine->expire(reactor.refresh_now()));
      arm(id);
    });
  }

  // The first event of a round decides it.
  void take(std::uint32_t id, const std::vector<model::ProbeEvent>& events) {
    for (const auto& e : events)
      if (!e.duplicate && !e.late) return end(id, e);
  }

  void end(std::uint32_t id, const model::ProbeEvent& e) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    Job job = std::move(it->second);
    jobs.erase(it);
    if (job.timer) reactor.cancel(job.timer);
    if (job.udp) reactor.unwatch(job.udp->fd());
    RoundResult& r = job.result;
    r.duration = reactor.refresh_now() - job.start;
    const model::IcmpSeen icmp{e.icmp_type, e.icmp_code, !job.addr.is_v4(), e.from};
    switch (e.type) {
      case EventType::reply:
        if (job.syn && e.refused) r.reason = engine::classify_connect(ECONNREFUSED, std::nullopt, false).reason;
        else if (!job.syn && e.icmp_type != 0) r.reason = engine::classify_icmp(icmp).reason;  // port unreachable
        else {
          r.success = true;
          r.received = 1;
          if (e.rtt) {
            r.rtts = {*e.rtt};
            r.phases.emplace_back(job.syn ? "connect" : "rtt", *e.rtt);
          }
          if (e.ttl >= 0) r.reply_ttl = e.ttl;
        }
        break;
      case EventType::icmp_error: r.reason = engine::classify_icmp(icmp).reason; break;
      case EventType::timeout: r.reason = "timed out"; break;
      case EventType::send_error: r.reason = e.error; break;
    }
    job.done(std::move(r));
  }

  io::ProbeSocket::Handlers handlers(Family f, engine::Channel ch, std::optional<std::uint32_t> only) {
    io::ProbeSocket::Handlers h;
    h.tx_stamp = [this](const io::ProbeSocket::TxStamp& ts) {
      auto it = jobs.find(static_cast<std::uint32_t>(ts.tag >> 32));
      if (it != jobs.end()) it->second.engine->tx_stamp(0, static_cast<std::uint32_t>(ts.tag), ts.stamp);
    };
    h.packet = [this, f, ch, only](const io::ProbeSocket::Packet& p) {
      engine::Incoming in;
      in.channel = ch;
      in.family = f;
      in.data = packet::Bytes(p.data.data(), p.data.size());
      if (p.meta.from) in.from = *p.meta.from;
      in.kernel_rx = p.meta.kernel_rx.has_value();
      in.rx = p.meta.kernel_rx.value_or(reactor.refresh_now());
      in.ttl = p.meta.ttl;
      if (only) {
        in.target = 0;
        return take(*only, feed(*only, in));
      }
      IpAddr src = in.from;
      if (f == Family::v4)
        if (auto ip = packet::parse_ipv4(in.data)) src = ip->src;
      dispatch(src, in);
    };
    h.icmp_error = [this, ch, only](const io::ProbeSocket::IcmpError& e) {
      if (!only) return;
      engine::IncomingError in;
      in.channel = ch;
      in.family = e.entry.icmp_family;
      in.original = packet::Bytes(e.original.data(), e.original.size());
      in.type = e.entry.icmp_type;
      in.code = e.entry.icmp_code;
      if (e.entry.offender) in.offender = *e.entry.offender;
      in.kernel_rx = e.entry.stamp.has_value();
      in.rx = e.entry.stamp.value_or(reactor.refresh_now());
      in.target = 0;
      auto it = jobs.find(*only);
      if (it != jobs.end()) take(*only, it->second.engine->on_error(in));
    };
    return h;
  }

  std::vector<model::ProbeEvent> feed(std::uint32_t id, const engine::Incoming& in) {
    auto it = jobs.find(id);
    return it == jobs.end() ? std::vector<model::ProbeEvent>{} : it->second.engine->on_packet(in);
  }

  // A shared raw socket's packet goes to the SYN rounds toward its sender only.
  void dispatch(const IpAddr& src, const engine::Incoming& in) {
    std::vector<std::uint32_t> ids;
    for (const auto& [id, j] : jobs)
      if (j.syn && j.addr == src) ids.push_back(id);
    for (std::uint32_t id : ids) take(id, feed(id, in));
  }

  void drain_raw(Family f) {
    RawTcp& s = f == Family::v4 ? tcp4 : tcp6;
    if (s.sock) (void)s.sock->drain(handlers(f, engine::Channel::tcp_raw, std::nullopt));
  }

  void drain_udp(std::uint32_t id) {
    auto it = jobs.find(id);
    if (it == jobs.end() || !it->second.udp) return;
    std::shared_ptr<io::ProbeSocket> sock = it->second.udp;  // end() may drop the job while we drain
    (void)sock->drain(handlers(sock->family(), engine::Channel::udp, id), 4);
  }
};

PacketRounds::PacketRounds(io::Reactor& reactor, std::uint64_t key) : impl_(std::make_unique<Impl>(reactor, key)) {}

PacketRounds::~PacketRounds() {
  for (auto* s : {&impl_->tcp4, &impl_->tcp6})
    if (s->sock) impl_->reactor.unwatch(s->sock->fd());
  for (auto& [id, j] : impl_->jobs) {
    if (j.udp) impl_->reactor.unwatch(j.udp->fd());
    if (j.timer) impl_->reactor.cancel(j.timer);
  }
}

void PacketRounds::run(const ProbeSpec& spec, const IpAddr& addr, model::RoundResult r, TimeNs start, Done done) {
  impl_->run(spec, addr, std::move(r), start, std::move(done));
}

void PacketRounds::on_icmp(Family f, packet::Bytes data, const IpAddr& from, TimeNs rx, bool kernel_rx, int ttl) {
  engine::Incoming in;
  in.channel = engine::Channel::icmp_raw;
  in.family = f;
  in.data = data;
  in.from = from;
  in.rx = rx;
  in.kernel_rx = kernel_rx;
  in.ttl = ttl;
  // The error's sender is a router, not the target: every SYN round of the family looks.
  std::vector<std::uint32_t> ids;
  for (const auto& [id, j] : impl_->jobs)
    if (j.syn && j.addr.family() == f) ids.push_back(id);
  for (std::uint32_t id : ids) impl_->take(id, impl_->feed(id, in));
}

void PacketRounds::cancel(std::uint32_t target) {
  std::vector<std::uint32_t> gone;
  for (const auto& [id, j] : impl_->jobs)
    if (j.target == target) gone.push_back(id);
  for (std::uint32_t id : gone) {
    Impl::Job& j = impl_->jobs.at(id);
    if (j.udp) impl_->reactor.unwatch(j.udp->fd());
    if (j.timer) impl_->reactor.cancel(j.timer);
    impl_->jobs.erase(id);
  }
}

bool PacketRounds::any_syn() const {
  for (const auto& [id, j] : impl_->jobs)
    if (j.syn) return true;
  return false;
}

}  // namespace reach::tools::watch
