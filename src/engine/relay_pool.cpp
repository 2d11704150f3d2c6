#include "engine/relay_pool.hpp"

#include <algorithm>

namespace reach::engine {

RelayPool::RelayPool(std::size_t backends, PoolBalance balance, int fall, int rise)
    : b_(backends), balance_(balance), fall_(std::max(fall, 1)), rise_(std::max(rise, 1)) {}

std::optional<std::size_t> RelayPool::pick(const std::vector<bool>& tried, TimeNs now) {
  const auto fresh = pick_from(tried, now);
  // Every usable one failed lately: trying one again beats refusing the client.
  return fresh ? fresh : pick_from(tried, 0);
}

std::optional<std::size_t> RelayPool::pick_from(const std::vector<bool>& tried, TimeNs now) {
  const std::size_t n = b_.size();
  auto usable = [&](std::size_t i) {
    return b_[i].up && (i >= tried.size() || !tried[i]) && (now == 0 || b_[i].avoid_until <= now);
  };
  if (balance_ == PoolBalance::leastconn) {
    // Ties go round-robin, so equal backends share a burst of new connections.
    std::optional<std::size_t> best;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (next_ + k) % n;
      if (usable(i) && (!best || b_[i].active < b_[*best].active)) best = i;
    }
    if (best) next_ = (*best + 1) % n;
    return best;
  }
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (next_ + k) % n;
    if (usable(i)) {
      next_ = (i + 1) % n;
      return i;
    }
  }
  return std::nullopt;
}

std::optional<bool> RelayPool::checked(std::size_t i, bool ok, std::string reason) {
  Backend& b = b_[i];
  b.last_reason = std::move(reason);
  if (ok) {
    b.avoid_until = 0;
    b.fail_run = 0;
    ++b.ok_run;
    if (!b.up && b.ok_run >= rise_) return b.up = true;
  } else {
    b.ok_run = 0;
    ++b.fail_run;
    if (b.up && b.fail_run >= fall_) {
      b.up = false;
      return false;
    }
  }
  return std::nullopt;
}

std::size_t RelayPool::up_count() const {
  return static_cast<std::size_t>(std::count_if(b_.begin(), b_.end(), [](const Backend& b) { return b.up; }));
}

}  // namespace reach::engine
