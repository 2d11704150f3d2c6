#pragma once
// `reach scan`: TCP port scan (raw SYN, or connect()) of named targets, results through a writer.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "tools/geo_option.hpp"

namespace reach::tools {

struct ScanOptions {
  std::vector<std::string> targets;
  std::vector<std::string> input_files;  // -iL
  std::vector<std::string> exclude;      // --exclude (comma lists allowed)
  std::vector<std::string> exclude_files;
  std::optional<std::string> ports;      // -p; none: nmap's top 100
  double rate = 100000;                  // --rate, probes per second
  std::optional<int> retries;            // --retries; default 3 (SYN), 1 (connect)
  std::optional<double> wait;            // --wait seconds; default adaptive, at most 1 s
  std::optional<std::uint64_t> seed;     // --seed
  double timeout = 1.0;                  // --connect: seconds per connect attempt
  int concurrency = 1024;                // --connect: connects in flight
  std::optional<Family> family;          // -4 / -6 (names only)
  bool connect = false, yes = false, json = false, grepable = false, progress = true;
  bool banners = false;                  // --banners: read what each open port says (--timeout each)
  GeoOptions geo;                        // --geo, --geo-db: country and AS of each host
};

// Runs the scan; exit code 0 when some address answered, 1 when none did, 2 on an error, 130
// when interrupted (after printing the partial results).
int run_scan(const ScanOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace reach::tools
