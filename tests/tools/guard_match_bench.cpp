// Lines per second of guard's matcher (engine::GuardRules, the built-in sshd rule) and of the
// matcher plus the threshold engine (engine::GuardDecider), on a synthetic auth log as sshd writes
// it (a new sshd pid per line, a mix of failure forms and ~10 % other lines), at 1k, 10k and 100k
// distinct sources (20 % of them IPv6 /64s). For bench/ to reuse and for docs/BENCHMARKS.md.
// Usage: guard_match_bench [LINES per run, default 1000000] [SOURCES,... default 1000,10000,100000]
//        guard_match_bench --write FILE LINES SOURCES   (writes the log instead, for peer tools)
// Prints one JSON object per source count: CPU time of this process (user + system, so other
// processes on the CPU do not inflate it), best of 3 runs.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/guard_decide.hpp"
#include "engine/guard_rules.hpp"
#include "cpu_time.hpp"

using namespace reach;
using reach::tools_bench::cpu_now;

namespace {

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

std::string source_addr(std::uint32_t k) {
  char buf[64];
  if (k % 5 == 4)  // IPv6: one /64 per source, a changing interface identifier
    std::snprintf(buf, sizeof buf, "2001:db8:%x:%x::%x", (k >> 16) & 0xffff, k & 0xffff, (k * 7919u) & 0xffff);
  else  // 198.18.0.0/15 holds 131072 addresses
    std::snprintf(buf, sizeof buf, "198.%u.%u.%u", 18 + ((k >> 16) & 1), (k >> 8) & 0xff, k & 0xff);
  return buf;
}

std::vector<std::string> synthetic_log(std::size_t lines, std::uint32_t sources) {
  static const char* users[] = {"root", "admin", "oracle", "test", "ubuntu", "git", "postgres", "user"};
  std::vector<std::string> out;
  out.reserve(lines);
  std::uint64_t x = 0x2545f4914f6cdd1dULL;
  char buf[512];
  for (std::size_t i = 0; i < lines; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const auto k = static_cast<std::uint32_t>(x % sources);
    const std::string a = source_addr(k);
    const char* u = users[(x >> 20) % 8];
    const unsigned pid = 10000 + static_cast<unsigned>(i % 50000);
    const unsigned port = 1024 + static_cast<unsigned>((x >> 32) % 60000);
    const char* head = "2026-11-30T21:00:01.123456+00:00 host";
    switch ((x >> 40) % 10) {
      case 0: std::snprintf(buf, sizeof buf, "%s sshd[%u]: Invalid user %s from %s port %u", head, pid, u, a.c_str(), port); break;
      case 1:
      case 2:
        std::snprintf(buf, sizeof buf, "%s sshd[%u]: Failed password for invalid user %s from %s port %u ssh2", head, pid, u,
                      a.c_str(), port);
        break;
      case 3:
        std::snprintf(buf, sizeof buf, "%s sshd[%u]: Failed password for root from %s port %u ssh2", head, pid, a.c_str(), port);
        break;
      case 4:
        std::snprintf(buf, sizeof buf, "%s sshd[%u]: Connection closed by invalid user %s %s port %u [preauth]", head, pid, u,
                      a.c_str(), port);
        break;
      case 5:
        std::snprintf(buf, sizeof buf, "%s sshd[%u]: Disconnected from authenticating user root %s port %u [preauth]", head,
                      pid, a.c_str(), port);
        break;
      case 6:
        std::snprintf(buf, sizeof buf, "%s sshd[%u]: Received disconnect from %s port %u:11: Bye Bye [preauth]", head, pid,
                      a.c_str(), port);
        break;
      case 7:
        std::snprintf(buf, sizeof buf, "%s sshd[%u]: Connection closed by %s port %u [preauth]", head, pid, a.c_str(), port);
        break;
      case 8:
        std::snprintf(buf, sizeof buf,
                      "%s sshd[%u]: Unable to negotiate with %s port %u: no matching key exchange method found. Their "
                      "offer: diffie-hellman-group1-sha1 [preauth]",
                      head, pid, a.c_str(), port);
        break;
      default:
        std::snprintf(buf, sizeof buf, "%s sshd[%u]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
                      head, pid);
        break;
    }
    out.emplace_back(buf);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--write") {
    auto log = synthetic_log(std::strtoul(argv[3], nullptr, 10), static_cast<std::uint32_t>(std::strtoul(argv[4], nullptr, 10)));
    std::ofstream f(argv[2]);
    for (const auto& l : log) f << l << '\n';
    return f ? 0 : 2;
  }
  const std::size_t lines = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000;
  std::vector<std::uint32_t> counts{1000, 10000, 100000};
  if (argc > 2) {
    counts.clear();
    std::stringstream ss(argv[2]);
    for (std::string part; std::getline(ss, part, ',');) counts.push_back(static_cast<std::uint32_t>(std::stoul(part)));
  }
  const auto rules = engine::GuardRules::builtin();
  for (auto sources : counts) {
    const auto log = synthetic_log(lines, sources);
    TimeNs best_match = 0, best_both = 0;
    std::size_t matched = 0, bans = 0;
    engine::GuardDecider::Stats st;
    const long rss_before = rss_kib();
    long rss_growth = 0;
    for (int run = 0; run < 3; ++run) {
      TimeNs t0 = cpu_now();
      matched = 0;
      for (const auto& l : log) matched += rules.match(l).has_value();
      TimeNs t1 = cpu_now();
      if (run == 0) rss_growth = rss_kib() - rss_before;
      engine::GuardPolicy p;
      p.max_sources = 200000;
      p.allow.push_back({*parse_prefix("198.18.0.0/24"), "allow"});
      engine::GuardDecider d(p);
      bans = 0;
      TimeNs now = 0;
      for (const auto& l : log) {
        now += 100 * kNsPerUs;  // 10,000 lines/s of log time
        if (auto m = rules.match(l)) d.record(*m, now);
        if ((now % kNsPerSec) == 0) bans += d.take_bans().size(), d.expire(now, 4096);
      }
      bans += d.take_bans().size();
      TimeNs t2 = cpu_now();
      st = d.stats();
      if (run == 0 || t1 - t0 < best_match) best_match = t1 - t0;
      if (run == 0 || t2 - t1 < best_both) best_both = t2 - t1;
    }
    std::printf("{\"sources\": %u, \"lines\": %zu, \"matched\": %zu, \"match_lines_per_s\": %.0f, "
                "\"match_and_decide_lines_per_s\": %.0f, \"bans\": %zu, \"tracked_at_end\": %zu, \"table_bytes\": %zu, "
                "\"matcher_rss_growth_kib\": %ld}\n",
                sources, lines, matched, static_cast<double>(lines) * 1e9 / static_cast<double>(best_match),
                static_cast<double>(lines) * 1e9 / static_cast<double>(best_both), bans, st.sources, st.bytes, rss_growth);
  }
  return 0;
}
