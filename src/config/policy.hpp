#pragma once
// Segmentation policy files (TOML): flows that must pass and flows that must not.
//
//   [[flow]]
//   name = "proxy to web"
//   from = "proxy"            # a network namespace name, or a source address; omitted: here
//   to = "198.18.2.2:80"      # host:port or [v6]:port
//   expect = "pass"           # or "block"
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "config/endpoint.hpp"

namespace reach::config {

struct Flow {
  std::string name;
  std::string from_netns;    // network namespace name (/run/netns/NAME), or empty
  std::string from_address;  // source address literal, or empty
  Endpoint to;
  bool must_pass = true;
  std::size_t line = 0;      // where the flow starts in the file
};

struct Policy {
  std::vector<Flow> flows;
  std::optional<double> timeout;  // seconds; none: the command line's -W
};

// `source` names the file in errors; syntax errors name the line and column.
Result<Policy> parse_policy(std::string_view text, const std::string& source);

}  // namespace reach::config
