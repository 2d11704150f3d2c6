// The `relay.limits:` section on arbitrary bytes, then engine::RelayLimits driven by the same
// bytes as a stream of admits (direct, or from a balancer and handed over to a client named by
// the next bytes)/releases: never a crash; the open count never goes negative or
// above the cap, and the state table never exceeds its bound.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/relay_limits.hpp"
#include "engine/relay_limits.hpp"
#include "fuzz_input.hpp"

using reach::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = reach::config::parse_relay_limits(text, "fuzz.yml");
  if (!c) {
    check(!c.error().items.empty());
    return 0;
  }
  reach::config::RelayLimitsConfig cfg = *c;
  cfg.max_prefixes = 100;
  reach::engine::RelayLimits l(cfg);
  reach::TimeNs now = 0;
  for (std::size_t i = 0; i + 3 < size; i += 4) {
    std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, data[i], data[i + 1], 0, data[i + 2]};
    const reach::IpAddr a = data[i + 3] & 1 ? reach::IpAddr::from_bytes(reach::Family::v6, b)
                                            : reach::IpAddr::v4(0xc6120000u | data[i] << 8 | data[i + 1]);
    now += (data[i + 3] >> 2) * reach::kNsPerMs;
    const int op = data[i + 2] >> 6;  // the top bits of the address byte pick the kind of admit
    if (data[i + 3] & 2) {
      l.released(a, now);
    } else if (op == 1) {
      (void)l.admit_upstream(a, now);
    } else if (op == 2 && i + 7 < size) {
      const reach::IpAddr client = reach::IpAddr::v4(0xc6120000u | data[i + 4] << 8 | data[i + 5]);
      (void)l.handover(a, client, now);
    } else {
      (void)l.admit(a, now);
    }
    check(l.tracked_prefixes() <= 100);
    if (cfg.max_conns) check(l.open_conns() <= cfg.max_conns + 0u || !cfg.allow.empty());
  }
  (void)l.take_new_bans();
  l.evict(now);
  return 0;
}
