// Drives the MDA engine with arbitrary answers (any address, destination or not, timeouts, late
// or forged answers, answers held back): it must never crash, never exceed its probe budget,
// never send a (ttl, flow) twice at once, and always finish once every probe is answered.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <utility>
#include <vector>

#include "engine/mda.hpp"

using namespace reach;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  std::size_t pos = 0;
  auto byte = [&]() -> std::uint8_t { return pos < size ? data[pos++] : 0; };
  engine::MdaOptions o;
  o.destination = IpAddr::v4(0xC6120902);  // 198.18.9.2
  o.first_ttl = 1 + byte() % 4;
  o.max_ttl = o.first_ttl + byte() % 12;
  o.alpha = (1 + byte()) / 260.0;
  o.max_probes = 1 + byte() * 4;
  o.lite = (byte() & 1) == 0;
  engine::MdaEngine e(o);
  std::vector<engine::MdaProbe> held;
  std::set<std::pair<int, model::FlowId>> in_flight;
  std::uint64_t sent = 0;
  for (int round = 0; !e.done(); ++round) {
    if (round > 100000) std::abort();  // no unbounded probing
    const auto probes = e.next(1 + byte() % 64);
    for (const auto& p : probes) {
      if (!in_flight.insert({p.ttl, p.flow}).second) std::abort();
      if (p.ttl < o.first_ttl || p.ttl > o.max_ttl) std::abort();
    }
    sent += probes.size();
    if (sent > o.max_probes) std::abort();
    held.insert(held.end(), probes.begin(), probes.end());
    if (probes.empty() && held.empty() && !e.done()) std::abort();  // stalled
    // Answer some of what is held; once the input is used up, time everything out.
    const std::size_t n = pos < size ? std::min<std::size_t>(held.size(), 1 + byte() % 16) : held.size();
    for (std::size_t i = 0; i < n; ++i) {
      const auto p = held.back();
      held.pop_back();
      in_flight.erase({p.ttl, p.flow});
      const std::uint8_t c = byte();
      if (pos >= size || c % 5 == 0) {
        e.on_timeout(p.ttl, p.flow);
      } else {
        const bool dest = c % 7 == 1;
        e.on_answer(p.ttl, p.flow, IpAddr::v4(0xC6120000u | (dest ? 0x0902u : (c & 0x0f))), dest);
      }
      if (c % 11 == 3) e.on_answer(p.ttl, p.flow, IpAddr::v4(0xC6120101), false);  // duplicate
      if (c % 13 == 4) e.on_timeout(p.ttl + 1, p.flow + 1000000);                // forged
    }
  }
  const auto g = e.result();
  if (g.probes_sent != sent) std::abort();
  for (const auto& l : g.links)
    if (l.to_ttl <= l.from_ttl) std::abort();
  return 0;
}
