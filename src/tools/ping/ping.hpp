#pragma once
// `reach ping`: options in, engine and sockets wired, results out through a writer.
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "format/ping_writer.hpp"
#include "io/probe_socket.hpp"
#include "model/ping.hpp"

namespace reach::tools {

struct PingOptions {
  model::Method method = model::Method::icmp;
  std::vector<std::string> targets;
  std::optional<std::int64_t> count;  // -c; none: until the deadline or Ctrl-C
  double interval = 1.0;             // -i, seconds
  double wait = 2.0;                 // -W, seconds
  std::optional<double> deadline;    // -w, seconds
  std::optional<std::int64_t> size;  // -s
  std::optional<int> ttl;            // -t; none: the kernel's default
  std::string interface;             // -I: name or source address
  std::optional<Family> family;      // -4 / -6
  std::optional<int> port;           // -p
  bool quiet = false, numeric = false, timestamps = false, report_timeouts = false, json = false;
  bool broadcast = false;             // -b: IPv4 targets may be broadcast addresses
  // reach check opens the raw sockets of all its ping runs up front, drops every capability,
  // and lends them to each run from here (taken by kind and family, given back at the end).
  std::vector<std::unique_ptr<io::ProbeSocket>>* raw_pool = nullptr;
};

// Runs the whole ping and returns the exit code: 0 every target answered, 1 some did not,
// 2 an error (bad option, unresolvable host, no usable socket).
int run_ping(const PingOptions& opts, std::ostream& out, std::ostream& err);
// The same, with every result handed to `writer` instead (reach check's icmp and syn kinds).
int run_ping(const PingOptions& opts, format::PingWriter& writer, std::ostream& err);

}  // namespace reach::tools
