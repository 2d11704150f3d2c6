// Drives io::NftSets for tests/integration/test_nft_sets.py (run inside a lab namespace):
//   nft_sets_tool [--table T] [--set-size N] [--allow P]... ensure | installed | list | uninstall
//   nft_sets_tool ... add TIMEOUT_MS PREFIX...        bans the prefixes in one transaction
//   nft_sets_tool ... add-gen TIMEOUT_MS N            N generated /64s of 2001:db8::/32 at once
//   nft_sets_tool ... remove PREFIX...
// Prints one JSON object; exit 0 on success, 1 on an NftSets error, 2 on bad usage.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "io/nft_sets.hpp"

using namespace reach;

namespace {

int usage() {
  std::fprintf(stderr, "usage: nft_sets_tool [--table T] [--allow P]... ensure|installed|list|uninstall|add|add-gen|remove ...\n");
  return 2;
}

int failed(const Error& e) {
  std::printf("{\"error\":\"%s\"}\n", e.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  io::NftLayout layout;
  std::vector<IpPrefix> allow;
  int i = 1;
  for (; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--table") {
      layout.table = argv[i + 1];
    } else if (a == "--set-size") {
      layout.set_size = static_cast<std::size_t>(std::atol(argv[i + 1]));
    } else if (a == "--allow") {
      auto p = parse_prefix(argv[i + 1]);
      if (!p) return usage();
      allow.push_back(*p);
    } else {
      break;
    }
  }
  if (i >= argc) return usage();
  const std::string cmd = argv[i++];
  auto sets = io::NftSets::open(layout);
  if (!sets) return failed(sets.error());
  sets->set_allow_list(allow);

  if (cmd == "ensure") {
    auto r = sets->ensure();
    if (!r) return failed(r.error());
    std::printf("{\"ok\":true}\n");
  } else if (cmd == "installed") {
    auto r = sets->installed();
    if (!r) return failed(r.error());
    std::printf("{\"installed\":%s}\n", *r ? "true" : "false");
  } else if (cmd == "uninstall") {
    auto r = sets->uninstall();
    if (!r) return failed(r.error());
    std::printf("{\"ok\":true}\n");
  } else if (cmd == "list") {
    auto r = sets->list();
    if (!r) return failed(r.error());
    std::printf("{\"elements\":[");
    for (std::size_t k = 0; k < r->size(); ++k)
      std::printf("%s{\"prefix\":\"%s\",\"timeout_s\":%lld,\"expires_s\":%lld}", k ? "," : "",
                  (*r)[k].prefix.to_string().c_str(), static_cast<long long>((*r)[k].timeout / kNsPerSec),
                  static_cast<long long>((*r)[k].expires / kNsPerSec));
    std::printf("]}\n");
  } else if (cmd == "add" || cmd == "add-gen" || cmd == "remove") {
    std::vector<io::Ban> bans;
    std::vector<IpPrefix> prefixes;
    TimeNs timeout = 0;
    if (cmd != "remove") {
      if (i >= argc) return usage();
      timeout = std::atoll(argv[i++]) * kNsPerMs;
    }
    if (cmd == "add-gen") {
      if (i >= argc) return usage();
      const long n = std::atol(argv[i]);
      if (n <= 0 || n > 1000000) return usage();
      for (long k = 0; k < n; ++k) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "2001:db8:%lx:%lx::/64", (k >> 16) & 0xffff, k & 0xffff);
        bans.push_back({*parse_prefix(buf), timeout});
      }
    } else {
      for (; i < argc; ++i) {
        auto p = parse_prefix(argv[i]);
        if (!p) return usage();
        prefixes.push_back(*p);
        bans.push_back({*p, timeout});
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    if (cmd == "remove") {
      auto r = sets->remove(prefixes);
      if (!r) return failed(r.error());
      std::printf("{\"removed\":%zu}\n", *r);
      return 0;
    }
    auto r = sets->add(bans);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r) return failed(r.error());
    std::printf("{\"added\":%zu,\"allowed\":%zu,\"unsupported\":%zu,\"seconds\":%.6f}\n", r->added, r->allowed,
                r->unsupported, secs);
  } else {
    return usage();
  }
  return 0;
}
