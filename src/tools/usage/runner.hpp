#pragma once
// The counting loop of `reach usage --daemon` (and of `reach watch` when its file has a
// `usage:` section), on the caller's Reactor: every `poll` it reads the sources, turns raw
// counters into bytes (engine::advance), commits states and bytes together (UsageStore::commit),
// and checks each plan's thresholds, enqueueing notifications in watch's outbox.
// docs/USAGE.md "Counting" and "Alerts".
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "config/usage_config.hpp"
#include "engine/usage_counter.hpp"
#include "engine/usage_cycle.hpp"
#include "engine/usage_plan.hpp"
#include "io/nft_usage_block.hpp"
#include "io/reactor.hpp"
#include "io/worker.hpp"
#include "store/store.hpp"
#include "store/usage_store.hpp"
#include "sys/fd.hpp"
#include "sys/link_stats.hpp"
#include "tools/usage/sources.hpp"
#include "tools/zone_rules.hpp"

namespace reach::tools::usage {

// Unix ns now: CLOCK_REALTIME plus REACH_USAGE_TEST_TIME_OFFSET seconds when that variable is
// set. FOR TESTS ONLY (lab tests move a daemon across a billing-cycle boundary with it); the one
// wall clock of `reach usage`, daemon and report alike.
TimeNs wall_now();
struct UsageClock final : Clock {
  TimeNs now() const override;  // wall_now()
};

struct RunnerHooks {
  std::function<void(const std::string& line)> log;    // what an operator wants to see
  std::function<void(const std::string& line)> error;  // a problem (the loop goes on)
  std::function<void()> queued;                        // notifications were enqueued
};

// What /metrics and the report show of one plan right now.
struct PlanNow {
  std::string name;
  engine::PlanStatus status;
  std::uint64_t rx = 0, tx = 0;   // this cycle
};

// How long on_cap.exec may run before its process group is killed.
inline constexpr TimeNs kOnCapTimeout = 60 * kNsPerSec;

// The interface names on_cap.block puts in the set: those the plan names under interfaces:.
std::vector<std::string> block_names(const config::UsagePlan& p);

class Runner {
 public:
  // `outbox` may be null (no notifiers). Reads the saved counter and threshold states.
  static Result<std::unique_ptr<Runner>> create(io::Reactor& reactor, config::UsageConfig cfg,
                                                store::UsageStore& store, store::Store* outbox,
                                                RunnerHooks hooks);
  ~Runner();
  // Polls now and then every cfg.poll.
  void start();
  // One last poll (SIGTERM: a reboot follows), then the WAL is checkpointed.
  void finish();
  std::vector<PlanNow> plans_now() const;
  const config::UsageConfig& config() const { return cfg_; }

 private:
  struct Source {
    config::UsageSource cfg;
    engine::CounterState rx, tx;
    int followed = 0;             // ifindex of the link counted (interface sources)
    std::string name;             // display name last written
    std::string problem;          // why it is not counted now, reported once per change
    std::unique_ptr<SnmpSampler> snmp;  // kind snmp: its session (used on the worker thread)
    bool in_flight = false;       // snmp/mrtg: a read is running on the worker
  };
  struct Plan {
    config::UsagePlan cfg;
    std::unique_ptr<SystemZone> zone;
    engine::CycleBounds cycle;    // current, from the last poll
    std::uint64_t rx = 0, tx = 0; // bytes of the current cycle
    engine::ThresholdState thresholds;
  };
  Runner(io::Reactor& reactor, config::UsageConfig cfg, store::UsageStore& store, store::Store* outbox,
         RunnerHooks hooks);
  Result<void> load();
  void poll();
  void count_interfaces(TimeNs wall, store::UsageUpdate& update);
  // The last counters of links deleted since the last call (LinkMonitor), counted for the
  // sources that counted them: what crossed a link between its last poll and its deletion.
  void count_deleted_links(store::UsageUpdate& update);
  void on_link_events();
  void start_remote(Source& s);
  void on_remote(const std::string& id, Result<SourceSample> sample);
  void count(Source& s, const SourceSample& sample, store::UsageUpdate& update);
  // Not countable now: logged once per change of reason, and written (with the poll's commit)
  // for the report to show.
  void unavailable(Source& s, const std::string& why, TimeNs wall, store::UsageUpdate& update);
  // Commits `update` (made from the states in `before`) and updates the plans; on failure the
  // states go back to `before`.
  void apply(const store::UsageUpdate& update,
             std::map<std::string, std::pair<engine::CounterState, engine::CounterState>>& before);
  bool refresh_cycle(Plan& p, std::int64_t now_s);  // true: reloaded from the store
  void check_thresholds(Plan& p, std::int64_t now_s);
  // The outbox items of one crossing, one per notifier of the plan.
  void notifications(const Plan& p, int percent, const engine::PlanStatus& st, TimeNs wall,
                     std::vector<store::Store::Notification>& items);
  // on_cap.exec on the worker thread (sys::run_command), the event in its environment; and
  // on_cap.block (block_plan).
  void run_on_cap(const Plan& p, const engine::PlanStatus& st);
  // Puts (block) or takes (!block) the plan's interfaces in or out of the nftables block set,
  // on this thread (one short netlink transaction).
  void block_plan(const Plan& p, bool block, std::int64_t cycle_end_s);

  io::Reactor& reactor_;
  config::UsageConfig cfg_;
  store::UsageStore& store_;
  store::Store* outbox_;
  RunnerHooks hooks_;
  std::map<std::string, Source> sources_;  // by UsageSource::id
  std::vector<Plan> plans_;
  std::string boot_id_;
  sys::Fd lock_;  // DB.lock, held while this runner counts into DB (one counting daemon per database)
  std::string link_problem_;
  std::optional<sys::LinkMonitor> monitor_;  // interface sources only
  bool store_failing_ = false;
  io::Reactor::TimerId timer_ = 0;
  std::optional<io::NftUsageBlock> nft_;  // opened at the first block
  std::unique_ptr<io::Worker> worker_;  // snmp/mrtg reads; destroyed (joined) before sources_
};

}  // namespace reach::tools::usage
