#pragma once
// Small values of `reach check`'s command line and of what servers send back: HTTP status
// ranges, Nagios thresholds, certificate dates.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace reach::config {

// "200-399,404": inclusive ranges of HTTP status codes (100..599).
struct StatusSet {
  std::vector<std::pair<int, int>> ranges;
  bool contains(int status) const;
};
Result<StatusSet> parse_status_set(std::string_view text);

// Nagios -w/-c: "TIME[,FAILED]" — alert when a check takes more than TIME seconds, or when
// more than FAILED endpoints failed. Either part may be empty ("0.5", ",2", "0.5,0").
struct Threshold {
  std::optional<double> seconds;
  std::optional<unsigned> failed;
};
Result<Threshold> parse_threshold(std::string_view text);

// OpenSSL's printed certificate time ("Nov  2 05:40:05 2026 GMT", as curl's CERTINFO gives
// it) as unix seconds.
std::optional<std::int64_t> parse_cert_time(std::string_view text);

// traceroute's -w MAX[,HERE[,NEAR]] seconds (reach trace); nullopt when malformed.
struct Wait {
  double max = 5, here = 3, near = 10;
};
std::optional<Wait> parse_wait(const std::string& s);

}  // namespace reach::config
