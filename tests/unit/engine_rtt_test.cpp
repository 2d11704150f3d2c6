// The RTT check (engine/rtt.hpp): every pairing of stamps, table-driven. An RTT is never
// negative, a TX stamp outside its own send call is never used, and the origin is the send.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "engine/rtt.hpp"

namespace reach::engine {
namespace {

using model::StampDrop;
using model::StampSource;

constexpr TimeNs kUs = kNsPerUs;
constexpr TimeNs kMs = kNsPerMs;
constexpr std::optional<TimeNs> kNone = std::nullopt;

struct Case {
  std::string name;
  SendTimes send;
  RxTimes rx;
  TimeNs rtt;
  StampSource tx, rx_source;
  StampDrop tx_drop, rx_drop;
};

class RttCheck : public ::testing::TestWithParam<Case> {};

TEST_P(RttCheck, PairsStamps) {
  const Case& c = GetParam();
  PairedRtt p = pair_stamps(c.send, c.rx);
  EXPECT_EQ(p.rtt, c.rtt);
  EXPECT_GE(p.rtt, 0);
  EXPECT_EQ(p.tx_source, c.tx);
  EXPECT_EQ(p.rx_source, c.rx_source);
  EXPECT_EQ(p.tx_drop, c.tx_drop);
  EXPECT_EQ(p.rx_drop, c.rx_drop);
  EXPECT_EQ(p.dropped(), (c.tx_drop != StampDrop::none) + (c.rx_drop != StampDrop::none));
}

// Send call from 1000 us to 1010 us; times in microseconds.
const SendTimes kCall{1000 * kUs, 1010 * kUs, kNone};
SendTimes with_tx(TimeNs tx) { return {1000 * kUs, 1010 * kUs, tx}; }

INSTANTIATE_TEST_SUITE_P(
    Table, RttCheck,
    ::testing::Values(
        Case{"both_kernel", with_tx(1004 * kUs), {1500 * kUs, 1400 * kUs, kNone}, 396 * kUs, StampSource::kernel,
             StampSource::kernel, StampDrop::none, StampDrop::none},
        Case{"tx_at_call_edges_is_kept", with_tx(1010 * kUs), {1500 * kUs, 1400 * kUs, kNone}, 390 * kUs,
             StampSource::kernel, StampSource::kernel, StampDrop::none, StampDrop::none},
        Case{"no_stamps", kCall, {1500 * kUs, kNone, kNone}, 500 * kUs, StampSource::user, StampSource::user,
             StampDrop::none, StampDrop::none},
        Case{"user_tx_kernel_rx", kCall, {1500 * kUs, 1400 * kUs, kNone}, 400 * kUs, StampSource::user,
             StampSource::kernel, StampDrop::none, StampDrop::none},
        // Another probe's stamp (a shifted id): older than this send.
        Case{"tx_before_send", with_tx(900 * kUs), {1500 * kUs, 1400 * kUs, kNone}, 400 * kUs, StampSource::user,
             StampSource::kernel, StampDrop::tx_before_send, StampDrop::none},
        // Held 2 s for ARP: the user waited, so the RTT counts from the send.
        Case{"tx_held_by_neighbour_resolution", with_tx(2'001'000 * kUs), {2'002'000 * kUs, 2'001'063 * kUs, kNone},
             2'000'063 * kUs, StampSource::user, StampSource::kernel, StampDrop::tx_after_send, StampDrop::none},
        // A later probe's stamp, after the reply: would have made the RTT negative.
        Case{"tx_after_rx", with_tx(1600 * kUs), {1700 * kUs, 1400 * kUs, kNone}, 400 * kUs, StampSource::user,
             StampSource::kernel, StampDrop::tx_after_send, StampDrop::none},
        // An RX stamp before the probe left (a mis-converted stamp): the read time replaces it.
        Case{"rx_before_tx", with_tx(1005 * kUs), {1300 * kUs, 1001 * kUs, kNone}, 295 * kUs, StampSource::kernel,
             StampSource::user, StampDrop::none, StampDrop::rx_before_tx},
        Case{"rx_equal_tx_is_zero", with_tx(1005 * kUs), {1300 * kUs, 1005 * kUs, kNone}, 0, StampSource::kernel,
             StampSource::kernel, StampDrop::none, StampDrop::none},
        Case{"both_bad", with_tx(500 * kUs), {1300 * kUs, 900 * kUs, kNone}, 300 * kUs, StampSource::user,
             StampSource::user, StampDrop::tx_before_send, StampDrop::rx_before_tx},
        // A read time before the send cannot happen on one clock; the RTT still is not negative.
        Case{"clamped", kCall, {900 * kUs, kNone, kNone}, 0, StampSource::user, StampSource::user, StampDrop::none,
             StampDrop::none},
        Case{"tcp_info_rtt", kCall, {1500 * kUs, kNone, 300 * kUs}, 300 * kUs, StampSource::kernel,
             StampSource::kernel, StampDrop::none, StampDrop::none},
        Case{"tcp_info_rtt_longer_than_seen", kCall, {1500 * kUs, kNone, 2 * kMs}, 500 * kUs, StampSource::user,
             StampSource::user, StampDrop::none, StampDrop::kernel_rtt_out_of_range},
        Case{"tcp_info_rtt_negative", kCall, {1500 * kUs, kNone, -1}, 500 * kUs, StampSource::user,
             StampSource::user, StampDrop::none, StampDrop::kernel_rtt_out_of_range}),
    [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

struct OriginCase {
  std::string name;
  SendTimes send;
  TimeNs origin;
};

class Origin : public ::testing::TestWithParam<OriginCase> {};

TEST_P(Origin, IsWhereTheDeadlineCounts) { EXPECT_EQ(send_origin(GetParam().send), GetParam().origin); }

INSTANTIATE_TEST_SUITE_P(Table, Origin,
                         ::testing::Values(OriginCase{"no_stamp", kCall, 1000 * kUs},
                                           OriginCase{"stamp_in_call", with_tx(1003 * kUs), 1003 * kUs},
                                           OriginCase{"held_stamp", with_tx(3'000'000 * kUs), 1000 * kUs},
                                           OriginCase{"foreign_stamp", with_tx(10 * kUs), 1000 * kUs}),
                         [](const ::testing::TestParamInfo<OriginCase>& i) { return i.param.name; });

}  // namespace
}  // namespace reach::engine
