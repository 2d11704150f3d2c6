// The `usage:` section on arbitrary bytes: never a crash or an exception; what parses holds the
// invariants the daemon relies on, and every plan's cycle holds the instants asked about.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "config/usage_config.hpp"
#include "engine/usage_cycle.hpp"
#include "engine/usage_plan.hpp"
#include "fuzz_input.hpp"

using reach::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;  // yaml-cpp is slow on huge inputs; depth is bounded by it
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = reach::config::parse_usage_config(text, "fuzz.yml");
  if (!c) {
    check(!c.error().items.empty());
    return 0;
  }
  check(!c->plans.empty());
  check(c->poll >= 100 * reach::kNsPerMs);
  std::set<std::string> names;
  for (const auto& p : c->plans) {
    check(!p.name.empty() && names.insert(p.name).second);
    check(p.cap > 0);
    check(!p.sources.empty());
    std::set<std::string> ids;
    for (const auto& s : p.sources) check(!s.id.empty() && ids.insert(s.id).second);
    for (std::size_t i = 1; i < p.thresholds.size(); ++i) check(p.thresholds[i - 1] < p.thresholds[i]);
    for (const auto& n : p.notify) {
      bool found = false;
      for (const auto& x : c->notifiers) found = found || x.name == n;
      check(found);
    }
    const auto& cy = p.cycle;
    check(cy.start_day >= 1 && cy.start_day <= 31 && cy.start_hour >= 0 && cy.start_hour <= 23);
    check(cy.every_days >= 0 && cy.every_days <= 3660);
    reach::engine::FixedZone zone(static_cast<long>(size % 97) * 900 - 12 * 3600);
    for (std::int64_t t : {std::int64_t{0}, cy.anchor, cy.anchor + 1234567, std::int64_t{1796050477}}) {
      auto b = reach::engine::cycle_at(cy, zone, t);
      check(b.start <= t && t < b.end);
      auto st = reach::engine::plan_status(p, p.cap / 2, b, t);
      check(!st.projected_exhaustion || *st.projected_exhaustion < b.end);
    }
  }
  return 0;
}
