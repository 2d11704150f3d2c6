// io::Worker: jobs run off the reactor thread, in order; their continuations run on it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "io/worker.hpp"

namespace reach::io {
namespace {

TEST(Worker, JobsRunElsewhereInOrderAndContinueOnTheLoop) {
  auto r = Reactor::create();
  ASSERT_TRUE(r);
  auto w = Worker::create(**r);
  ASSERT_TRUE(w) << w.error().message();
  const auto loop_thread = std::this_thread::get_id();
  std::vector<int> order;
  int ticks = 0;
  // The loop keeps turning while a job blocks: a timer fires during the slow job.
  (*r)->after(20 * kNsPerMs, [&] { ++ticks; });
  for (int i = 0; i < 3; ++i)
    (*w)->run([&, i]() -> Worker::Continuation {
      EXPECT_NE(std::this_thread::get_id(), loop_thread);
      if (i == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return [&, i] {
        EXPECT_EQ(std::this_thread::get_id(), loop_thread);
        EXPECT_EQ(ticks, 1);
        order.push_back(i);
        if (i == 2) (*r)->stop();
      };
    });
  (*r)->after(5 * kNsPerSec, [&] { (*r)->stop(); });  // bound
  ASSERT_TRUE((*r)->run());
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST(Worker, DestroyedWhileAJobRunsDropsItsContinuation) {
  auto r = Reactor::create();
  ASSERT_TRUE(r);
  auto w = Worker::create(**r);
  ASSERT_TRUE(w);
  bool continued = false;
  (*w)->run([&]() -> Worker::Continuation {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return [&] { continued = true; };
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  w->reset();  // joins after the job
  (*r)->after(50 * kNsPerMs, [&] { (*r)->stop(); });
  ASSERT_TRUE((*r)->run());
  EXPECT_FALSE(continued);
}

}  // namespace
}  // namespace reach::io
