// Reads one `reach usage` source once, as the daemon does each poll, and (with --state FILE)
// runs the counter engine over it with the state kept in FILE between runs. Prints one JSON
// object: the readings, their base, and each direction's step. For the lab tests of the
// sources (tests/integration/test_usage_sources.py); not installed.
//
//   usage_source_read [--state FILE] interface NAME [MAC]
//   usage_source_read [--state FILE] snmp HOST IF [--v3 USER AUTHPROTO AUTHPASS PRIVPROTO PRIVPASS]
//                     [--community C]            (IF: a number, or a name resolved by ifName)
//   usage_source_read [--state FILE] mrtg TIMEOUT_MS CMD [ARGS...]
//   usage_source_read --state FILE --polls N --interval-ms MS snmp ...
//                     (one SnmpSampler polled N times, as the daemon keeps it: one line per poll)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/usage_counter.hpp"
#include "sys/clock.hpp"
#include "sys/link_stats.hpp"
#include "tools/usage/sources.hpp"

using namespace reach;
using nlohmann::json;

namespace {

int usage() {
  std::fprintf(stderr, "usage: usage_source_read [--state FILE] interface|snmp|mrtg ...\n");
  return 2;
}

json reading_json(const engine::CounterReading& r) {
  return {{"value", r.value}, {"bits", r.bits}, {"base", r.base}, {"wall", r.wall}, {"restarted", r.restarted}};
}

engine::CounterState state_from(const json& j) {
  engine::CounterState s;
  if (!j.is_object()) return s;
  s.valid = j.at("valid").get<bool>();
  s.base = j.at("base").get<std::string>();
  s.last = j.at("last").get<std::uint64_t>();
  s.last_wall = j.at("last_wall").get<TimeNs>();
  s.bits = j.at("bits").get<int>();
  return s;
}
json state_json(const engine::CounterState& s) {
  return {{"valid", s.valid}, {"base", s.base}, {"last", s.last}, {"last_wall", s.last_wall}, {"bits", s.bits}};
}

// Prints the sample (or its error), running the engine over it when there is a state file.
int report(const Result<tools::usage::SourceSample>& sample, const std::string& state_file) {
  if (!sample) {
    std::printf("%s\n", json{{"error", sample.error().message()}}.dump().c_str());
    std::fflush(stdout);
    return 1;
  }
  json out = {{"rx", reading_json(sample->rx)},
              {"tx", reading_json(sample->tx)},
              {"max_rate", sample->max_rate},
              {"display", sample->display}};
  if (!state_file.empty()) {
    json st = json::object();
    if (std::ifstream f(state_file); f) {
      std::stringstream ss;
      ss << f.rdbuf();
      if (!ss.str().empty()) st = json::parse(ss.str());
    }
    for (const char* dir : {"rx", "tx"}) {
      engine::CounterState s = state_from(st.value(dir, json()));
      const auto& r = std::string(dir) == "rx" ? sample->rx : sample->tx;
      auto step = engine::advance(s, r, sample->max_rate);
      out[std::string(dir) + "_step"] = {{"kind", engine::step_kind_name(step.kind)}, {"bytes", step.bytes}};
      st[dir] = state_json(s);
    }
    std::ofstream(state_file) << st.dump();
  }
  std::printf("%s\n", out.dump().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string state_file;
  int polls = 1, interval_ms = 0;
  while (args.size() >= 2 && (args[0] == "--state" || args[0] == "--polls" || args[0] == "--interval-ms")) {
    if (args[0] == "--state") state_file = args[1];
    if (args[0] == "--polls") polls = std::clamp(std::stoi(args[1]), 1, 10000);
    if (args[0] == "--interval-ms") interval_ms = std::clamp(std::stoi(args[1]), 0, 60000);
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.empty()) return usage();
  sys::WallClock wall;
  Result<tools::usage::SourceSample> sample = fail("usage_source_read", "", 0, "no source");
  if (args[0] == "interface" && (args.size() == 2 || args.size() == 3)) {
    config::UsageSource src;
    src.interface = args[1];
    if (args.size() == 3) src.mac = args[2];
    src.id = "if:" + args[1];
    auto links = sys::read_link_stats();
    auto boot = sys::boot_id();
    if (!links || !boot) {
      std::fprintf(stderr, "%s\n", (!links ? links.error() : boot.error()).message().c_str());
      return 1;
    }
    sample = tools::usage::interface_sample(src, *links, *boot, wall.now());
  } else if (args[0] == "snmp" && args.size() >= 3) {
    config::SnmpSource s;
    s.host = args[1];
    if (args[2].find_first_not_of("0123456789") == std::string::npos) {
      s.if_index = std::stoi(args[2]);
    } else {
      s.if_name = args[2];
    }
    for (std::size_t i = 3; i < args.size(); ++i) {
      if (args[i] == "--v3" && i + 5 < args.size()) {
        s.version = 3;
        s.user = args[i + 1];
        s.auth_protocol = args[i + 2];
        s.auth_password = args[i + 3];
        s.priv_protocol = args[i + 4];
        s.priv_password = args[i + 5];
        i += 5;
      } else if (args[i] == "--community" && i + 1 < args.size()) {
        s.community = args[++i];
      } else {
        return usage();
      }
    }
    tools::usage::SnmpSampler sampler(s);
    for (int i = 1; i < polls; ++i) {
      (void)report(sampler.sample(wall), state_file);
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
    sample = sampler.sample(wall);
  } else if (args[0] == "mrtg" && args.size() >= 3) {
    config::UsageSource src;
    src.kind = config::UsageSource::Kind::mrtg;
    src.mrtg_argv.assign(args.begin() + 2, args.end());
    src.id = "mrtg:" + args[2];
    sample = tools::usage::mrtg_sample(src, std::stoll(args[1]) * kNsPerMs, wall);
  } else {
    return usage();
  }
  return report(sample, state_file);
}
