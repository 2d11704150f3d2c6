// The libraries the daemons load with dlopen only while they use them: libnftables
// (io::NftLibrary, NftCtx) is loaded by a context's first command and leaves the address space
// (with libnftnl and libmnl) when the last reference is dropped; libsystemd (io/journal_api) is
// loaded when the first journal source opens.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "io/journal_api.hpp"
#include "io/nft_api.hpp"
#include "io/nft_ctx.hpp"
#include "sys/caps.hpp"

namespace reach::io {
namespace {

bool mapped(const std::string& lib) {
  std::ifstream in("/proc/self/maps");
  std::stringstream s;
  s << in.rdbuf();
  return s.str().find(lib) != std::string::npos;
}

TEST(NftLibrary, MappedWhileAReferenceIsHeld) {
  ASSERT_FALSE(mapped("/libnftables.so"));
  {
    auto a = NftLibrary::load();
    ASSERT_TRUE(a) << a.error().message();
    auto b = NftLibrary::load();
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_TRUE(mapped("/libnftables.so"));
    EXPECT_TRUE(mapped("/libnftnl.so"));
    nft_ctx* n = a->api().ctx_new(NFT_CTX_DEFAULT);
    ASSERT_NE(n, nullptr);
    a->api().ctx_free(n);
    { NftLibrary moved = std::move(*a); }  // one of the two references dropped
    EXPECT_TRUE(mapped("/libnftables.so"));
  }
  EXPECT_FALSE(mapped("/libnftables.so"));
  EXPECT_FALSE(mapped("/libnftnl.so"));
  EXPECT_FALSE(mapped("/libmnl.so"));
}

TEST(NftCtx, LoadsAtTheFirstRunAndUnloadsAtRelease) {
  auto c = NftCtx::open();
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->loaded());
  EXPECT_FALSE(mapped("/libnftables.so"));
  if (!sys::has_capability(CAP_NET_ADMIN)) {
    auto r = c->run("nftables test", "inet reach", "list tables\n");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().err, EPERM);
    EXPECT_FALSE(c->loaded());  // refused before anything is loaded
    GTEST_SKIP() << "needs CAP_NET_ADMIN for the rest";
  }
  for (int round = 0; round < 2; ++round) {
    // A syntax error: refused by nft's parser, before any netlink request.
    auto r = c->run("nftables test", "inet reach", "this is not nft\n");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().op, "nftables test");
    EXPECT_NE(r.error().message().find("syntax error"), std::string::npos) << r.error().message();
    EXPECT_TRUE(c->loaded());
    EXPECT_TRUE(mapped("/libnftables.so"));
    c->release();
    EXPECT_FALSE(c->loaded());
    EXPECT_FALSE(mapped("/libnftables.so"));
  }
}

TEST(JournalApi, LoadedOnceAtTheFirstCall) {
  EXPECT_FALSE(mapped("/libsystemd.so"));
  auto api = detail::load_journal_api();
  ASSERT_TRUE(api) << api.error().message();
  EXPECT_EQ(*api, *detail::load_journal_api());
  EXPECT_TRUE(mapped("/libsystemd.so"));
  // A directory with no journal files opens (and reads nothing).
  char dir[] = "/tmp/reach-journal-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  sd_journal* j = nullptr;
  EXPECT_GE((*api)->open_directory(&j, dir, 0), 0);
  if (j) {
    EXPECT_EQ((*api)->next(j), 0);
    (*api)->close(j);
  }
  ::rmdir(dir);
}

}  // namespace
}  // namespace reach::io
