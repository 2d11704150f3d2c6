// The guard store: bans, read positions and requests round-trip; a flush's commit is all or
// nothing; bans that ran out are pruned; a read-only open of a missing file fails clearly, or
// with missing_ok (--list on a fresh install) is an empty state; and the same file serves
// watch's tables too (one `db:`).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "store/guard_store.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

namespace reach::store {
namespace {

using test::TempDir;

std::unique_ptr<GuardStore> open_at(const std::string& path, bool ro = false) {
  GuardStoreOptions o;
  o.path = path;
  o.read_only = ro;
  auto s = GuardStore::open(o);
  EXPECT_TRUE(s || ro) << (s ? "" : s.error().message());
  return s ? std::move(*s) : nullptr;
}

GuardBanRow row(const std::string& p, TimeNs until) { return {p, 1, kNsPerSec, until, 1, 0, "sshd", "failed-password", "5 failures"}; }

TEST(GuardStore, BansPositionsAndRequestsRoundTrip) {
  TempDir d;
  const std::string db = d.path + "/g.db";
  {
    auto s = open_at(db);
    GuardUpdate u;
    u.bans = {row("198.18.0.7/32", 100), row("2001:db8:1::/64", 200)};
    u.positions = {{"file:/var/log/auth.log", "1:2:3"}, {"journal:ssh.service", "s=abc;i=1"}};
    ASSERT_TRUE(s->commit(u));
    ASSERT_TRUE(s->request({0, "unban", "198.18.0.7/32", 0, 5}));
    ASSERT_TRUE(s->request({0, "ban", "198.18.0.8/32", kNsPerSec, 6}));
  }
  auto s = open_at(db);
  auto bans = s->bans();
  ASSERT_TRUE(bans);
  ASSERT_EQ(bans->size(), 2u);
  EXPECT_EQ((*bans)[0].prefix, "198.18.0.7/32");
  EXPECT_EQ((*bans)[1].until_wall, 200);
  EXPECT_EQ((*bans)[0].reason, "5 failures");
  auto pos = s->positions();
  ASSERT_TRUE(pos);
  EXPECT_EQ(pos->at("file:/var/log/auth.log"), "1:2:3");
  auto reqs = s->take_requests();
  ASSERT_TRUE(reqs);
  ASSERT_EQ(reqs->size(), 2u);
  EXPECT_EQ((*reqs)[0].action, "unban");
  EXPECT_EQ((*reqs)[1].duration, kNsPerSec);
  auto again = s->take_requests();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());  // taken once

  GuardUpdate u;
  u.removed = {"198.18.0.7/32"};
  u.bans = {row("198.18.0.9/32", 50)};
  ASSERT_TRUE(s->commit(u));
  auto p = s->prune(150);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, 1u);  // 198.18.0.9 ran out at 50; 2001:db8:1::/64 lasts until 200
  bans = s->bans();
  ASSERT_TRUE(bans);
  ASSERT_EQ(bans->size(), 1u);
  EXPECT_EQ((*bans)[0].prefix, "2001:db8:1::/64");
}

TEST(GuardStore, ReadOnlyOfAMissingFileIsAClearError) {
  TempDir d;
  auto s = GuardStore::open({d.path + "/none.db", kNsPerSec, true});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("none.db"), std::string::npos);
}

// A fresh install: no file yet, or a shared `db:` that watch wrote but guard never did. With
// missing_ok that is an empty state (--list: no bans), nothing is created, writes are refused.
TEST(GuardStore, MissingOkOpensAStateNoDaemonWroteAsEmpty) {
  TempDir d;
  Options wo;
  wo.path = d.path + "/watch.db";
  ASSERT_TRUE(Store::open(wo));
  for (const std::string& path : {d.path + "/none.db", d.path + "/no-such-dir/g.db", wo.path}) {
    GuardStoreOptions o;
    o.path = path;
    o.read_only = true;
    o.missing_ok = true;
    auto s = GuardStore::open(o);
    ASSERT_TRUE(s) << path << ": " << s.error().message();
    EXPECT_FALSE((*s)->exists()) << path;
    auto bans = (*s)->bans();
    ASSERT_TRUE(bans);
    EXPECT_TRUE(bans->empty());
    auto pos = (*s)->positions();
    ASSERT_TRUE(pos);
    EXPECT_TRUE(pos->empty());
    EXPECT_FALSE((*s)->commit({{row("198.18.0.7/32", 100)}, {}, {}}));
    EXPECT_FALSE((*s)->request({0, "unban", "198.18.0.7/32", 0, 5}));
  }
  EXPECT_FALSE(std::filesystem::exists(d.path + "/none.db"));
  // Once a daemon wrote it, the same open reads it.
  ASSERT_TRUE(open_at(d.path + "/g.db")->commit({{row("198.18.0.7/32", 100)}, {}, {}}));
  GuardStoreOptions o;
  o.path = d.path + "/g.db";
  o.read_only = o.missing_ok = true;
  auto s = GuardStore::open(o);
  ASSERT_TRUE(s);
  EXPECT_TRUE((*s)->exists());
  EXPECT_EQ((*s)->bans()->size(), 1u);
}

// A file that is not a SQLite database, or one whose pages are garbage, is an error naming the
// file (`guard --list` said "no active bans" for it); an empty file is a database nobody wrote.
TEST(GuardStore, ACorruptStateIsAnErrorNeverAnEmptyState) {
  TempDir d;
  const std::string garbage = d.path + "/garbage.db", header = d.path + "/header.db", empty = d.path + "/empty.db";
  {
    std::FILE* f = std::fopen(garbage.c_str(), "wb");
    for (int i = 0; i < 8192; ++i) std::fputc((i * 131 + 7) & 0xff, f);
    std::fclose(f);
    f = std::fopen(header.c_str(), "wb");
    std::fwrite("SQLite format 3\0", 1, 16, f);
    for (int i = 0; i < 4096; ++i) std::fputc((i * 29 + 3) & 0xff, f);
    std::fclose(f);
    std::fclose(std::fopen(empty.c_str(), "wb"));
  }
  for (const std::string& path : {garbage, header}) {
    for (bool missing_ok : {true, false}) {
      GuardStoreOptions o;
      o.path = path;
      o.read_only = true;
      o.missing_ok = missing_ok;
      auto s = GuardStore::open(o);
      ASSERT_FALSE(s) << path;
      EXPECT_NE(s.error().message().find(path), std::string::npos) << s.error().message();
      EXPECT_NE(s.error().message().find("not a database"), std::string::npos) << s.error().message();
    }
    EXPECT_FALSE(open_at(path, true));
  }
  GuardStoreOptions o;
  o.path = empty;
  o.read_only = o.missing_ok = true;
  auto s = GuardStore::open(o);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_FALSE((*s)->exists());
}

TEST(GuardStore, SharesTheFileWithWatchsStore) {
  TempDir d;
  const std::string db = d.path + "/shared.db";
  Options wo;
  wo.path = db;
  auto w = Store::open(wo);
  ASSERT_TRUE(w) << w.error().message();
  auto g = open_at(db);
  ASSERT_TRUE(g);
  GuardUpdate u;
  u.bans = {row("198.18.0.7/32", 100)};
  EXPECT_TRUE(g->commit(u));
}

}  // namespace
}  // namespace reach::store
