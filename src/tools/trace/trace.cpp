#include "tools/trace/trace.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <fmt/format.h>
#include <memory>

#include "config/values.hpp"
#include "engine/mda.hpp"
#include "engine/trace_engine.hpp"
#include "engine/trace_stats.hpp"
#include "format/multipath_writer.hpp"
#include "format/trace_writer.hpp"
#include "io/probe_socket.hpp"
#include "io/reactor.hpp"
#include "sys/caps.hpp"
#include "sys/clock.hpp"
#include "sys/random.hpp"
#include "sys/resolve.hpp"
#include "sys/reverse_dns.hpp"
#include "tools/geo_option.hpp"
#include "sys/signals.hpp"
#include "sys/socket.hpp"
#include "tools/target.hpp"
#include "tools/trace/live.hpp"
#include "tools/trace/trace_rx.hpp"

namespace reach::tools {
namespace {

using model::TraceMethod;

constexpr TimeNs kNameWait = 250 * kNsPerMs;     // a hop line waits at most this for its names
constexpr TimeNs kNameWaitEnd = 100 * kNsPerMs;  // ... and the end of the trace at most this

using config::parse_wait;

std::string validate(const TraceOptions& o) {
  if (o.max_ttl < 1 || o.max_ttl > 255) return fmt::format("max hops must be 1 to 255 (got {})", o.max_ttl);
  if (o.first_ttl < 1 || o.first_ttl > o.max_ttl)
    return fmt::format("first hop out of range: {} (1 to max hops {})", o.first_ttl, o.max_ttl);
  if (o.queries < 1 || o.queries > 10) return fmt::format("no more than 10 probes per hop (got {})", o.queries);
  if (!parse_wait(o.wait)) return fmt::format("bad wait specification `{}': MAX[,HERE[,NEAR]] seconds", o.wait);
  if (o.window && (*o.window < 1 || *o.window > 1024))
    return fmt::format("probes in flight (-N) must be 1..1024 (got {})", *o.window);
  if (!(o.send_gap >= 0) || o.send_gap > 10) return fmt::format("bad send wait (-z): {}", o.send_gap);
  if (o.port && (*o.port < 1 || *o.port > 65535)) return fmt::format("bad port: {}", *o.port);
  if (o.count && (*o.count < 1 || *o.count > 1000000)) return fmt::format("bad number of rounds: {}", *o.count);
  if (!(o.interval >= 0) || o.interval > 3600) return fmt::format("bad interval: {}", o.interval);
  if (o.report && o.live) return "--report and --live exclude each other";
  if (o.json && o.live) return "--json and --live exclude each other";
  if (o.mda && (o.report || o.live || o.classic)) return "--mda excludes --report, --live and --classic";
  if (o.mda && !(o.alpha > 0 && o.alpha < 1)) return fmt::format("--alpha must be between 0 and 1 (got {})", o.alpha);
  if (o.mda && (o.max_probes < 1 || o.max_probes > 60000))
    return fmt::format("--max-probes must be 1..60000 (got {})", o.max_probes);
  return {};
}

class TraceRun {
 public:
  TraceRun(const TraceOptions& o, std::ostream& out, std::ostream& err) : o_(o), out_(out), err_(err) {}

  int run() {
    if (auto m = validate(o_); !m.empty()) return fatal(m);
    if (!resolve()) return 2;
    if (!open_geo(o_.geo, "reach trace", err_, geo_)) return 2;
    if (!open_sockets()) return 2;
    if (auto r = sys::drop_all_capabilities(); !r) return fatal(r.error().message());
    return loop();
  }

 private:
  int fatal(const std::string& m) {
    err_ << "reach trace: " << m << '\n';
    return 2;
  }

  bool resolve() {
    Outbound out = parse_outbound(o_.interface);
    sock_opts_.source = out.source;
    sock_opts_.device = out.device;
    auto addr = resolve_target(o_.target, o_.family, out);
    if (!addr) return fatal(addr.error().detail), false;
    target_ = *addr;
    auto src = sys::source_address_for(target_, sock_opts_.device);
    if (!src) return fatal(src.error().message()), false;
    source_ = sock_opts_.source.value_or(*src);
    // Raw probes carry a checksum over this address: make the kernel send from it.
    sock_opts_.source = source_;
    return true;
  }

  bool add(io::SocketKind k, std::string& error, int* err = nullptr) {
    auto s = io::ProbeSocket::open(k, target_.family(), sock_opts_);
    if (!s) {
      error = s.error().message();
      if (err) *err = s.error().err;
      return false;
    }
    sockets_.push_back(std::make_unique<io::ProbeSocket>(std::move(*s)));
    return true;
  }

  bool open_sockets() {
    bool privileged = sys::has_net_raw();
    std::uint64_t rnd = sys::random64();
    sport_ = static_cast<std::uint16_t>(33000 + rnd % 28000);
    // --mda: flow n uses source port sport + n; keep the whole range below 65536.
    if (o_.mda) sport_ = static_cast<std::uint16_t>(1024 + rnd % static_cast<std::uint64_t>(64000 - o_.max_probes));
    std::string error;
    Family f = target_.family();
    switch (o_.method) {
      case TraceMethod::udp:
        if (privileged) {
          if (!add(io::SocketKind::udp_raw, error) || !add(io::SocketKind::icmp_raw, error)) return fatal(error), false;
          socket_kind_ = "raw";
        } else {
          if (o_.mda)
            return fatal("--mda over UDP needs CAP_NET_RAW (each flow is its own source port); --mda --icmp "
                         "works without it"),
                   false;
          // Linux lets anyone send UDP with a chosen TTL and read the ICMP errors on the error queue.
          if (!add(io::SocketKind::udp, error)) return fatal(error), false;
          auto port = sys::local_port(sockets_[0]->fd());
          if (!port) return fatal(port.error().message()), false;
          sport_ = *port;
          kernel_header_ = true;
          socket_kind_ = "udp";
          notice_ = "no CAP_NET_RAW: UDP probes from an ordinary socket, ICMP errors from its error queue "
                    "(checksums are the kernel's, so 8-byte quotes cannot be matched)";
        }
        break;
      case TraceMethod::icmp: {
        int raw_err = 0;
        if (add(io::SocketKind::icmp_raw, error, &raw_err)) {
          socket_kind_ = "raw";
          sport_ = static_cast<std::uint16_t>(rnd >> 16);
          break;
        }
        if (raw_err != EPERM && raw_err != EACCES) return fatal(error), false;
        int dg_err = 0;
        if (!add(io::SocketKind::icmp_dgram, error, &dg_err)) {
          std::string range = "unknown";
          if (auto r = sys::ping_group_range()) range = fmt::format("{} {}", r->first, r->second);
          return fatal(fmt::format("cannot open an ICMP socket: a raw one needs CAP_NET_RAW, and datagram ICMP "
                                   "sockets are not allowed for group {} by net.ipv4.ping_group_range=\"{}\" ({})",
                                   sys::current_gid(), range, std::strerror(dg_err))),
                 false;
        }
        kernel_header_ = true;
        socket_kind_ = "datagram";
        notice_ = "no CAP_NET_RAW: using an unprivileged ICMP datagram socket (net.ipv4.ping_group_range)";
        break;
      }
      case TraceMethod::tcp:
        if (!privileged)
          return fatal("--tcp sends raw SYN packets and needs CAP_NET_RAW: run as root, or grant it with "
                       "`setcap cap_net_raw+ep reach`; --udp and --icmp work without it"),
                 false;
        if (!add(io::SocketKind::tcp_raw, error) || !add(io::SocketKind::icmp_raw, error)) return fatal(error), false;
        socket_kind_ = "raw";
        break;
    }
    (void)f;
    return true;
  }

  engine::TraceConfig config(int round, int max_ttl, int queries) const {
    engine::TraceConfig c;
    c.method = o_.method;
    c.target = target_;
    c.source = source_;
    c.sport = sport_;
    c.dport = static_cast<std::uint16_t>(o_.port.value_or(o_.method == TraceMethod::tcp ? 80 : 33434));
    c.first_ttl = o_.first_ttl;
    c.max_ttl = max_ttl;
    c.queries = queries;
    // Sixteen hops in flight, all their probes at once: the target's probes leave at the start
    // instead of waiting for window slots (traceroute's -N 16 counts probes, about 5 hops).
    c.window = o_.window.value_or(16 * queries);
    config::Wait w = *parse_wait(o_.wait);
    c.wait = static_cast<TimeNs>(std::llround(w.max * 1e9));
    c.here = w.here;
    c.near = w.near;
    // Rounds of --report/--live: a lost probe at the last hop waits no longer than a round.
    if (rounds_mode() && o_.interval > 0) c.wait = std::min(c.wait, static_cast<TimeNs>(std::llround(o_.interval * 1e9)));
    c.send_gap = static_cast<TimeNs>(std::llround(o_.send_gap * 1e9));
    c.classic = o_.classic;
    c.kernel_header = kernel_header_;
    c.key = key_;
    c.id_base = static_cast<std::uint16_t>(round * (max_ttl - o_.first_ttl + 1) * queries);
    return c;
  }

  bool rounds_mode() const { return o_.report || o_.live; }

  format::TraceRunInfo info() const {
    format::TraceRunInfo i;
    i.name = o_.target;
    i.target = target_;
    i.source = source_;
    i.method = o_.method;
    i.port = static_cast<std::uint16_t>(o_.port.value_or(o_.method == TraceMethod::tcp ? 80 : 33434));
    i.first_ttl = o_.first_ttl;
    i.max_ttl = o_.max_ttl;
    i.queries = rounds_mode() ? 1 : o_.queries;
    std::size_t ip = target_.is_v4() ? 20 : 40;
    i.packet_len = ip + (o_.method == TraceMethod::tcp ? 24 : 8 + 32);
    i.socket = socket_kind_;
    i.kernel_timestamps = !sockets_.empty() && sockets_.front()->kernel_timestamps();
    i.paris = !o_.classic;
    i.geo = geo_;
    i.numeric = o_.numeric;
    i.wall_offset = sys::wall_minus_monotonic();
    return i;
  }

  int loop() {
    auto reactor = io::Reactor::create();
    if (!reactor) return fatal(reactor.error().message());
    reactor_ = std::move(*reactor);
    // A ready socket is read in the turn: into the engine during a round, discarded between.
    for (auto& sp : sockets_) {
      io::ProbeSocket* s = sp.get();
      auto ready = [this, s](std::uint32_t) { engine_ ? drain(*s) : discard(*s); };
      if (auto r = reactor_->watch(s->fd(), EPOLLIN | EPOLLERR, ready); !r) return fatal(r.error().message());
    }
    key_ = sys::random64();
    if (!o_.numeric) dns_ = std::make_unique<sys::ReverseDns>();
    name_ = [this](const IpAddr& a) -> std::optional<std::string> {
      return dns_ ? dns_->name(a) : std::nullopt;
    };
    auto inf = info();
    if (o_.json) writer_ = format::make_trace_json_writer(out_);
    else writer_ = format::make_trace_text_writer(out_, err_);
    if (!notice_.empty()) writer_->notice(notice_);
    if (inf.kernel_timestamps && !io::wait_for_rx_timestamps(20 * kNsPerMs))
      writer_->notice("receive timestamps are not on yet: the first answers may be timed by the user-space clock");
    sys::install_stop_signals();
    reactor_->wait_with_stop_signals();
    if (o_.live) {
      live_ = make_live_screen(out_, inf, name_);
      if (!live_) {
        writer_->notice("--live needs a terminal on stdout: printing a report instead");
      }
    }
    if (o_.mda) return multipath();
    if (!rounds_mode()) writer_->start(inf);
    if (!rounds_mode()) return single(inf);
    return rounds(inf);
  }

  int single(const format::TraceRunInfo&) {
    engine::TraceEngine e(config(0, o_.max_ttl, o_.queries), clock_.now());
    stream_ = true;
    auto r = run_round(e, 0);
    flush_hops(clock_.now(), true);
    writer_->end(r, name_);
    if (status_) return status_;
    return r.reached ? 0 : 1;
  }

  // --mda: the MDA engine chooses (ttl, flow); a manual trace engine builds and matches probes.
  int multipath() {
    engine::MdaOptions mo;
    mo.destination = target_;
    mo.first_ttl = o_.first_ttl;
    mo.max_ttl = o_.max_ttl;
    mo.alpha = o_.alpha;
    mo.max_probes = static_cast<std::uint64_t>(o_.max_probes);
    engine::MdaEngine mda(mo);
    engine::TraceConfig c = config(0, o_.max_ttl, 1);
    c.manual = true;
    TimeNs now = clock_.now();
    engine::TraceEngine e(c, now);
    engine_ = &e;
    mda_ = &mda;
    std::size_t window = static_cast<std::size_t>(o_.window.value_or(48));
    while (!stopped() && !mda.done()) {
      std::size_t busy = mda.outstanding();
      auto batch = mda.next(window > busy ? window - busy : 0);
      for (const auto& p : batch) {
        auto o = e.probe(p.ttl, static_cast<std::uint16_t>(p.flow), now);
        if (!o) {
          mda.on_timeout(p.ttl, p.flow);
          continue;
        }
        send(*o);
      }
      drain_all();
      now = clock_.now();
      for (const auto& p : e.expire(now)) mda.on_timeout(p.ttl, p.flow);
      if (mda.done()) break;
      auto wake = e.next_wakeup();
      if (!wake && mda.outstanding() == 0) {
        if (batch.empty()) break;  // nothing in flight and nothing more asked for: cannot go on
        continue;
      }
      if (auto r = reactor_->run_once(wake ? std::max<TimeNs>(0, *wake - now) : 100 * kNsPerMs); !r) {
        status_ = fatal(r.error().message());
        break;
      }
      now = clock_.now();
    }
    mda_ = nullptr;
    engine_ = nullptr;
    model::MultipathGraph g = mda.result();
    g.target = o_.target;
    if (o_.json) {
      format::write_multipath_json(out_, g);
    } else {
      std::map<IpAddr, std::string> names;
      if (dns_) {
        std::vector<model::TraceReportRow> rows;
        for (const auto& h : g.hops)
          for (const auto& i : h.interfaces) rows.push_back({h.ttl, true, i.addr, 0, 0, 0, 0, 0, 0, 0, 0});
        settle_names(rows);
        for (const auto& r : rows)
          if (auto n = dns_->name(*r.addr)) names[*r.addr] = *n;
      }
      format::MultipathTextOptions mo_text;
      mo_text.names = dns_ ? &names : nullptr;
      format::write_multipath_text(out_, g, mo_text);
    }
    if (status_) return status_;
    return g.stop == model::MpStop::destination ? 0 : 1;
  }

  int rounds(const format::TraceRunInfo& inf) {
    engine::TraceStats stats;
    int max_ttl = o_.max_ttl;
    bool reached = false;
    TimeNs interval = static_cast<TimeNs>(std::llround(o_.interval * 1e9));
    // --live without -c runs until q / Ctrl-C; --report defaults to 10 rounds as mtr.
    int count = o_.count.value_or(live_ ? -1 : 10);
    for (int round = 0; (count < 0 || round < count) && !stopped(); ++round) {
      TimeNs start = clock_.now();
      engine::TraceEngine e(config(round, max_ttl, 1), start);
      auto r = run_round(e, round);
      if (stopped() && !r.final_ttl && round > 0) break;  // an interrupted round says nothing
      stats.add_round(r);
      // Later rounds need not look beyond the hop where the trace ends.
      if (r.final_ttl) max_ttl = std::min(max_ttl, *r.final_ttl);
      reached = reached || r.reached;
      if (live_) live_->update(stats.rows(), round + 1, reached);
      if (count >= 0 && round + 1 >= count) break;
      if (!idle_until(start + interval)) break;
    }
    if (live_) live_.reset();  // restores the terminal before anything is printed
    if (o_.json) format::write_trace_report_json(out_, inf, stats.rows(), name_, reached);
    else {
      settle_names(stats.rows());
      format::write_trace_report_text(out_, host_name(), stats.rows(), name_, inf.geo);
    }
    if (status_) return status_;
    return reached ? 0 : 1;
  }

  static std::string host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    return buf;
  }

  void settle_names(const std::vector<model::TraceReportRow>& rows) {
    if (!dns_) return;
    TimeNs end = clock_.now() + kNameWaitEnd;
    for (const auto& r : rows)
      if (r.addr) dns_->lookup(*r.addr);
    while (clock_.now() < end) {
      bool all = true;
      for (const auto& r : rows)
        if (r.addr && !dns_->settled(*r.addr)) all = false;
      if (all) break;
      (void)reactor_->run_once(5 * kNsPerMs);
    }
  }

  bool stopped() {
    if (live_ && live_->quit_requested()) return true;
    return sys::stop_requests() != 0 || status_ != 0;
  }

  // Between rounds: keep the sockets drained, react to q / Ctrl-C.
  bool idle_until(TimeNs when) {
    while (!stopped()) {
      TimeNs now = clock_.now();
      if (now >= when) return true;
      TimeNs step = when - now;
      if (live_) step = std::min(step, 50 * kNsPerMs);
      if (!reactor_->run_once(step)) return false;
    }
    return false;
  }

  static void discard(io::ProbeSocket& s) { (void)s.drain(io::ProbeSocket::Handlers{}); }

  model::TraceResult run_round(engine::TraceEngine& e, int round) {
    engine_ = &e;
    round_ = round;
    TimeNs now = clock_.now();
    done_at_.reset();
    std::optional<TimeNs>& done_at = done_at_;
    while (true) {
      if (stopped()) break;
      for (auto& o : e.due(now)) send(o);
      drain_all();
      now = clock_.now();
      for (const auto& p : e.expire(now)) writer_probe(p);
      for (auto& h : e.take_hops()) pending_.push_back({std::move(h), now});
      if (stream_) flush_hops(now, false);
      if (e.done()) {
        if (!done_at) done_at = now;
        if (pending_.empty() || now >= *done_at + kNameWaitEnd) break;
      }
      std::optional<TimeNs> wake = e.next_wakeup();
      if (stream_ && !pending_.empty()) {
        TimeNs w = done_at ? *done_at + kNameWaitEnd : pending_.front().complete_at + kNameWait;
        w = std::min(w, now + 10 * kNsPerMs);  // names come back on another thread: look again soon
        wake = std::min(wake.value_or(w), w);
      }
      TimeNs timeout = wake ? std::max<TimeNs>(0, *wake - now) : 100 * kNsPerMs;
      if (auto r = reactor_->run_once(timeout); !r) {
        fatal(r.error().message());
        status_ = 2;
        break;
      }
      now = clock_.now();
    }
    now = clock_.now();
    // Interrupted: show what is known, unanswered probes as stars.
    if (stream_ && stopped()) {
      auto r = e.result(now);
      for (auto& h : r.hops)
        if (h.ttl > printed_ttl_) pending_.push_back({h, now});
    }
    engine_ = nullptr;
    return e.result(now);
  }

  struct PendingHop {
    model::TraceHop hop;
    TimeNs complete_at;
  };

  // Prints complete hops in order, each once its names are back or it has waited long enough.
  void flush_hops(TimeNs now, bool force) {
    while (!pending_.empty()) {
      auto& p = pending_.front();
      bool names = true;
      if (dns_)
        for (const auto& pr : p.hop.probes)
          if (pr.answer != model::TraceAnswer::none && !dns_->settled(pr.from)) names = false;
      bool waited = now >= p.complete_at + kNameWait || (done_at_ && now >= *done_at_ + kNameWaitEnd);
      if (!force && !names && !waited) return;
      writer_->hop(p.hop, name_);
      printed_ttl_ = p.hop.ttl;
      pending_.pop_front();
    }
  }

  void writer_probe(const model::TraceProbe& p) {
    if (p.answer != model::TraceAnswer::none && dns_) dns_->lookup(p.from);
    if (mda_) {
      if (p.answer != model::TraceAnswer::none) mda_->on_answer(p.ttl, p.flow, p.from, p.at_target);
      return;
    }
    if (stream_) writer_->probe(p);
  }

  io::ProbeSocket* sender() {
    for (auto& s : sockets_)
      if (s->kind() != io::SocketKind::icmp_raw || o_.method == TraceMethod::icmp) return s.get();
    return nullptr;
  }

  void send(const engine::TraceOutgoing& o) {
    io::ProbeSocket* s = sender();
    TimeNs t = clock_.now();
    if (!s) return engine_->send_failed(o.id, t);
    if (o.ttl != last_ttl_) {
      if (auto r = sys::set_ttl(s->fd(), target_.family(), o.ttl); !r) {
        writer_->notice(r.error().message());
        return engine_->send_failed(o.id, t);
      }
      last_ttl_ = o.ttl;
    }
    std::uint16_t port = s->kind() == io::SocketKind::udp ? o.dport : 0;
    std::uint64_t tag = (std::uint64_t{static_cast<std::uint32_t>(round_)} << 32) | o.id;
    t = clock_.now();
    auto r = s->send(o.bytes, target_, port, tag);
    if (r) {
      engine_->sent(o.id, t, clock_.now());
    } else {
      if (!send_error_shown_) writer_->notice(r.error().message());
      send_error_shown_ = true;
      engine_->send_failed(o.id, t);
    }
  }

  // After sending: TX stamps and fast answers, before the engine is asked what expired.
  void drain_all() {
    for (auto& s : sockets_) drain(*s);
  }

  void drain(io::ProbeSocket& s) {
    io::ProbeSocket::Handlers h;
    h.tx_stamp = [&](const io::ProbeSocket::TxStamp& ts) {
      if ((ts.tag >> 32) == static_cast<std::uint32_t>(round_))
        engine_->tx_stamp(static_cast<std::uint32_t>(ts.tag), ts.stamp);
    };
    h.packet = [&](const io::ProbeSocket::Packet& p) {
      engine::TraceIncoming in;
      switch (s.kind()) {
        case io::SocketKind::icmp_raw: in.kind = engine::TraceIncoming::Kind::icmp; break;
        case io::SocketKind::icmp_dgram: in.kind = engine::TraceIncoming::Kind::icmp; break;
        case io::SocketKind::tcp_raw: in.kind = engine::TraceIncoming::Kind::tcp; break;
        case io::SocketKind::udp:
        case io::SocketKind::udp_raw: return;  // a UDP answer from a service says nothing about hops
      }
      in.family = s.family();
      in.data = p.data;
      in.has_ip_header = s.family() == Family::v4 && s.kind() != io::SocketKind::icmp_dgram;
      if (p.meta.from) in.from = *p.meta.from;
      in.kernel_rx = p.meta.kernel_rx.has_value();
      in.user_rx = clock_.now();
      in.rx = p.meta.kernel_rx.value_or(*in.user_rx);
      in.ttl = p.meta.ttl;
      if (auto pr = engine_->on_packet(in)) writer_probe(*pr);
    };
    h.icmp_error = [&](const io::ProbeSocket::IcmpError& e) {
      if (auto pr = engine_->on_queued_error(trace_queued_error(e, clock_.now()))) writer_probe(*pr);
    };
    if (auto r = s.drain(h); !r) writer_->notice(r.error().message());
  }

  const TraceOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  IpAddr target_, source_;
  io::SocketOptions sock_opts_;
  std::vector<std::unique_ptr<io::ProbeSocket>> sockets_;
  std::string socket_kind_, notice_;
  std::uint16_t sport_ = 0;
  bool kernel_header_ = false;
  std::uint64_t key_ = 0;
  std::unique_ptr<io::Reactor> reactor_;
  std::unique_ptr<format::TraceWriter> writer_;
  std::unique_ptr<sys::ReverseDns> dns_;
  std::unique_ptr<LiveScreen> live_;
  format::NameOf name_;
  format::GeoOf geo_;
  sys::MonotonicClock clock_;
  engine::TraceEngine* engine_ = nullptr;
  engine::MdaEngine* mda_ = nullptr;
  int round_ = 0;
  int last_ttl_ = -1;
  bool stream_ = false;
  bool send_error_shown_ = false;
  int status_ = 0;
  int printed_ttl_ = 0;
  std::deque<PendingHop> pending_;
  std::optional<TimeNs> done_at_;  // when the engine said the round is over
};

}  // namespace

int run_trace(const TraceOptions& opts, std::ostream& out, std::ostream& err) {
  TraceRun run(opts, out, err);
  int code = run.run();
  // Interrupted after printing what it found: 130, as for scan (q in --live is no interruption).
  return code != 2 && sys::stop_requests() > 0 ? 130 : code;
}

}  // namespace reach::tools
