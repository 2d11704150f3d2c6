#include "tools/target.hpp"

#include <fmt/format.h>

#include "sys/resolve.hpp"

namespace reach::tools {

Outbound parse_outbound(const std::string& interface) {
  Outbound o;
  if (auto src = IpAddr::parse(interface)) o.source = src;
  else o.device = interface;
  return o;
}

Result<IpAddr> resolve_target(const std::string& target, std::optional<Family> family, const Outbound& out) {
  auto addrs = sys::resolve(target, family, out.device);
  if (!addrs) return fail("", "", 0, "cannot resolve " + target + ": " + addrs.error().detail);
  const IpAddr& a = addrs->front();
  if (out.source && out.source->family() != a.family())
    return fail("", "", 0,
                fmt::format("source address {} and target {} are of different families", out.source->to_string(),
                            a.to_string()));
  return a;
}

}  // namespace reach::tools
