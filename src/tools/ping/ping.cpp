#include "tools/ping/ping.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <memory>

#include "engine/ping_engine.hpp"
#include "format/ping_writer.hpp"
#include "io/probe_socket.hpp"
#include "io/reactor.hpp"
#include "sys/caps.hpp"
#include "sys/clock.hpp"
#include "sys/random.hpp"
#include "sys/resolve.hpp"
#include "sys/signals.hpp"
#include "sys/socket.hpp"
#include "tools/connect_result.hpp"
#include "tools/target.hpp"

namespace reach::tools {
namespace {

using model::Method;

// Checks options the way ping does; returns the complaint, empty when all is well.
std::string validate(const PingOptions& o, bool root) {
  if (o.targets.empty()) return "no target given";
  if (o.count && *o.count < 1) return fmt::format("bad number of packets to transmit: {}", *o.count);
  if (!(o.interval >= 0) || !std::isfinite(o.interval) || o.interval > 3600)
    return fmt::format("bad timing interval: {}", o.interval);
  // iputils' rule: below 2 ms is flooding, which only root may do. The real uid decides, not
  // holding CAP_NET_RAW: `setcap cap_net_raw+ep` gives every user the capability.
  if (o.interval < 0.002 && !root)
    return fmt::format("cannot flood, minimal interval for user must be >= 2 ms, use -i 0.002 (or higher); got {}s",
                       o.interval);
  if (!(o.wait > 0) || !std::isfinite(o.wait) || o.wait > 3600) return fmt::format("bad linger time: {}", o.wait);
  if (o.deadline && (!(*o.deadline > 0) || !std::isfinite(*o.deadline) || *o.deadline > 1e7))
    return fmt::format("bad wait time: {}: seconds, more than 0", *o.deadline);
  if (o.ttl && (*o.ttl < 1 || *o.ttl > 255)) return fmt::format("ttl {} out of range: 1 to 255", *o.ttl);
  if (o.size && *o.size < 0) return fmt::format("bad packet size {}: 0 or more", *o.size);
  if (o.size && o.method == Method::tcp_connect) return "--connect sends no payload: -s does not apply";
  if (o.port && (*o.port < 1 || *o.port > 65535)) return fmt::format("bad port: {}", *o.port);
  if (o.broadcast && o.method != Method::icmp) return "-b (broadcast) works with ICMP echo only";
  if (o.method == Method::udp && o.size && *o.size < 12 && *o.size != 0)
    return "UDP probes need a payload of at least 12 bytes to be matched (or 0)";
  return {};
}

std::string no_icmp_socket_message(const Error& raw, const Error& dgram) {
  std::string range = "unknown";
  if (auto r = sys::ping_group_range()) range = fmt::format("{} {}", r->first, r->second);
  return fmt::format(
      "cannot open an ICMP socket: a raw socket needs CAP_NET_RAW ({}), and unprivileged ICMP sockets are not "
      "allowed for group {} by net.ipv4.ping_group_range=\"{}\" ({}); run as root, grant the capability with "
      "`setcap cap_net_raw+ep reach`, or allow your group with `sysctl -w net.ipv4.ping_group_range=\"0 "
      "2147483647\"`",
      std::strerror(raw.err), sys::current_gid(), range, std::strerror(dgram.err));
}

// Multicast (IPv4 224/4, IPv6 ff00::/8): every member of the group answers for itself.
bool is_group(const IpAddr& a) { return a.is_v4() ? (a.data()[0] & 0xf0) == 0xe0 : a.data()[0] == 0xff; }

struct PendingConnect {
  sys::Fd fd;
  std::size_t target;
  std::uint32_t seq;
};

class PingRun {
 public:
  PingRun(const PingOptions& o, std::ostream& out, std::ostream& err, format::PingWriter* writer = nullptr)
      : o_(o), out_(out), err_(err), writer_(writer) {}
  ~PingRun() {
    if (!o_.raw_pool) return;
    for (auto& s : sockets_)
      if (s && (s->kind() == io::SocketKind::icmp_raw || s->kind() == io::SocketKind::tcp_raw))
        o_.raw_pool->push_back(std::move(s));
  }
  PingRun(const PingRun&) = delete;
  PingRun& operator=(const PingRun&) = delete;

  int run() {
    // Raw sockets lent by reach check count as the capability they were opened with.
    bool lent_raw = o_.raw_pool && std::any_of(o_.raw_pool->begin(), o_.raw_pool->end(),
                                               [](const auto& s) { return s->kind() == io::SocketKind::tcp_raw; });
    bool privileged = sys::has_net_raw() || lent_raw;
    if (auto m = validate(o_, sys::real_root()); !m.empty()) return usage(m);
    if (!resolve_targets()) return 2;
    configure();
    if (!open_sockets(privileged)) return 2;
    if (auto r = sys::drop_all_capabilities(); !r) {
      err_ << "reach: " << r.error().message() << '\n';
      return 2;
    }
    return loop();
  }

 private:
  int usage(const std::string& m) {
    err_ << "reach ping: " << m << '\n';
    return 2;
  }

  bool resolve_targets() {
    Outbound out = parse_outbound(o_.interface);
    sock_opts_.source = out.source;
    sock_opts_.device = out.device;
    for (const auto& name : o_.targets) {
      auto addr = resolve_target(name, o_.family, out);
      if (!addr) return fatal(addr.error().detail);
      targets_.push_back({name, *addr});
      if (is_group(*addr) && o_.method != Method::icmp)
        return fatal(name + " is a multicast address: only ICMP echo (the default) can probe a group");
      // -s as large as the protocol allows over this target's family.
      if (auto max = engine::max_payload(o_.method, addr->family()); o_.size && static_cast<std::size_t>(*o_.size) > max)
        return fatal(fmt::format("bad packet size {}: at most {} for {} over IPv{}", *o_.size, max,
                                 o_.method == Method::tcp_syn ? "TCP" : o_.method == Method::udp ? "UDP" : "ICMP",
                                 addr->is_v4() ? 4 : 6));
    }
    sock_opts_.broadcast = o_.broadcast;
    return true;
  }

  void configure() {
    cfg_.method = o_.method;
    cfg_.count = o_.count.value_or(-1);
    cfg_.interval = static_cast<TimeNs>(std::llround(o_.interval * 1e9));
    cfg_.wait = static_cast<TimeNs>(std::llround(o_.wait * 1e9));
    // Routers (and our own stack) give up on ARP/ND after 3 s and only then say "Host
    // Unreachable": a lost probe keeps the run open that long for the error (docs/PING.md).
    cfg_.error_wait = 3500 * kNsPerMs;
    cfg_.spread = 100 * kNsPerUs;
    if (o_.deadline) cfg_.deadline = static_cast<TimeNs>(std::llround(*o_.deadline * 1e9));
    std::size_t default_size = o_.method == Method::tcp_syn ? 0 : 56;
    cfg_.payload = o_.size ? static_cast<std::size_t>(*o_.size) : default_size;
    int default_port = o_.method == Method::udp ? 33434 : 80;
    cfg_.port = static_cast<std::uint16_t>(o_.port.value_or(default_port));
    sock_opts_.ttl = o_.ttl;
    // One round of answers from every target at once, each with its TX stamp, must fit.
    std::size_t per_target = 2 * (cfg_.payload + 2048);
    sock_opts_.receive_buffer = static_cast<int>(std::min<std::size_t>(o_.targets.size() * per_target, 256u << 20));
  }

  io::ProbeSocket* shared(io::SocketKind k, Family f) {
    for (auto& s : sockets_)
      if (s->kind() == k && s->family() == f) return s.get();
    return nullptr;
  }

  bool add_socket(io::SocketKind k, Family f, std::optional<std::size_t> target, std::string& error,
                  int* err = nullptr) {
    if (o_.raw_pool)
      for (auto it = o_.raw_pool->begin(); it != o_.raw_pool->end(); ++it)
        if ((*it)->kind() == k && (*it)->family() == f) {
          sockets_.push_back(std::move(*it));
          o_.raw_pool->erase(it);
          socket_target_.push_back(target);
          return true;
        }
    auto s = io::ProbeSocket::open(k, f, sock_opts_);
    if (!s) {
      error = s.error().message();
      if (err) *err = s.error().err;
      return false;
    }
    sockets_.push_back(std::make_unique<io::ProbeSocket>(std::move(*s)));
    socket_target_.push_back(target);
    return true;
  }

  // -I must work for every target, or the run would silently leave by the default route.
  bool check_source() {
    for (const auto& t : targets_) {
      Family f = t.addr.family();
      // Probe sockets of the other methods check -I when they open; connect opens one per probe.
      if (o_.method != Method::tcp_connect || (sock_opts_.device.empty() && !sock_opts_.source)) continue;
      auto fd = sys::open_socket(f, SOCK_STREAM, 0, "socket(tcp)");
      if (!fd) return fatal(fd.error().message());
      if (!sock_opts_.device.empty())
        if (auto r = sys::bind_to_device(fd->get(), sock_opts_.device); !r) return fatal(r.error().message());
      if (sock_opts_.source)
        if (auto r = sys::bind_to(fd->get(), *sock_opts_.source, 0); !r) return fatal(r.error().message());
    }
    return true;
  }

  bool open_sockets(bool privileged) {
    if (!check_source()) return false;
    std::uint64_t rnd = sys::random64();
    key_ = sys::random64();
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      engine::TargetSpec spec;
      spec.addr = targets_[i].addr;
      if (o_.method == Method::icmp) spec.ident = static_cast<std::uint16_t>((rnd & 0xffff) + i);
      spec.group = is_group(spec.addr) || (o_.broadcast && spec.addr.is_v4());
      // TCP: 256 source ports per target, from a random base above the usual ephemeral range.
      if (o_.method == Method::tcp_syn)
        spec.ident = static_cast<std::uint16_t>(61000 - 256 * ((rnd + i) % 80));
      specs_.push_back(spec);
    }
    std::string error;
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      Family f = targets_[i].addr.family();
      switch (o_.method) {
        case Method::icmp: {
          if (shared(io::SocketKind::icmp_raw, f)) break;
          if (socket_kind_ != "datagram") {
            int raw_err = 0;
            if (add_socket(io::SocketKind::icmp_raw, f, std::nullopt, error, &raw_err)) {
              socket_kind_ = "raw";
              break;
            }
            if (raw_err != EPERM && raw_err != EACCES) return fatal(error);
            raw_error_ = Error{"socket(raw ICMP)", "", raw_err, {}};
          }
          // Unprivileged: one ICMP datagram socket per target, connected so the kernel filters for us.
          int dg_err = 0;
          if (!add_socket(io::SocketKind::icmp_dgram, f, i, error, &dg_err)) {
            if (dg_err == EACCES || dg_err == EPERM)
              return fatal(no_icmp_socket_message(raw_error_, Error{"", "", dg_err, {}}));
            return fatal(error);
          }
          if (auto r = sockets_.back()->connect(targets_[i].addr, 0); !r) return fatal(r.error().message());
          if (socket_kind_ != "datagram")
            notice_ = "no CAP_NET_RAW: using unprivileged ICMP datagram sockets (net.ipv4.ping_group_range)";
          socket_kind_ = "datagram";
          break;
        }
        case Method::tcp_syn: {
          if (!privileged)
            return fatal("--tcp sends raw SYN packets and needs CAP_NET_RAW: run as root, or grant it with "
                         "`setcap cap_net_raw+ep reach`; --connect checks a port without privilege");
          auto src = sys::source_address_for(targets_[i].addr, sock_opts_.device);
          if (!src) return fatal(src.error().message());
          specs_[i].source = sock_opts_.source && sock_opts_.source->family() == f ? *sock_opts_.source : *src;
          if (!shared(io::SocketKind::tcp_raw, f)) {
            if (!add_socket(io::SocketKind::tcp_raw, f, std::nullopt, error)) return fatal(error);
            // ICMP errors about our SYNs (unreachable, prohibited) come to a raw ICMP socket.
            if (!add_socket(io::SocketKind::icmp_raw, f, std::nullopt, error)) return fatal(error);
          }
          socket_kind_ = "raw";
          break;
        }
        case Method::udp:
          if (!add_socket(io::SocketKind::udp, f, i, error)) return fatal(error);
          if (auto r = sockets_.back()->connect(targets_[i].addr, cfg_.port); !r) return fatal(r.error().message());
          socket_kind_ = "udp";
          break;
        case Method::tcp_connect:
          socket_kind_ = "connect";
          break;
      }
    }
    return true;
  }

  bool fatal(const std::string& m) {
    err_ << "reach ping: " << m << '\n';
    return false;
  }

  int loop() {
    auto reactor = io::Reactor::create();
    if (!reactor) return fatal(reactor.error().message()), 2;
    reactor_ = std::move(*reactor);
    for (std::size_t i = 0; i < sockets_.size(); ++i)
      if (auto r = reactor_->watch(sockets_[i]->fd(), EPOLLIN | EPOLLERR, [this, i](std::uint32_t) { drain(i); }); !r)
        return fatal(r.error().message()), 2;

    format::PingRunInfo info;
    info.method = o_.method;
    info.port = cfg_.port;
    info.payload = cfg_.payload;
    info.socket = socket_kind_;
    info.kernel_timestamps = !sockets_.empty() && sockets_.front()->kernel_timestamps();
    info.targets = targets_;
    if (!writer_) {
      owned_writer_ = o_.json ? format::make_json_writer(out_)
                              : format::make_text_writer(out_, err_, {o_.quiet, o_.timestamps, o_.report_timeouts});
      writer_ = owned_writer_.get();
    }
    if (!notice_.empty()) writer_->notice(notice_);
    if (!info.kernel_timestamps && o_.method != Method::tcp_connect)
      writer_->notice("the kernel gives no packet timestamps here: RTTs come from the user-space clock");
    info.wall_offset = sys::wall_minus_monotonic();
    writer_->start(info);

    if (info.kernel_timestamps && !io::wait_for_rx_timestamps(20 * kNsPerMs))
      writer_->notice("receive timestamps are not on yet: the first replies may be timed by the user-space clock");
    sys::install_stop_signals();
    reactor_->wait_with_stop_signals();
    TimeNs now = clock_.now();
    engine_ = std::make_unique<engine::PingEngine>(cfg_, specs_, key_, now);
    int stops_seen = 0;
    int status = 0;
    while (!engine_->done(now)) {
      int stops = sys::stop_requests();
      if (stops != stops_seen) {
        stops_seen = stops;
        engine_->stop(now, true);  // as ping: Ctrl-C ends at once and prints the statistics
        break;
      }
      for (auto& o : engine_->due(now)) send(o);
      now = clock_.now();
      emit(engine_->expire(now));
      auto next = engine_->next_wakeup();
      TimeNs timeout = next ? std::max<TimeNs>(0, *next - now) : 0;
      // The engine keeps the schedule; the turn runs the handlers of the ready sockets.
      if (auto r = reactor_->run_once(timeout); !r) {
        fatal(r.error().message());
        status = 2;
        break;
      }
      now = clock_.now();
      emit(engine_->expire(now));
    }
    now = clock_.now();
    int code = 0;
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      auto s = engine_->summary(i, now);
      s.socket_drops = socket_drops(i);
      writer_->summary(s);
      bool short_of_count = o_.deadline && o_.count && s.received < static_cast<std::uint64_t>(*o_.count);
      if (s.received == 0 || short_of_count) code = 1;
    }
    return status ? status : code;
  }

  void emit(const std::vector<model::ProbeEvent>& evs) {
    for (const auto& e : evs) {
      if (e.type == model::EventType::timeout && o_.method == Method::tcp_connect) close_connect(e.target, e.seq);
      writer_->event(e);
    }
  }

  std::uint64_t socket_drops(std::size_t target) const {
    std::uint64_t n = 0;
    Family f = targets_[target].addr.family();
    for (std::size_t i = 0; i < sockets_.size(); ++i)
      if (sockets_[i]->family() == f && (!socket_target_[i] || *socket_target_[i] == target)) n += sockets_[i]->drops();
    return n;
  }

  io::ProbeSocket* socket_for(std::size_t target, io::SocketKind want) {
    Family f = targets_[target].addr.family();
    for (std::size_t i = 0; i < sockets_.size(); ++i)
      if (sockets_[i]->kind() == want && sockets_[i]->family() == f &&
          (!socket_target_[i] || *socket_target_[i] == target))
        return sockets_[i].get();
    return nullptr;
  }

  void send(const engine::Outgoing& o) {
    std::uint64_t tag = (std::uint64_t{o.target} << 32) | o.seq;
    const IpAddr& dst = targets_[o.target].addr;
    if (o_.method == Method::tcp_connect) return start_connect(o);
    io::ProbeSocket* s = nullptr;
    switch (o_.method) {
      case Method::icmp:
        s = socket_for(o.target, io::SocketKind::icmp_raw);
        if (!s) s = socket_for(o.target, io::SocketKind::icmp_dgram);
        break;
      case Method::tcp_syn: s = socket_for(o.target, io::SocketKind::tcp_raw); break;
      case Method::udp: s = socket_for(o.target, io::SocketKind::udp); break;
      case Method::tcp_connect: break;
    }
    TimeNs t = clock_.now();
    std::uint16_t port = o_.method == Method::udp ? cfg_.port : 0;
    auto r = s ? s->send(o.bytes, dst, port, tag) : tl::unexpected(Error{"send", dst.to_string(), 0, "no socket"});
    if (!r && r.error().err == EACCES && dst.is_v4() && !o_.broadcast)
      r.error().detail = "a broadcast address? give -b to ping it (every host that answers counts, as ping -b)";
    if (r) engine_->sent(o.target, o.seq, t, clock_.now());
    else writer_->event(engine_->send_failed(o.target, o.seq, t, r.error().message()));
  }

  void start_connect(const engine::Outgoing& o) {
    const IpAddr& dst = targets_[o.target].addr;
    auto fd = open_connect_socket(dst.family());
    TimeNs t = clock_.now();
    if (!fd) return writer_->event(engine_->send_failed(o.target, o.seq, t, fd.error().message()));
    Result<void> bound;
    if (!sock_opts_.device.empty()) bound = sys::bind_to_device(fd->get(), sock_opts_.device);
    if (bound && sock_opts_.source) bound = sys::bind_to(fd->get(), *sock_opts_.source, 0);
    if (!bound) return writer_->event(engine_->send_failed(o.target, o.seq, t, bound.error().message()));
    if (o_.ttl) (void)sys::set_ttl(fd->get(), dst.family(), *o_.ttl);
    t = clock_.now();
    auto r = sys::connect_nonblocking(fd->get(), dst, cfg_.port);
    engine_->sent(o.target, o.seq, t);
    std::uint64_t id = next_connect_++;
    if (!r) {
      engine::ConnectOutcome out;
      out.when = clock_.now();
      out.err = r.error().err;
      out.immediate = true;
      return emit(engine_->on_connect(o.target, o.seq, out));
    }
    int raw = fd->get();
    connects_.emplace(id, PendingConnect{std::move(*fd), o.target, o.seq});
    auto done = [this, id](std::uint32_t) { connect_done(id, clock_.now()); };
    if (auto a = reactor_->watch(raw, EPOLLOUT | EPOLLERR | EPOLLHUP, done); !a) connects_.erase(id);
    if (*r) connect_done(id, clock_.now());
  }

  void connect_done(std::uint64_t id, TimeNs now) {
    auto it = connects_.find(id);
    if (it == connects_.end()) return;
    int fd = it->second.fd.get();
    auto v = finished_connect(fd);
    engine::ConnectOutcome out;
    out.when = now;
    out.err = v.err;
    out.icmp = v.icmp;
    if (v.err == 0) {
      out.kind = engine::ConnectOutcome::Kind::connected;
      out.kernel_rtt = sys::tcp_rtt(fd);
    }
    std::size_t target = it->second.target;
    std::uint32_t seq = it->second.seq;
    reactor_->unwatch(fd);
    connects_.erase(it);
    emit(engine_->on_connect(target, seq, out));
  }

  void close_connect(std::size_t target, std::uint32_t seq) {
    for (auto it = connects_.begin(); it != connects_.end(); ++it)
      if (it->second.target == target && it->second.seq == seq) {
        reactor_->unwatch(it->second.fd.get());
        connects_.erase(it);
        return;
      }
  }

  void drain(std::size_t index) {
    if (index >= sockets_.size()) return;
    io::ProbeSocket& s = *sockets_[index];
    std::optional<std::size_t> target = socket_target_[index];
    engine::Channel ch = engine::Channel::icmp_raw;
    switch (s.kind()) {
      case io::SocketKind::icmp_raw: ch = engine::Channel::icmp_raw; break;
      case io::SocketKind::icmp_dgram: ch = engine::Channel::icmp_dgram; break;
      case io::SocketKind::tcp_raw: ch = engine::Channel::tcp_raw; break;
      case io::SocketKind::udp:
      case io::SocketKind::udp_raw: ch = engine::Channel::udp; break;
    }
    io::ProbeSocket::Handlers h;
    h.tx_stamp = [&](const io::ProbeSocket::TxStamp& ts) {
      engine_->tx_stamp(static_cast<std::size_t>(ts.tag >> 32), static_cast<std::uint32_t>(ts.tag), ts.stamp);
    };
    h.packet = [&](const io::ProbeSocket::Packet& p) {
      engine::Incoming in;
      in.channel = ch;
      in.family = s.family();
      in.data = p.data;
      if (p.meta.from) in.from = *p.meta.from;
      in.kernel_rx = p.meta.kernel_rx.has_value();
      in.user_rx = clock_.now();
      in.rx = p.meta.kernel_rx.value_or(*in.user_rx);
      in.ttl = p.meta.ttl;
      in.target = target;
      emit(engine_->on_packet(in));
    };
    h.icmp_error = [&](const io::ProbeSocket::IcmpError& e) {
      engine::IncomingError in;
      in.channel = ch;
      in.family = e.entry.icmp_family;
      in.original = e.original;
      in.type = e.entry.icmp_type;
      in.code = e.entry.icmp_code;
      if (e.entry.offender) in.offender = *e.entry.offender;
      in.kernel_rx = e.entry.stamp.has_value();
      in.user_rx = clock_.now();
      in.rx = e.entry.stamp.value_or(*in.user_rx);
      in.target = target;
      emit(engine_->on_error(in));
    };
    if (auto r = s.drain(h); !r) writer_->notice(r.error().message());
  }

  const PingOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  std::vector<model::Target> targets_;
  std::vector<engine::TargetSpec> specs_;
  engine::PingConfig cfg_;
  io::SocketOptions sock_opts_;
  std::vector<std::unique_ptr<io::ProbeSocket>> sockets_;
  std::vector<std::optional<std::size_t>> socket_target_;
  std::string socket_kind_;
  std::string notice_;
  Error raw_error_;
  std::uint64_t key_ = 0;
  sys::MonotonicClock clock_;
  std::unique_ptr<io::Reactor> reactor_;
  format::PingWriter* writer_ = nullptr;  // the caller's, or owned_writer_
  std::unique_ptr<format::PingWriter> owned_writer_;
  std::unique_ptr<engine::PingEngine> engine_;
  std::map<std::uint64_t, PendingConnect> connects_;
  std::uint64_t next_connect_ = 0;
};

}  // namespace

int run_ping(const PingOptions& opts, std::ostream& out, std::ostream& err) {
  PingRun run(opts, out, err);
  return run.run();
}

int run_ping(const PingOptions& opts, format::PingWriter& writer, std::ostream& err) {
  PingRun run(opts, err, err, &writer);
  return run.run();
}

}  // namespace reach::tools
