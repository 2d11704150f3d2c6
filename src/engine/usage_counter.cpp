#include "engine/usage_counter.hpp"

namespace reach::engine {
namespace {

// Whether a 32-bit counter plausibly went from `last` past 2^32 to `value` at no more than
// `max_rate` over the elapsed time; sets `delta` to the wrapped difference.
bool plausible_wrap(const CounterState& s, const CounterReading& r, double max_rate, std::uint64_t& delta) {
  constexpr std::uint64_t kSpan = std::uint64_t{1} << 32;
  if (r.bits != 32 || s.last >= kSpan || r.value >= kSpan) return false;
  if (r.wall <= s.last_wall) return false;  // no time passed (or the clock stepped back)
  delta = kSpan - s.last + r.value;
  const double seconds = static_cast<double>(r.wall - s.last_wall) / static_cast<double>(kNsPerSec);
  return static_cast<double>(delta) <= max_rate * seconds;
}

}  // namespace

CounterStep advance(CounterState& state, const CounterReading& reading, double max_rate) {
  CounterStep step;
  if (!state.valid) {
    step.kind = StepKind::baseline;
  } else if (state.base != reading.base) {
    step = {reading.value, StepKind::new_base};
  } else if (state.bits != reading.bits) {
    step.kind = StepKind::baseline;
  } else if (reading.value >= state.last) {
    step = {reading.value - state.last, StepKind::normal};
  } else if (reading.restarted > state.last_wall) {
    step = {reading.value, StepKind::reset};
  } else if (std::uint64_t delta = 0; plausible_wrap(state, reading, max_rate, delta)) {
    step = {delta, StepKind::wrap};
  } else {
    step = {reading.value, StepKind::reset};
  }
  state.valid = true;
  state.base = reading.base;
  state.last = reading.value;
  state.last_wall = reading.wall;
  state.bits = reading.bits;
  return step;
}

const char* step_kind_name(StepKind kind) {
  switch (kind) {
    case StepKind::baseline: return "baseline";
    case StepKind::normal: return "normal";
    case StepKind::wrap: return "wrap";
    case StepKind::reset: return "reset";
    case StepKind::new_base: return "new_base";
  }
  return "?";
}

}  // namespace reach::engine
