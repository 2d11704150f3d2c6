// tools::relay Flow: a direction copies first and splices only once it proves bulk, so a short
// exchange never creates a pipe; it stays bounded by its limit while the reader does not read;
// pipes go back to a bounded pool only when empty.
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "sys/fd.hpp"
#include "tools/relay/flow.hpp"
#include "tools/relay/pipe_pool.hpp"

namespace reach::tools::relay {
namespace {

struct Pair {
  sys::Fd a, b;
};
Pair socket_pair() {
  int sv[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  return {sys::Fd(sv[0]), sys::Fd(sv[1])};
}

std::string drain(int fd, std::size_t max) {
  std::string got;
  char buf[65536];
  while (got.size() < max) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

TEST(RelayFlow, BulkOnlyAfterEnoughBytes) {
  EXPECT_FALSE(Flow::bulk(0));
  EXPECT_FALSE(Flow::bulk(200));  // an HTTP request
  EXPECT_FALSE(Flow::bulk(Flow::kSpliceAfter - 1));
  EXPECT_TRUE(Flow::bulk(Flow::kSpliceAfter));
}

TEST(RelayFlow, ShortExchangeIsCopiedWithoutAPipe) {
  PipePool pool(4);
  Pair in = socket_pair(), out = socket_pair();
  Flow f;
  f.pending() = {'P', 'X'};  // a PROXY header waiting: leaves with the request
  f.open(65536, &pool);
  const std::string req = "GET / HTTP/1.0\r\n\r\n";
  ASSERT_EQ(::write(in.b.get(), req.data(), req.size()), static_cast<ssize_t>(req.size()));
  ::shutdown(in.b.get(), SHUT_WR);
  auto p = f.pump(in.a.get(), out.a.get(), /*to_eof=*/true);  // as on EPOLLRDHUP
  ASSERT_TRUE(p);
  EXPECT_EQ(p->in, req.size());
  EXPECT_EQ(p->out, req.size() + 2);
  EXPECT_TRUE(f.drained());
  EXPECT_FALSE(f.spliced());
  EXPECT_EQ(drain(out.b.get(), 1000), "PX" + req);
}

TEST(RelayFlow, BulkMovesToASpliceAndEveryByteArrivesInOrder) {
  PipePool pool(4);
  Pair in = socket_pair(), out = socket_pair();
  Flow f;
  f.open(65536, &pool);
  std::string sent, got;
  for (int i = 0; sent.size() < 1000000 && i < 100000; ++i) {
    if (sent.size() < 1000000) {
      std::string chunk(4096, static_cast<char>('a' + i % 26));
      const ssize_t n = ::write(in.b.get(), chunk.data(), chunk.size());
      if (n > 0) sent.append(chunk, 0, static_cast<std::size_t>(n));
    }
    ASSERT_TRUE(f.pump(in.a.get(), out.a.get()));
    EXPECT_LE(f.buffered(), 65536u);
    got += drain(out.b.get(), 1 << 20);
  }
  ::shutdown(in.b.get(), SHUT_WR);
  for (int i = 0; i < 1000 && !f.drained(); ++i) {
    ASSERT_TRUE(f.pump(in.a.get(), out.a.get()));
    got += drain(out.b.get(), 1 << 20);
  }
  EXPECT_TRUE(f.drained());
  EXPECT_TRUE(f.spliced());
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent);
}

TEST(RelayFlow, ASlowReaderStopsTheReadsAtTheLimit) {
  for (bool bulk : {false, true}) {
    PipePool pool(4);
    Pair in = socket_pair(), out = socket_pair();
    Flow f;
    f.open(65536, bulk ? &pool : nullptr);  // no pool: copy only
    std::string chunk(65536, 'x');
    for (int i = 0; i < 200; ++i) {
      (void)::write(in.b.get(), chunk.data(), chunk.size());
      ASSERT_TRUE(f.pump(in.a.get(), out.a.get()));
      EXPECT_LE(f.buffered(), 65536u);
    }
    EXPECT_FALSE(f.wants_read()) << bulk;
    EXPECT_TRUE(f.wants_write()) << bulk;
    EXPECT_EQ(f.spliced(), bulk);
  }
}

TEST(RelayFlow, APipeGoesBackToThePoolOnlyEmpty) {
  PipePool pool(1);
  Pair in = socket_pair(), out = socket_pair();
  {
    Flow f;
    f.open(65536, &pool);
    std::string chunk(65536, 'x');
    for (int i = 0; i < 50; ++i) {
      (void)::write(in.b.get(), chunk.data(), chunk.size());
      ASSERT_TRUE(f.pump(in.a.get(), out.a.get()));
    }
    ASSERT_TRUE(f.spliced());
  }  // the reader never read: bytes stuck in its pipe
  EXPECT_EQ(pool.idle(), 0u);
}

TEST(RelayPipePool, ReusesUpToItsBoundAndOnlyTheSameSize) {
  PipePool pool(2);
  auto a = pool.take(65536), b = pool.take(65536), c = pool.take(65536);
  ASSERT_TRUE(a && b && c);
  EXPECT_GE(a->cap, 4096u);
  const int b_fd = b->r.get();
  pool.give(std::move(*a), true);
  pool.give(std::move(*b), true);
  pool.give(std::move(*c), true);  // over the bound: closed
  EXPECT_EQ(pool.idle(), 2u);
  auto again = pool.take(65536);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->r.get(), b_fd);  // the same pipe, not a new one
  EXPECT_EQ(pool.idle(), 1u);
  pool.give(std::move(*again), false);  // bytes left in it: closed, not kept
  EXPECT_EQ(pool.idle(), 1u);
  auto other = pool.take(131072);  // another size: the idle one is dropped
  ASSERT_TRUE(other);
  EXPECT_EQ(other->asked, 131072);
  EXPECT_EQ(pool.idle(), 0u);
}

}  // namespace
}  // namespace reach::tools::relay
