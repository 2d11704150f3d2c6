// Fuzzes the trace engine's reply matching: one TraceEngine per input (method, family, classic
// and kernel-header mode from the first byte), its first window of probes sent, then the rest of
// the input as a script of received packets (raw bytes, or genuine router/target answers with
// fuzzer-chosen truncations and byte flips), error-queue entries, TX stamps and clock steps.
//
// Invariants (trap on violation): every probe handed back names a probe that was sent, at its
// own TTL, and carries an RTT when answered; answered + duplicates never exceed what was fed;
// the engine's counters never say more were answered than sent; and once every wait has run
// out the trace is done and asks for no wakeup.
#include <cstddef>
#include <cstdint>
#include <map>

#include "fuzz_input.hpp"
#include "engine/trace_engine.hpp"
#include "trace_script.hpp"

using namespace reach;
using namespace reach::engine;
using packet::Buffer;

using fuzz::check;
using fuzz::Reader;

namespace {

constexpr TimeNs kT0 = 1000 * kNsPerSec;

void mutate(Reader& r, Buffer& b) {
  std::uint8_t cut = r.u8();
  if (cut & 0x80) b.resize(std::min<std::size_t>(b.size(), cut & 0x7f));
  std::uint8_t flips = r.u8() & 7;
  for (std::uint8_t k = 0; k < flips && !b.empty(); ++k) b[r.u8() % b.size()] ^= r.u8();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  Reader r{data, size};
  const std::uint8_t sel = r.u8();
  TraceConfig c;
  static constexpr model::TraceMethod kMethods[] = {model::TraceMethod::udp, model::TraceMethod::icmp,
                                                    model::TraceMethod::tcp, model::TraceMethod::udp};
  c.method = kMethods[sel & 3];
  bool v6 = (sel & 4) != 0;
  c.target = v6 ? test::ip("2001:db8:9::2") : test::ip("198.18.9.2");
  c.source = v6 ? test::ip("2001:db8:1::1") : test::ip("198.18.1.1");
  c.classic = (sel & 8) != 0;
  c.kernel_header = (sel & 16) != 0 && c.method != model::TraceMethod::tcp;
  c.sport = 41000;
  c.dport = c.method == model::TraceMethod::tcp ? 80 : 33434;
  c.max_ttl = 8;
  c.queries = 1 + (sel >> 6);
  c.window = 12;
  c.key = 0x1234;
  c.manual = (sel & 32) != 0;  // the MDA's prober: probes per (ttl, flow) chosen by the input
  c.id_base = static_cast<std::uint16_t>(r.u8() * 7);
  const IpAddr router = v6 ? test::ip("2001:db8:5::1") : test::ip("198.18.5.1");

  TraceEngine e(c, kT0);
  TimeNs now = kT0;
  std::map<std::uint32_t, TraceOutgoing> sent;
  auto send = [&] {
    if (c.manual) {
      for (int i = 0; i < 4; ++i) {
        int ttl = 1 + r.u8() % 10;
        auto o = e.probe(ttl, r.u8() % 8, now);
        check(o.has_value() && o->ttl == ttl);
        e.sent(o->id, now);
        sent[o->id] = *o;
      }
      return;
    }
    for (auto& o : e.due(now)) {
      check(o.ttl >= c.first_ttl && o.ttl <= c.max_ttl);  // due() hands out nothing in manual mode
      e.sent(o.id, now);
      sent[o.id] = o;
    }
  };
  auto take = [&](const std::optional<model::TraceProbe>& p) {
    if (!p) return;
    auto it = sent.find(p->id);
    check(it != sent.end());
    check(p->ttl == it->second.ttl);
    check(p->rtt.has_value() && *p->rtt >= 0);
    check(p->answer != model::TraceAnswer::none);
    auto res = e.result(now);
    check(res.counters.answered <= res.counters.sent);
  };
  send();

  int steps = 0;
  while (!r.empty() && steps++ < 64) {
    const std::uint8_t op = r.u8();
    switch (op & 7) {
      case 0:
      case 1: {
        Buffer pkt;
        bool tcp = (op & 0x40) != 0;
        IpAddr from = (op & 0x20) ? c.target : router;
        if ((op & 7) == 0 || sent.empty()) {
          pkt = r.bytes(r.u8());
        } else {
          auto it = sent.begin();
          std::advance(it, r.u8() % sent.size());
          if (from == c.target && c.method != model::TraceMethod::udp)
            pkt = test::target_reply(c, it->second, (op & 0x80) != 0);
          else
            pkt = test::trace_error(c, it->second, from, v6 ? 3 : 11, 0, (op & 0x80) ? 8 : 1000);
          mutate(r, pkt);
        }
        TraceIncoming in = test::incoming(c, pkt, from, now, tcp);
        if (op & 0x10) in.has_ip_header = !in.has_ip_header;
        take(e.on_packet(in));
        break;
      }
      case 2: {
        Buffer orig;
        if ((op & 0x20) && !sent.empty()) {
          auto it = sent.begin();
          std::advance(it, r.u8() % sent.size());
          orig = it->second.bytes;
          mutate(r, orig);
        } else {
          orig = r.bytes(r.u8());
        }
        TraceQueuedError q;
        q.family = c.target.family();
        q.original = orig;
        q.type = r.u8();
        q.code = r.u8();
        q.offender = (op & 0x40) ? c.target : router;
        q.rx = now;
        take(e.on_queued_error(q));
        break;
      }
      case 3:
        e.tx_stamp(r.u8(), now - static_cast<TimeNs>(r.u8()) * 1000);
        break;
      case 4:
        now += static_cast<TimeNs>(r.u8()) * kNsPerMs;
        for (const auto& p : e.expire(now)) check(p.answer == model::TraceAnswer::none && sent.count(p.id));
        send();
        break;
      case 5:
        for (const auto& h : e.take_hops()) {
          check(h.ttl >= c.first_ttl && h.ttl <= c.max_ttl);
          check(h.probes.size() == static_cast<std::size_t>(c.queries));
        }
        break;
      default: {
        auto w = e.next_wakeup();
        if (w) check(*w >= kT0 - kNsPerSec);  // a TX stamp may precede the user-space send time
        break;
      }
    }
  }
  // Let every wait run out (sending what the window still allows): the trace must end.
  for (int i = 0; i < 200 && !e.done(); ++i) {
    now += 6 * kNsPerSec;
    e.expire(now);
    if (!c.manual) send();
  }
  e.expire(now + 6 * kNsPerSec);
  check(e.done());
  return 0;
}
