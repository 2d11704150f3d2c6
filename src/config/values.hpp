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

// Prometheus durations: "1s", "500ms", "1m30s", "2y" — units y (365 d), w, d, h, m, s, ms, each
// at most once, largest first, integers only; "0" is zero. Returns nanoseconds. Errors name
// the text ("'1.5s' is not a duration like 1s, 500ms, 1m30s"); overflow past ~292 years is
// refused. Whether 0 is allowed is the caller's rule.
Result<std::int64_t> parse_duration(std::string_view text);
// The reverse, largest units first ("1m30s", "500ms", "0s"); for messages and --validate.
std::string format_duration(std::int64_t ns);

// Byte sizes: plain bytes ("1048576", "1048576B"), SI units kB|KB, MB, GB, TB, PB (10^3k) and
// IEC units KiB, MiB, GiB, TiB, PiB (2^10k), case-sensitive on the B; a decimal mantissa is
// allowed when the result is a whole number of bytes ("1.5GB" = 1500000000, "0.5B" refused).
// Refused: negative, empty, overflow of 64 bits.
Result<std::uint64_t> parse_byte_size(std::string_view text);

// RFC 3339 date-time ("2026-12-24T22:00:00Z", "2026-12-24T23:00:00+01:00", fraction allowed
// and dropped) as unix seconds. A time zone is required.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

// OpenSSL's printed certificate time ("Nov  2 05:40:05 2026 GMT", as curl's CERTINFO gives
// it) as unix seconds.
std::optional<std::int64_t> parse_cert_time(std::string_view text);

// traceroute's -w MAX[,HERE[,NEAR]] seconds (reach trace); nullopt when malformed.
struct Wait {
  double max = 5, here = 3, near = 10;
};
std::optional<Wait> parse_wait(const std::string& s);

}  // namespace reach::config
