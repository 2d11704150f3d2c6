#include "engine/watch_schedule.hpp"

#include <algorithm>

#include "engine/cookie.hpp"

namespace reach::engine {

void WatchScheduler::push(std::uint32_t id, const Entry& e) { heap_.push(Slot{e.next, id, e.generation}); }

void WatchScheduler::upsert(std::uint32_t id, TimeNs interval, std::uint64_t phase_seed, TimeNs now) {
  interval = std::max<TimeNs>(interval, 1);
  auto it = targets_.find(id);
  if (it != targets_.end()) {
    Entry& e = it->second;
    if (e.interval == interval) return;
    e.interval = interval;
    e.next = std::min(e.next, now + interval);
    e.generation = ++generation_;
    push(id, e);
    return;
  }
  Entry e;
  e.interval = interval;
  e.next = now + static_cast<TimeNs>(mix64(phase_seed) % static_cast<std::uint64_t>(interval));
  e.generation = ++generation_;
  targets_.emplace(id, e);
  push(id, e);
}

void WatchScheduler::remove(std::uint32_t id) { targets_.erase(id); }

void WatchScheduler::drop_stale() {
  while (!heap_.empty()) {
    const Slot& s = heap_.top();
    auto it = targets_.find(s.id);
    if (it != targets_.end() && it->second.generation == s.generation) return;
    heap_.pop();
  }
}

std::vector<std::uint32_t> WatchScheduler::due(TimeNs now) {
  std::vector<std::uint32_t> out;
  for (drop_stale(); !heap_.empty() && heap_.top().at <= now; drop_stale()) {
    Slot s = heap_.top();
    heap_.pop();
    Entry& e = targets_.at(s.id);
    out.push_back(s.id);
    e.next += e.interval;
    if (e.next <= now) e.next += ((now - e.next) / e.interval + 1) * e.interval;  // skip, no burst
    e.generation = ++generation_;
    push(s.id, e);
  }
  return out;
}

std::optional<TimeNs> WatchScheduler::next_due() {
  drop_stale();
  if (heap_.empty()) return std::nullopt;
  return heap_.top().at;
}

}  // namespace reach::engine
