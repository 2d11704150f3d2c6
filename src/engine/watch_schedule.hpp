#pragma once
// When each watched target's next round is due. Runs forever: targets are added, changed and
// removed at any time; no end-of-run state. Pure: time is passed in.
#include <cstdint>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "base/time.hpp"

namespace reach::engine {

class WatchScheduler {
 public:
  // Adds target `id` (first round at now + a phase derived from `phase_seed`, so ten thousand
  // targets with one interval spread over it instead of firing at once), or changes its
  // interval: an unchanged interval keeps the target's rhythm (a config reload causes no gap
  // and no extra round); a new one takes effect from the next round, never later than
  // now + interval. `interval` > 0 ns.
  void upsert(std::uint32_t id, TimeNs interval, std::uint64_t phase_seed, TimeNs now);
  void remove(std::uint32_t id);
  bool contains(std::uint32_t id) const { return targets_.count(id) != 0; }
  std::size_t size() const { return targets_.size(); }

  // Targets whose round is due at `now`, earliest first. Each is rescheduled one interval
  // later; a target more than one interval behind (the loop stalled) skips the missed rounds
  // rather than bursting them.
  std::vector<std::uint32_t> due(TimeNs now);
  // The earliest due time, nullopt with no targets.
  std::optional<TimeNs> next_due();

 private:
  struct Entry {
    TimeNs interval = 0;
    TimeNs next = 0;
    std::uint64_t generation = 0;
  };
  struct Slot {
    TimeNs at;
    std::uint32_t id;
    std::uint64_t generation;
    bool operator>(const Slot& o) const { return at != o.at ? at > o.at : id > o.id; }
  };
  void push(std::uint32_t id, const Entry& e);
  void drop_stale();

  std::unordered_map<std::uint32_t, Entry> targets_;
  std::priority_queue<Slot, std::vector<Slot>, std::greater<Slot>> heap_;
  std::uint64_t generation_ = 0;
};

}  // namespace reach::engine
