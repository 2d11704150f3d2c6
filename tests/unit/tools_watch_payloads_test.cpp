// The line a target's state change leaves on stderr (the journal): every up/down after the
// first verdict, a first verdict of down, nothing for the start's unknown -> up nor for alerts.
#include "tools/watch/payloads.hpp"

#include <gtest/gtest.h>

namespace reach::tools::watch {
namespace {

using model::TargetState;
using model::WatchEvent;

WatchEvent change(TargetState from, TargetState to, std::string reason = {}) {
  WatchEvent e;
  e.kind = WatchEvent::Kind::state_change;
  e.target = "web1";
  e.from = from;
  e.to = to;
  e.reason = std::move(reason);
  return e;
}

TEST(StateTrail, UpsAndDownsSayOneLineEach) {
  EXPECT_EQ(state_trail(change(TargetState::up, TargetState::down, "Connection refused")),
            "web1: up -> down (Connection refused)");
  EXPECT_EQ(state_trail(change(TargetState::down, TargetState::up, "Connection refused")), "web1: down -> up");
  EXPECT_EQ(state_trail(change(TargetState::unknown, TargetState::down, "timed out")), "web1: unknown -> down (timed out)");
}

TEST(StateTrail, TheStartsFirstUpAndOtherEventsSayNothing) {
  EXPECT_EQ(state_trail(change(TargetState::unknown, TargetState::up)), std::nullopt);
  WatchEvent firing = change(TargetState::up, TargetState::down, "x");
  firing.kind = WatchEvent::Kind::firing;
  EXPECT_EQ(state_trail(firing), std::nullopt);
}

}  // namespace
}  // namespace reach::tools::watch
