// The OPT_ID -> probe map of io::ProbeSocket (io/tx_ids.hpp).
#include <gtest/gtest.h>

#include "io/tx_ids.hpp"

namespace reach::io {
namespace {

TEST(TxStampMap, EachIdFindsItsProbeOnce) {
  TxStampMap m;
  m.remember(0, 100);
  m.remember(1, 101);
  EXPECT_EQ(m.take(1), 101u);
  EXPECT_EQ(m.take(1), std::nullopt);  // a duplicate stamp finds nothing
  EXPECT_EQ(m.take(0), 100u);
  EXPECT_EQ(m.take(7), std::nullopt);
}

// Under load stamps lag behind sends. The map used to be cleared wholesale at 4097 entries,
// losing the stamp of every probe in flight; now only ids a full window old are let go.
TEST(TxStampMap, UnderLoadOnlyTheOldestAreLetGo) {
  TxStampMap m;
  constexpr std::uint32_t kSends = 3 * TxStampMap::kWindow + 17;
  for (std::uint32_t id = 0; id < kSends; ++id) m.remember(id, 1000 + id);
  EXPECT_EQ(m.size(), TxStampMap::kWindow);
  for (std::uint32_t id = kSends - TxStampMap::kWindow; id < kSends; ++id) ASSERT_EQ(m.take(id), 1000 + id) << id;
  EXPECT_EQ(m.take(kSends - TxStampMap::kWindow - 1), std::nullopt);
}

TEST(TxStampMap, StampsDeliveredInTimeKeepTheMapSmall) {
  TxStampMap m;
  for (std::uint32_t id = 0; id < 100000; ++id) {
    m.remember(id, id);
    if (id >= 3) {
      ASSERT_EQ(m.take(id - 3), id - 3);
    }
  }
  EXPECT_EQ(m.size(), 3u);
}

TEST(TxStampMap, IdsWrapAround) {
  TxStampMap m;
  std::uint32_t id = 0xffffffffu - 10;
  for (int i = 0; i < 5000; ++i) m.remember(id + static_cast<std::uint32_t>(i), static_cast<std::uint64_t>(i));
  EXPECT_EQ(m.size(), TxStampMap::kWindow);
  EXPECT_EQ(m.take(id + 4999u), 4999u);
  EXPECT_EQ(m.take(id + 5000u - TxStampMap::kWindow), 5000u - TxStampMap::kWindow);
}

}  // namespace
}  // namespace reach::io
