#include "tools/scan/scan.hpp"

#include "tools/connect_result.hpp"
#include "tools/scan/banners.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fmt/format.h>
#include <memory>

#include "base/text.hpp"
#include "engine/scan_engine.hpp"
#include "format/scan_writer.hpp"
#include "io/reactor.hpp"
#include "packet/icmp.hpp"
#include "packet/ip.hpp"
#include "packet/tcp.hpp"
#include "sys/batch.hpp"
#include "sys/caps.hpp"
#include "sys/clock.hpp"
#include "sys/input_file.hpp"
#include "sys/procfs.hpp"
#include "sys/random.hpp"
#include "sys/resolve.hpp"
#include "sys/signals.hpp"
#include "sys/socket.hpp"

namespace reach::tools {
namespace {

using model::PortReason;
using model::PortState;

constexpr double kMaxRate = 10'000'000;     // beyond any sending path reach has
constexpr double kUserRate = 1000;          // raw SYN probes/s for a user other than root
constexpr std::size_t kBatch = 256;         // datagrams per sendmmsg / recvmmsg
constexpr int kReceiveBuffer = 64 << 20;    // a full scan's replies queue here while we send
constexpr std::uint16_t kSynWindow = 1024;  // as nmap's SYN probes
constexpr TimeNs kProgressEvery = 250 * kNsPerMs;

// Per address family: the raw sockets, the source address the SYNs carry, a send batch.
struct RawFamily {
  Family family = Family::v4;
  IpAddr source;
  sys::Fd tcp, icmp;
  sys::SendBatch batch{kBatch, 64};
};

class ScanRun {
 public:
  ScanRun(const ScanOptions& o, std::ostream& out, std::ostream& err) : o_(o), out_(out), err_(err) {}

  int run() {
    if (auto m = validate(); !m.empty()) return usage(m);
    if (!build_targets()) return 2;
    if (!open_geo(o_.geo, "reach scan", err_, geo_)) return 2;
    auto ports = o_.ports ? engine::parse_ports(*o_.ports) : Result<std::vector<std::uint16_t>>(engine::top_ports());
    if (!ports) return usage(ports.error().message());
    ports_ = std::move(*ports);
    if (targets_.size() * ports_.size() > (std::uint64_t{1} << 32))
      return usage(fmt::format("{} addresses x {} ports is more than 2^32 probes: split the scan", targets_.size(),
                               ports_.size()));

    bool privileged = sys::has_net_raw();
    connect_ = o_.connect || !privileged;
    if (!o_.connect && !privileged)
      notice_ = "no CAP_NET_RAW: falling back to --connect (a full TCP handshake per port, slower than SYN)";
    if (!connect_ && !real_user_rate()) return 2;
    if (!connect_ && !open_raw_sockets()) return 2;
    if (auto r = sys::drop_all_capabilities(); !r) return fatal(r.error().message());

    engine::ScanConfig cfg;
    cfg.key = sys::random64();
    cfg.seed = o_.seed ? *o_.seed : sys::random64();
    cfg.retries = o_.retries.value_or(connect_ ? 1 : 3);
    if (connect_) {
      cfg.fixed_wait = true;  // a connect's own timeout is the wait
      cfg.max_wait = 0;
    } else if (o_.wait) {
      cfg.fixed_wait = true;
      cfg.max_wait = static_cast<TimeNs>(std::llround(*o_.wait * 1e9));
    }
    engine_ = std::make_unique<engine::ScanEngine>(targets_, ports_, cfg);

    if (o_.json) writer_ = format::make_scan_json_writer(out_);
    else if (o_.grepable) writer_ = format::make_scan_grep_writer(out_, err_);
    else writer_ = format::make_scan_text_writer(out_, err_);
    if (!notice_.empty()) writer_->notice(notice_);
    writer_->start({connect_ ? "connect" : "syn", targets_.size(), ports_.size(), rate_, cfg.retries, cfg.seed, geo_});
    show_progress_ = o_.progress && !o_.json && sys::is_terminal(2);
    sys::install_stop_signals();

    TimeNs start = clock_.now();
    bool ok = connect_ ? connect_loop() : syn_loop();
    if (show_progress_) err_ << "\r\033[K" << std::flush;
    if (!ok) return 2;
    if (sys::stop_requests() > 0) writer_->notice("interrupted: the results below are partial");

    auto results = engine_->results(sys::stop_requests() == 0);
    auto services = sys::tcp_service_names();
    for (auto& r : results)
      if (auto it = services.find(r.port); it != services.end()) r.service = it->second;
    if (o_.banners && sys::stop_requests() == 0)
      if (auto b = grab_banners(results, static_cast<TimeNs>(std::llround(o_.timeout * 1e9)), o_.concurrency, clock_); !b)
        writer_->notice("banners: " + b.error().message());
    writer_->results(results);
    auto s = engine_->summary();
    s.elapsed = clock_.now() - start;
    writer_->summary(s);
    return s.hosts_up > 0 ? 0 : 1;
  }

 private:
  int usage(const std::string& m) {
    err_ << "reach scan: " << m << '\n';
    return 2;
  }
  int fatal(const std::string& m) { return usage(m); }

  // Raw SYN at high rates is root's: a user given the binary with `setcap cap_net_raw+ep` scans
  // at most kUserRate probes/s (the default is lowered, a higher --rate refused), as iputils
  // keeps flood pings to root. Tied to the real uid, not to holding the capability.
  bool real_user_rate() {
    if (sys::real_root() || rate_ <= kUserRate) return true;
    if (rate_ != ScanOptions{}.rate) {
      usage(fmt::format("--rate {:g}: a SYN scan by a user other than root sends at most {:g} probes/s", rate_,
                        kUserRate));
      return false;
    }
    rate_ = kUserRate;
    notice_ = fmt::format("not root: SYN probes at {:g}/s at most", kUserRate);
    return true;
  }

  std::string validate() const {
    if (!(o_.rate > 0) || !std::isfinite(o_.rate))
      return fmt::format("bad rate {}: probes per second, more than 0", o_.rate);
    if (o_.rate > kMaxRate)
      return fmt::format("a rate of {:.0f} probes/s cannot be met (at most {:.0f})", o_.rate, kMaxRate);
    if (o_.retries && (*o_.retries < 0 || *o_.retries > 20)) return fmt::format("bad retries {}: 0 to 20", *o_.retries);
    if (o_.wait && (!(*o_.wait >= 0) || *o_.wait > 3600)) return fmt::format("bad wait {}: 0 to 3600 s", *o_.wait);
    if (!(o_.timeout > 0) || o_.timeout > 3600) return fmt::format("bad timeout {}: more than 0, at most 3600 s", o_.timeout);
    if (o_.concurrency < 1 || o_.concurrency > 65536)
      return fmt::format("bad concurrency {}: 1 to 65536", o_.concurrency);
    if (o_.json && o_.grepable) return "--json and --grepable exclude each other";
    if (o_.targets.empty() && o_.input_files.empty()) return "no target given (addresses, prefixes, names or -iL FILE)";
    return {};
  }

  // Words of the command line and the -iL files, checked one by one; names resolved.
  bool add_words(const std::vector<std::string>& words, bool exclude, const std::string& origin) {
    for (const auto& w : words) {
      auto t = engine::parse_target(w);
      // A word from a file is shown only in part: errors never echo a file's contents.
      if (!t && !origin.empty())
        return usage(fmt::format("bad target '{}{}'{}", printable(std::string_view(w).substr(0, 24)),
                                 w.size() > 24 ? "..." : "", origin)),
               false;
      if (!t) return usage(t.error().message()), false;
      engine::AddrRange r;
      if (t->range) {
        r = *t->range;
        bool wide = t->prefix >= 0 && (r.family == Family::v4 ? t->prefix < 16 : t->prefix < 112);
        if (wide && !exclude && !o_.yes)
          return usage(fmt::format("{} is wider than a /16 ({} addresses): add --yes to scan it", w, r.size())), false;
        if (!exclude) {  // the same zone rule as every command
          auto zoned = sys::zone_for(r.at(r.first), t->zone, {});
          if (!zoned) return usage(fmt::format("target {}: {}", w, zoned.error().detail) + origin), false;
          r.scope = zoned->scope();
        }
      } else {
        auto addrs = sys::resolve(t->name, o_.family);
        if (!addrs) return usage(fmt::format("cannot resolve {}: {}", t->name, addrs.error().detail)), false;
        r = engine::AddrRange::single(addrs->front());
      }
      if (o_.family && r.family != *o_.family) continue;
      if (exclude) targets_.exclude(r);
      else targets_.add(r);
    }
    return true;
  }

  bool add_files(const std::vector<std::string>& files, bool exclude) {
    for (const auto& f : files) {
      auto text = sys::read_input_file(f);
      if (!text) return usage(text.error().message()), false;
      if (!add_words(engine::split_target_list(*text), exclude, " (in " + f + ")")) return false;
    }
    return true;
  }

  bool build_targets() {
    std::vector<std::string> excl;
    for (const auto& e : o_.exclude)
      for (auto& w : engine::split_target_list(e)) excl.push_back(std::move(w));
    if (!add_words(o_.targets, false, "") || !add_files(o_.input_files, false) || !add_words(excl, true, "") ||
        !add_files(o_.exclude_files, true))
      return false;
    targets_.finalize();
    if (targets_.size() == 0) return usage("no address left to scan (every target excluded, or none of -4/-6)"), false;
    if (targets_.size() > engine::kMaxAddressesWithoutYes && !o_.yes)
      return usage(fmt::format("{} addresses is more than a /16 (65536): add --yes to scan them", targets_.size())),
             false;
    return true;
  }

  bool open_raw_sockets() {
    for (const auto& r : targets_.ranges()) {
      if (raw_for(r.family)) continue;
      auto fam = std::make_unique<RawFamily>();
      fam->family = r.family;
      // One source address per family: the kernel's choice toward the first target. The raw
      // socket is bound to it so the checksum we compute matches what goes out.
      auto src = sys::source_address_for(r.at(r.first), "");
      if (!src) return fatal(src.error().message()), false;
      fam->source = *src;
      bool v4 = r.family == Family::v4;
      auto tcp = sys::open_socket(r.family, SOCK_RAW, IPPROTO_TCP, v4 ? "socket(raw TCP/IPv4)" : "socket(raw TCP/IPv6)");
      if (!tcp) return fatal(tcp.error().message()), false;
      auto icmp = sys::open_socket(r.family, SOCK_RAW, v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6},
                                   v4 ? "socket(raw ICMP)" : "socket(raw ICMPv6)");
      if (!icmp) return fatal(icmp.error().message()), false;
      if (auto b = sys::bind_to(tcp->get(), *src, 0); !b) return fatal(b.error().message()), false;
      sys::grow_receive_buffer(tcp->get(), kReceiveBuffer);
      sys::grow_receive_buffer(icmp->get(), kReceiveBuffer / 8);
      fam->tcp = std::move(*tcp);
      fam->icmp = std::move(*icmp);
      raw_.push_back(std::move(fam));
    }
    return true;
  }

  RawFamily* raw_for(Family f) {
    for (auto& r : raw_)
      if (r->family == f) return r.get();
    return nullptr;
  }

  // --- SYN scan -------------------------------------------------------------------------

  bool syn_loop() {
    auto reactor = io::Reactor::create();
    if (!reactor) return fatal(reactor.error().message()), false;
    io::Reactor& loop = **reactor;
    loop.wait_with_stop_signals();
    sys::RecvBatch rx(kBatch, 1500);
    bool rx_failed = false;
    for (auto& f : raw_) {
      RawFamily* fam = f.get();
      auto tcp = [&, fam](std::uint32_t) { rx_failed = rx_failed || !receive(rx, *fam, true); };
      auto icmp = [&, fam](std::uint32_t) { rx_failed = rx_failed || !receive(rx, *fam, false); };
      if (auto r = loop.watch(fam->tcp.get(), EPOLLIN, tcp); !r) return fatal(r.error().message()), false;
      if (auto r = loop.watch(fam->icmp.get(), EPOLLIN, icmp); !r) return fatal(r.error().message()), false;
    }
    // Send in batches of about half a millisecond of the rate, so a batch is worth a syscall
    // and the pacing stays smooth.
    auto batch = static_cast<std::uint64_t>(std::clamp(rate_ / 2000, 1.0, double{kBatch}));
    // Room for two milliseconds of tokens: a late wake-up sends what it missed, a long stall
    // (the process was descheduled) does not turn into a burst.
    engine::TokenBucket bucket(rate_, std::max(static_cast<double>(batch), rate_ / 500));
    TimeNs timeout = 0;
    while (sys::stop_requests() == 0) {
      // The replies that are in (the turn reads the ready sockets), then the next batch.
      if (auto r = loop.run_once(timeout); !r) return fatal(r.error().message()), false;
      if (rx_failed) return false;
      TimeNs now = clock_.now();
      bool pending = false;
      for (auto& f : raw_) pending = pending || f->batch.size() > 0;
      // New probes only once the batches are empty, so a batch never overflows its capacity.
      if (engine_->sending() && !pending) {
        std::uint64_t n = bucket.take(now, kBatch);
        for (std::uint64_t k = 0; k < n; ++k) {
          auto p = engine_->next_probe(now);
          if (!p) break;
          RawFamily* f = raw_for(p->dst.family());
          auto seg = packet::build_tcp_syn(f->source, p->dst, p->sport, p->dport, p->seq, kSynWindow);
          f->batch.add(seg, p->dst, 0);
        }
      }
      pending = false;
      for (auto& f : raw_) {
        flush(*f);
        pending = pending || f->batch.size() > 0;
      }
      now = clock_.now();
      progress(now);
      if (!pending && !engine_->sending() && engine_->advance(now)) break;
      TimeNs until = engine_->sending() ? bucket.next_token_at(now, batch) : engine_->wait_until();
      if (pending) until = now + 50 * kNsPerUs;  // the kernel's queue was full: try again soon
      timeout = std::clamp<TimeNs>(until - now, 0, kProgressEvery);
    }
    return true;
  }

  void flush(RawFamily& f) {
    while (f.batch.size() > 0) {
      auto r = f.batch.flush(f.tcp.get());
      if (r) return;  // sent, or the kernel's queue is full and the rest waits
      // One destination refused (e.g. no route): count it, keep going with the others.
      engine_->send_failed();
      if (send_errors_++ == 0) writer_->notice(r.error().message() + " (further send errors are only counted)");
    }
  }

  bool receive(sys::RecvBatch& rx, const RawFamily& f, bool tcp) {
    // A fresh reading: replies must not share the send's time, or every RTT would be 0.
    TimeNs now = clock_.now();
    for (int round = 0; round < (tcp ? 64 : 16); ++round) {  // bounded: sending must not starve
      auto n = rx.receive(tcp ? f.tcp.get() : f.icmp.get());
      if (!n) return fatal(n.error().message()), false;
      for (std::size_t i = 0; i < *n; ++i)
        tcp ? on_tcp(f, rx.data(i), rx.from(i), now) : on_icmp(f, rx.data(i), rx.from(i), now);
      if (*n < kBatch) break;
    }
    return true;
  }

  // Who sent a datagram of a raw socket and its upper-layer bytes: raw IPv4 sockets see the IP
  // header (and so the TTL), raw IPv6 ones only the payload and the sender's address.
  struct Upper {
    IpAddr src;
    int ttl = -1;
    packet::Bytes payload;
  };
  static std::optional<Upper> upper(Family f, std::uint8_t proto, packet::Bytes data, const std::optional<IpAddr>& from) {
    if (f == Family::v6) {
      if (!from) return std::nullopt;
      return Upper{*from, -1, data};
    }
    auto ip = packet::parse_ipv4(data);
    if (!ip || ip->protocol != proto) return std::nullopt;
    return Upper{ip->src, ip->ttl, ip->payload};
  }

  void on_tcp(const RawFamily& f, packet::Bytes data, const std::optional<IpAddr>& from, TimeNs now) {
    auto u = upper(f.family, packet::kProtoTcp, data, from);
    if (!u) return;
    auto tcp = packet::parse_tcp(u->payload);
    if (!tcp) return;
    engine_->on_tcp(u->src, tcp->sport, tcp->dport, tcp->ack, tcp->flags, u->ttl, now);
  }

  void on_icmp(const RawFamily& f, packet::Bytes data, const std::optional<IpAddr>& from, TimeNs now) {
    auto u = upper(f.family, packet::kProtoIcmp, data, from);
    if (!u) return;
    auto icmp = packet::parse_icmp(u->payload);
    if (!icmp) return;
    auto q = packet::parse_quoted(f.family, icmp->body);
    if (!q || q->ip.protocol != packet::kProtoTcp) return;
    auto ports = packet::parse_l4_ports(q->ip.payload);
    if (!ports) return;
    engine_->on_icmp(u->src, f.family, icmp->type, icmp->code, q->ip.dst, ports->sport, ports->dport, ports->seq,
                     u->ttl, now);
  }

  // --- connect scan ---------------------------------------------------------------------

  struct Pending {
    sys::Fd fd;
    std::uint64_t index = 0;
    TimeNs deadline = 0;
  };

  // An answer of any kind is recorded, with its sender (a router for ICMP errors); a connect
  // that saw nothing is left for the next pass.
  void record(const engine::ConnectVerdict& v, std::uint64_t index) {
    if (!v.answered) return;
    engine_->record(index, v.state, v.reason, v.icmp && v.icmp->from ? *v.icmp->from : engine_->probe(index).dst);
  }

  void finish(Pending& p, const engine::ConnectVerdict& v) {
    record(v, p.index);
    loop_->unwatch(p.fd.get());
    p.fd.reset();
  }

  bool connect_loop() {
    auto reactor = io::Reactor::create();
    if (!reactor) return fatal(reactor.error().message()), false;
    (*reactor)->wait_with_stop_signals();
    loop_ = reactor->get();
    slots_.resize(static_cast<std::size_t>(o_.concurrency));
    for (std::size_t i = slots_.size(); i-- > 0;) free_slots_.push_back(i);
    bool ok = connect_turns(**reactor);
    slots_.clear();  // closes what an interruption left in flight, as the loop ends
    free_slots_.clear();
    loop_ = nullptr;
    return ok;
  }

  bool connect_turns(io::Reactor& loop) {
    auto& slots = slots_;
    auto& free_slots = free_slots_;
    engine::TokenBucket bucket(rate_, std::clamp(rate_ / 1000, 1.0, 64.0));
    const auto timeout = static_cast<TimeNs>(std::llround(o_.timeout * 1e9));
    while (sys::stop_requests() == 0) {
      TimeNs now = clock_.now();
      while (!free_slots.empty() && engine_->sending() && bucket.take(now, 1) == 1) {
        auto p = engine_->next_probe(now);
        if (!p) break;
        if (!start_connect(*p, now + timeout)) return false;
      }
      // The turn finishes the connects that completed (their handlers, start_connect).
      auto r = loop.run_once(std::clamp<TimeNs>(
          engine_->sending() && !free_slots.empty() ? bucket.next_token_at(now) - now : 10 * kNsPerMs, 0,
          10 * kNsPerMs));
      if (!r) return fatal(r.error().message()), false;
      now = clock_.now();
      for (std::size_t i = 0; i < slots.size(); ++i) {
        if (!slots[i].fd.valid() || now < slots[i].deadline) continue;
        finish(slots[i], timed_out_connect(slots[i].fd.get()));
        free_slots.push_back(i);
      }
      progress(now);
      if (!engine_->sending() && free_slots.size() == slots.size() && engine_->advance(now)) break;
    }
    return true;
  }

  bool start_connect(const engine::ScanProbe& p, TimeNs deadline) {
    auto fd = open_connect_socket(p.dst.family());
    if (!fd) {
      if (fd.error().err == EMFILE || fd.error().err == ENFILE)
        return fatal(fd.error().message() + ": lower --concurrency or raise `ulimit -n`"), false;
      return fatal(fd.error().message()), false;
    }
    (void)sys::set_linger_zero(fd->get());  // close with RST: no TIME_WAIT left behind per open port
    auto c = sys::connect_nonblocking(fd->get(), p.dst, p.dport);
    if (!c || *c) {
      auto v = c ? finished_connect(fd->get()) : failed_connect(c.error().err);
      // A local shortage (no free port, no buffer) is a failed send, retried in the next pass.
      bool shortage = v.err == EAGAIN || v.err == EADDRNOTAVAIL || v.err == ENOBUFS || v.err == ENOMEM;
      if (!c && shortage) engine_->send_failed();
      else record(v, p.index);
      return true;
    }
    std::size_t slot = free_slots_.back();
    free_slots_.pop_back();
    // [this, slot] fits std::function's own storage: no allocation per connect.
    auto done = [this, slot](std::uint32_t) {
      finish(slots_[slot], finished_connect(slots_[slot].fd.get()));
      free_slots_.push_back(slot);
    };
    if (auto r = loop_->watch(fd->get(), EPOLLOUT, done); !r) return fatal(r.error().message()), false;
    slots_[slot] = Pending{std::move(*fd), p.index, deadline};
    return true;
  }

  // --- progress -------------------------------------------------------------------------

  void progress(TimeNs now) {
    if (!show_progress_ || now < next_progress_) return;
    if (progress_start_ == 0) progress_start_ = now;
    next_progress_ = now + kProgressEvery;
    double secs = static_cast<double>(now - progress_start_) / 1e9;
    auto sent = engine_->sent();
    double pps = secs > 0 ? static_cast<double>(sent) / secs : 0;
    double left = static_cast<double>(engine_->probes() > sent ? engine_->probes() - sent : 0);
    std::string eta = engine_->pass() == 0 && pps > 0 ? fmt::format("{:.0f} s", left / pps) : "retries";
    err_ << fmt::format("\r\033[Ksent {} of {} (pass {}), {:.0f} pps, {} answered, ETA {}", sent, engine_->probes(),
                        engine_->pass() + 1, pps, engine_->answered(), eta)
         << std::flush;
  }

  const ScanOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  sys::MonotonicClock clock_;  // scheduling and elapsed time only; scan shows no wall-clock time
  engine::TargetSet targets_;
  std::vector<std::uint16_t> ports_;
  bool connect_ = false;
  std::string notice_;
  std::vector<std::unique_ptr<RawFamily>> raw_;
  std::unique_ptr<engine::ScanEngine> engine_;
  std::unique_ptr<format::ScanWriter> writer_;
  format::GeoOf geo_;
  double rate_ = o_.rate;  // --rate, lowered for a user other than root
  std::uint64_t send_errors_ = 0;
  bool show_progress_ = false;
  TimeNs next_progress_ = 0, progress_start_ = 0;
  // --connect: one slot per connect in flight, on the loop of connect_loop().
  std::vector<Pending> slots_;
  std::vector<std::size_t> free_slots_;
  io::Reactor* loop_ = nullptr;
};

}  // namespace

int run_scan(const ScanOptions& opts, std::ostream& out, std::ostream& err) {
  int code = ScanRun(opts, out, err).run();
  // Interrupted (Ctrl-C, SIGTERM) after printing what it found: 130, as shells and nmap's
  // wrappers expect, so a partial scan is never taken for a complete one.
  return code != 2 && sys::stop_requests() > 0 ? 130 : code;
}

}  // namespace reach::tools

