#pragma once
// What ping and trace share before their first probe: -I/-i (a source address or an interface)
// and the target resolved with its zone.
#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/ip_addr.hpp"

namespace reach::tools {

struct Outbound {
  std::optional<IpAddr> source;  // -I ADDRESS
  std::string device;            // -I INTERFACE
};
Outbound parse_outbound(const std::string& interface);

// The first address of `target` (sys::resolve, zone rule included) that fits `out`; errors are
// one line: "cannot resolve NAME: why", or the source and target of different families.
Result<IpAddr> resolve_target(const std::string& target, std::optional<Family> family, const Outbound& out);

}  // namespace reach::tools
