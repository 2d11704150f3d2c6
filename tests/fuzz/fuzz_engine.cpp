// Fuzzes the ping engine's reply matching: one PingEngine per input (fixed key, two targets,
// method and family from the first byte), a few probes, then the rest of the input as a script
// of received packets (raw bytes, or genuine replies/errors for our probes with fuzzer-chosen
// cuts and byte flips), error-queue entries, connect outcomes, clock steps and stops.
//
// Invariants (trap on violation), for every target after every step:
//   received <= transmitted, received + errors <= transmitted;
//   the counters agree with the events handed out (first answers, duplicates, late ones);
//   events name a target and a probe that exist; answers carry an RTT;
// and at the end, once every wait has run out: received + errors + timeouts == transmitted
// (without a hard stop), done() and no next wakeup.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "fuzz_input.hpp"
#include "engine/ping_engine.hpp"
#include "packet/checksum.hpp"
#include "packet/icmp.hpp"
#include "packet/ip.hpp"
#include "packet/tcp.hpp"
#include "packets.hpp"  // tests/unit: IP and ICMP builders shared with the unit tests

using namespace reach;
using namespace reach::engine;
using packet::Buffer;

using fuzz::check;
using fuzz::Reader;

namespace {

// Incoming::target / IncomingError::target beyond the target list: the engine must refuse
// them everywhere (match_icmp once overflowed the heap with one; it is bounds-checked now).
constexpr std::size_t kTargetMask = 3;

constexpr TimeNs kT0 = 1'700'000'000 * kNsPerSec;
constexpr TimeNs kMs = kNsPerMs;

IpAddr v4(std::uint32_t a) { return IpAddr::v4(a); }
IpAddr v6(std::uint8_t last) {
  std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
  b[15] = last;
  return IpAddr::from_bytes(Family::v6, b);
}

struct Run {
  PingEngine* e = nullptr;
  model::Method method{};
  Family fam{};
  std::vector<TargetSpec> specs;
  IpAddr router, stranger;
  std::vector<Outgoing> probes;  // every probe handed out (sent or failed)
  // Accounting from the events, per target.
  struct Count {
    std::uint64_t first_replies = 0, first_errors = 0, dups = 0, late = 0, timeouts = 0, send_failed = 0;
  };
  Count count[2];
  std::uint32_t max_seq[2] = {0, 0};
  bool hard = false;
  TimeNs now = kT0;

  IpAddr pick(std::uint8_t sel) const {
    switch (sel & 3) {
      case 0: return specs[0].addr;
      case 1: return specs[1].addr;
      case 2: return router;
      default: return stranger;
    }
  }

  std::set<std::pair<std::size_t, std::uint32_t>> errored;  // probes whose first answer was an error
  std::set<std::pair<std::size_t, std::uint32_t>> timed_out;  // probes reported lost so far

  void take(const std::vector<model::ProbeEvent>& evs) {
    for (const auto& ev : evs) {
      check(ev.target < 2);
      check(ev.seq >= 1 && ev.seq <= max_seq[ev.target]);
      check(!(ev.duplicate && ev.late));
      auto& c = count[ev.target];
      switch (ev.type) {
        case model::EventType::reply:
        case model::EventType::icmp_error:
          check(ev.rtt.has_value());
          if (ev.duplicate) ++c.dups;
          else if (ev.late) ++c.late;
          else if (ev.type == model::EventType::reply) {
            ++c.first_replies;
            // A real answer after an error supersedes it: the engine takes the error back.
            if (errored.erase({ev.target, ev.seq})) --c.first_errors;
            // A timeout event says "no answer yet" (ping -O): an answer stamped within the wait
            // but read after the expiry still counts, and the probe is no longer lost.
            if (timed_out.erase({ev.target, ev.seq})) --c.timeouts;
          } else {
            ++c.first_errors;
            errored.insert({ev.target, ev.seq});
            // An ICMP error is an error however late it comes (docs/PING.md): a probe already
            // reported as timed out becomes an error instead.
            if (timed_out.erase({ev.target, ev.seq})) --c.timeouts;
          }
          break;
        case model::EventType::timeout:
          check(!ev.duplicate && !ev.late);
          ++c.timeouts;
          timed_out.insert({ev.target, ev.seq});
          break;
        case model::EventType::send_error:
          check(false);  // only send_failed() makes these, and it returns them directly
          break;
      }
    }
    invariants();
  }

  void invariants() const {
    for (std::size_t t = 0; t < 2; ++t) {
      auto s = e->summary(t, now);
      const auto& c = count[t];
      check(s.received <= s.transmitted);
      check(s.received + s.errors <= s.transmitted);
      check(s.received == c.first_replies);
      check(s.errors == c.first_errors + c.send_failed);
      check(s.duplicates == c.dups);
      check(s.late == c.late);
      check(s.received + s.errors + c.timeouts <= s.transmitted);
      if (s.received > 0) check(s.rtt_min <= s.rtt_max && s.rtt_mdev >= 0);
    }
  }

  // Sends what is due at `now`; `bits` decides which probes the "stack" refuses.
  void send(std::uint8_t bits) {
    for (auto& o : e->due(now)) {
      check(o.target < 2);
      max_seq[o.target] = o.seq;
      if (bits & 1) {
        auto ev = e->send_failed(o.target, o.seq, now, "refused");
        check(ev.type == model::EventType::send_error);
        ++count[o.target].send_failed;
      } else {
        e->sent(o.target, o.seq, now);
        if (bits & 2) e->tx_stamp(o.target, o.seq, now - 10 * 1000);
      }
      bits = static_cast<std::uint8_t>(bits >> 1);
      probes.push_back(std::move(o));
    }
    invariants();
  }

  // A genuine answer (or ICMP error) for probe `i`, as the socket of `ch` would deliver it.
  Buffer genuine(std::size_t i, bool error, Channel ch) const {
    const Outgoing& o = probes[i % probes.size()];
    const TargetSpec& s = specs[o.target];
    Buffer l4;
    std::uint8_t proto = 0;
    IpAddr src = s.addr;
    if (error) {
      std::uint8_t qproto = method == model::Method::tcp_syn ? packet::kProtoTcp
                            : method == model::Method::udp   ? packet::kProtoUdp
                            : fam == Family::v4              ? packet::kProtoIcmp
                                                             : packet::kProtoIcmpV6;
      Buffer quoted = test::ip_packet(fam, s.source, s.addr, qproto, o.bytes);
      l4.assign(8, 0);
      l4[0] = fam == Family::v4 ? 3 : 1;
      l4[1] = fam == Family::v4 ? 13 : 1;
      l4.insert(l4.end(), quoted.begin(), quoted.end());
      if (fam == Family::v4) l4 = test::fix_icmp4(l4);
      proto = fam == Family::v4 ? packet::kProtoIcmp : packet::kProtoIcmpV6;
      src = router;
    } else if (method == model::Method::tcp_syn) {
      auto syn = packet::parse_tcp(o.bytes);
      if (!syn) return {};
      l4.assign(20, 0);
      packet::put16(l4, 0, syn->dport);
      packet::put16(l4, 2, syn->sport);
      packet::put32(l4, 8, syn->seq + 1);
      l4[12] = 5 << 4;
      l4[13] = packet::kTcpSyn | packet::kTcpAck;
      packet::put16(l4, 16, packet::checksum(l4, packet::pseudo_header_sum(s.addr, s.source, packet::kProtoTcp, 20)));
      proto = packet::kProtoTcp;
    } else if (method == model::Method::icmp) {
      l4 = o.bytes;
      if (l4.size() < 8) return {};
      l4[0] = fam == Family::v4 ? packet::kIcmp4EchoReply : packet::kIcmp6EchoReply;
      if (fam == Family::v4) l4 = test::fix_icmp4(l4);
      proto = fam == Family::v4 ? packet::kProtoIcmp : packet::kProtoIcmpV6;
    } else {
      return o.bytes;  // a UDP echo service
    }
    bool has_ip = fam == Family::v4 && (ch == Channel::icmp_raw || ch == Channel::tcp_raw);
    return has_ip ? test::ip_packet(fam, src, s.source, proto, l4) : l4;
  }
};

void mutate(Reader& r, Buffer& b) {
  std::uint8_t cut = r.u8();
  if (cut & 0x80) b.resize(std::min<std::size_t>(b.size(), cut & 0x7f));
  std::uint8_t flips = r.u8() & 7;
  for (std::uint8_t k = 0; k < flips && !b.empty(); ++k) {
    std::size_t pos = r.u8() % b.size();
    b[pos] ^= r.u8();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  Reader r{data, size};
  const std::uint8_t sel = r.u8();
  Run run;
  static constexpr model::Method kMethods[] = {model::Method::icmp, model::Method::tcp_syn, model::Method::udp,
                                               model::Method::tcp_connect};
  run.method = kMethods[sel & 3];
  run.fam = (sel & 4) ? Family::v6 : Family::v4;
  PingConfig cfg;
  cfg.method = run.method;
  cfg.count = 4 + (sel >> 6);
  cfg.interval = 100 * kMs;
  cfg.wait = 300 * kMs;
  if (sel & 8) cfg.deadline = 2 * 1000 * kMs;
  cfg.payload = (sel & 16) ? r.u8() % 72 : (run.method == model::Method::tcp_syn ? 0 : 56);
  cfg.port = run.method == model::Method::udp ? 33434 : 80;
  const bool is6 = run.fam == Family::v6;
  run.router = is6 ? v6(0xfe) : v4(0xc612fe01);
  run.stranger = is6 ? v6(0x99) : v4(0xc6120063);
  bool tcp_or_udp = run.method != model::Method::icmp;
  run.specs = {
      TargetSpec{is6 ? v6(2) : v4(0xc6120002), is6 ? v6(1) : v4(0xc6120101), static_cast<std::uint16_t>(tcp_or_udp ? 40000 : 0x1234)},
      TargetSpec{is6 ? v6(3) : v4(0xc6120003), is6 ? v6(1) : v4(0xc6120101), static_cast<std::uint16_t>(tcp_or_udp ? 40300 : 0x1235)},
  };
  PingEngine engine(cfg, run.specs, 0x0123456789abcdefULL, kT0);
  run.e = &engine;

  run.send(r.u8());
  run.now += cfg.interval;
  run.send(r.u8());

  int steps = 0;
  while (!r.empty() && steps++ < 64) {
    const std::uint8_t op = r.u8();
    const std::uint8_t arg = r.u8();
    const Channel ch = static_cast<Channel>((op >> 3) & 3);
    const std::optional<std::size_t> target =
        (arg & 4) ? std::optional<std::size_t>((arg >> 3) & kTargetMask) : std::nullopt;
    switch (op & 7) {
      case 0:
      case 1: {  // a received packet: raw bytes, or a mutated genuine answer
        Buffer pkt;
        if ((op & 7) == 0 || run.probes.empty()) {
          pkt = r.bytes(r.u8());
        } else {
          pkt = run.genuine(r.u8(), (op & 0x20) != 0, ch);
          mutate(r, pkt);
        }
        Incoming in;
        in.channel = ch;
        in.family = (op & 0x40) ? (is6 ? Family::v4 : Family::v6) : run.fam;
        in.data = pkt;
        in.from = run.pick(arg);
        in.rx = run.now;
        in.kernel_rx = (arg & 0x80) != 0;
        in.ttl = (arg & 0x20) ? 64 : -1;
        in.target = target;
        run.take(engine.on_packet(in));
        break;
      }
      case 2: {  // an error-queue entry
        Buffer orig;
        if ((op & 0x20) && !run.probes.empty()) {
          orig = run.probes[r.u8() % run.probes.size()].bytes;
          mutate(r, orig);
        } else {
          orig = r.bytes(r.u8());
        }
        IncomingError in;
        in.channel = (op & 0x40) ? Channel::icmp_dgram : Channel::udp;
        in.family = (op & 0x80) ? (is6 ? Family::v4 : Family::v6) : run.fam;
        in.original = orig;
        in.type = r.u8();
        in.code = r.u8();
        in.offender = run.pick(arg);
        in.rx = run.now;
        in.kernel_rx = (arg & 0x80) != 0;
        in.target = target;
        run.take(engine.on_error(in));
        break;
      }
      case 3: {  // a connect outcome
        ConnectOutcome out;
        out.kind = static_cast<ConnectOutcome::Kind>(arg % 3);
        out.err = (op & 0x20) ? 113 : 110;
        out.when = run.now;
        if (op & 0x40) out.kernel_rtt = static_cast<TimeNs>(r.u16()) * 1000;
        std::size_t t = (arg >> 2) & 3;
        std::uint32_t seq = r.u8();
        if (op & 0x80) seq += 65536;
        run.take(engine.on_connect(t, seq, out));
        break;
      }
      case 4:  // time passes
        run.now += static_cast<TimeNs>(arg) * kMs;
        run.take(engine.expire(run.now));
        run.send(r.u8());
        break;
      case 5:  // Ctrl-C
        engine.stop(run.now, (arg & 1) != 0);
        run.hard = run.hard || (arg & 1) != 0;
        run.take(engine.expire(run.now));
        break;
      case 6: {  // a TX timestamp, maybe for a probe we never sent
        std::size_t t = (arg >> 1) & 1;
        engine.tx_stamp(t, r.u8(), run.now - static_cast<TimeNs>(r.u8()) * 1000);
        run.invariants();
        break;
      }
      default: {
        auto w = engine.next_wakeup();
        if (w) check(*w >= kT0);
        (void)engine.done(run.now);
        break;
      }
    }
  }

  // Let every wait run out: each probe sent ends answered, errored or timed out.
  engine.stop(run.now, false);
  run.now += 10 * 1000 * kMs;
  run.take(engine.expire(run.now));
  check(engine.done(run.now));
  check(!engine.next_wakeup().has_value());
  for (std::size_t t = 0; t < 2; ++t) {
    auto s = engine.summary(t, run.now);
    const auto& c = run.count[t];
    if (!run.hard) check(s.received + s.errors + c.timeouts == s.transmitted);
  }
  return 0;
}
