#pragma once
// The snmp probe kind of `reach watch`: one GET of the target's OIDs through io::SnmpSession on a
// helper thread (io::Worker: net-snmp's requests block), judged on the reactor's thread by
// engine::judge_snmp, which keeps each counter's last sample for its rate. A bounded pool of
// helpers, a GET going to an idle one: a silent agent holds one helper for its timeout x tries,
// not every other target's round (docs/WATCH.md, "Probes").
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "config/watch_config.hpp"
#include "config/watch_snmp.hpp"
#include "engine/watch_snmp.hpp"
#include "io/reactor.hpp"
#include "io/worker.hpp"
#include "model/watch.hpp"

namespace reach::tools::watch {

class SnmpProber {
 public:
  static constexpr std::size_t kMaxWorkers = 8;
  using Done = std::function<void(model::RoundResult)>;
  explicit SnmpProber(io::Reactor& reactor) : reactor_(reactor) {}
  // `target`: the session (host, timeout, credentials) and the OIDs, all numeric already.
  void run(std::uint32_t id, const config::SnmpTarget& target, model::RoundResult r, TimeNs start, Done done);
  void cancel(std::uint32_t id);  // its callback is not called; its rates start over

 private:
  // An idle helper, started on first need; the least busy one once kMaxWorkers are all busy.
  io::Worker* pick(std::size_t& slot, std::string& error);

  io::Reactor& reactor_;
  std::vector<std::unique_ptr<io::Worker>> workers_;
  std::vector<int> busy_;  // per helper: GETs given to it and not finished
  std::uint32_t next_job_ = 1;
  std::unordered_map<std::uint32_t, std::uint32_t> jobs_;  // job -> target
  std::unordered_map<std::uint32_t, std::vector<std::optional<engine::SnmpSample>>> last_;  // by target
};

// What the prober needs from a target: its `snmp:` with the target's host (and port) and
// timeout, every OID numeric (MIB names resolved by io::snmp_resolve_name). Returns the first
// problem ("" when none): a MIB name that does not resolve.
std::string snmp_spec(const config::WatchTarget& t, config::SnmpTarget& out);
// For --validate and every (re)load: "file:LINE: targets.NAME.oids: ..." per MIB name that does
// not resolve.
std::vector<std::string> snmp_config_errors(const config::WatchConfig& cfg);

// The reason a whole GET failed, as the round shows it: a timeout says how long it waited and,
// for v2c, that agents drop a wrong community without an answer; net-snmp's v3 reports
// (authentication failure, unknown user, decryption error) and the agent's error-status as they
// come. Pure.
std::string snmp_failure_reason(const Error& e, int version, TimeNs timeout);

}  // namespace reach::tools::watch
