// The ancillary data decoders of sys/socket.cpp, fed crafted control messages as the kernel
// writes them (and as it never would: lengths that run past the buffer).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>

#include <cstring>
#include <vector>

#include "sys/socket.hpp"

namespace reach::sys {
namespace {

// A control buffer built one cmsg at a time.
class Control {
 public:
  Control& add(int level, int type, const void* data, std::size_t len) {
    std::size_t at = buf_.size();
    buf_.resize(at + CMSG_SPACE(len));
    cmsghdr h{};
    h.cmsg_level = level;
    h.cmsg_type = type;
    h.cmsg_len = CMSG_LEN(len);
    std::memcpy(buf_.data() + at, &h, sizeof h);
    std::memcpy(buf_.data() + at + CMSG_LEN(0), data, len);
    return *this;
  }
  msghdr msg() {
    msghdr m{};
    m.msg_control = buf_.data();
    m.msg_controllen = buf_.size();
    return m;
  }
  std::vector<unsigned char>& bytes() { return buf_; }

 private:
  std::vector<unsigned char> buf_;  // operator new aligns it for cmsghdr
};

scm_timestamping stamp(long sec, long nsec) {
  scm_timestamping ts{};
  ts.ts[0].tv_sec = sec;
  ts.ts[0].tv_nsec = nsec;
  return ts;
}

TEST(DecodeReceive, SoftwareStampAndTtl) {
  Control c;
  auto ts = stamp(1700000000, 123456789);
  int ttl = 61;
  c.add(SOL_SOCKET, SCM_TIMESTAMPING, &ts, sizeof ts).add(IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
  msghdr m = c.msg();
  Received r;
  decode_receive_cmsgs(m, r);
  ASSERT_TRUE(r.kernel_rx);
  EXPECT_EQ(*r.kernel_rx, 1700000000LL * kNsPerSec + 123456789);  // realtime, moved later
  EXPECT_EQ(r.ttl, 61);
}

TEST(DecodeReceive, ZeroStampIsNoStampAndHopLimitCounts) {
  Control c;
  auto ts = stamp(0, 0);
  int hops = 255;
  c.add(SOL_SOCKET, SCM_TIMESTAMPING, &ts, sizeof ts).add(IPPROTO_IPV6, IPV6_HOPLIMIT, &hops, sizeof hops);
  msghdr m = c.msg();
  Received r;
  decode_receive_cmsgs(m, r);
  EXPECT_FALSE(r.kernel_rx);
  EXPECT_EQ(r.ttl, 255);
}

TEST(DecodeReceive, LengthsThatLieAreIgnored) {
  // A stamp cmsg too short for scm_timestamping, then a TTL whose cmsg_len runs past the buffer.
  Control c;
  int v = 7;
  c.add(SOL_SOCKET, SCM_TIMESTAMPING, &v, sizeof v).add(IPPROTO_IP, IP_TTL, &v, sizeof v);
  auto& b = c.bytes();
  cmsghdr h{};
  std::size_t second = CMSG_SPACE(sizeof v);
  std::memcpy(&h, b.data() + second, sizeof h);
  h.cmsg_len = 4096;
  std::memcpy(b.data() + second, &h, sizeof h);
  msghdr m = c.msg();
  Received r;
  decode_receive_cmsgs(m, r);
  EXPECT_FALSE(r.kernel_rx);
  EXPECT_EQ(r.ttl, -1);
}

TEST(DecodeError, TxStampCarriesItsOptId) {
  Control c;
  sock_extended_err ee{};
  ee.ee_origin = SO_EE_ORIGIN_TIMESTAMPING;
  ee.ee_errno = ENOMSG;
  ee.ee_data = 4242;
  auto ts = stamp(5, 6);
  c.add(IPPROTO_IP, IP_RECVERR, &ee, sizeof ee).add(SOL_SOCKET, SCM_TIMESTAMPING, &ts, sizeof ts);
  msghdr m = c.msg();
  ErrQueueEntry e;
  decode_error_cmsgs(m, e);
  EXPECT_EQ(e.kind, ErrQueueEntry::Kind::tx_timestamp);
  EXPECT_EQ(e.tx_id, 4242u);
  ASSERT_TRUE(e.stamp);
  EXPECT_EQ(*e.stamp, 5 * kNsPerSec + 6);
}

// One IP_RECVERR / IPV6_RECVERR cmsg: the extended error, then the offender's address.
template <class Sockaddr>
ErrQueueEntry icmp_error(int level, int type, std::uint8_t origin, int err, std::uint8_t icmp_type,
                         std::uint8_t icmp_code, const Sockaddr& from) {
  struct {
    sock_extended_err ee;
    Sockaddr from;
  } d{};
  d.ee.ee_origin = origin;
  d.ee.ee_errno = static_cast<std::uint32_t>(err);
  d.ee.ee_type = icmp_type;
  d.ee.ee_code = icmp_code;
  d.from = from;
  Control c;
  c.add(level, type, &d, sizeof d);
  msghdr m = c.msg();
  ErrQueueEntry e;
  decode_error_cmsgs(m, e);
  return e;
}

TEST(DecodeError, IcmpErrorWithOffender) {
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, "198.18.0.1", &from.sin_addr);
  ErrQueueEntry e = icmp_error(IPPROTO_IP, IP_RECVERR, SO_EE_ORIGIN_ICMP, EHOSTUNREACH, 11, 0, from);
  EXPECT_EQ(e.kind, ErrQueueEntry::Kind::icmp_error);
  EXPECT_EQ(e.err, EHOSTUNREACH);
  EXPECT_EQ(e.icmp_family, Family::v4);
  EXPECT_EQ(e.icmp_type, 11);
  ASSERT_TRUE(e.offender);
  EXPECT_EQ(e.offender->to_string(), "198.18.0.1");
}

TEST(DecodeError, Icmp6ErrorAndLocalError) {
  sockaddr_in6 from{};
  from.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8::2", &from.sin6_addr);
  ErrQueueEntry e = icmp_error(IPPROTO_IPV6, IPV6_RECVERR, SO_EE_ORIGIN_ICMP6, ECONNREFUSED, 1, 4, from);
  EXPECT_EQ(e.kind, ErrQueueEntry::Kind::icmp_error);
  EXPECT_EQ(e.icmp_family, Family::v6);
  EXPECT_EQ(e.icmp_code, 4);
  ASSERT_TRUE(e.offender);
  EXPECT_EQ(e.offender->to_string(), "2001:db8::2");

  sock_extended_err local{};
  local.ee_origin = SO_EE_ORIGIN_LOCAL;
  local.ee_errno = EMSGSIZE;
  Control l;
  l.add(IPPROTO_IP, IP_RECVERR, &local, sizeof local);
  msghdr lm = l.msg();
  ErrQueueEntry le;
  decode_error_cmsgs(lm, le);
  EXPECT_EQ(le.kind, ErrQueueEntry::Kind::local_error);
  EXPECT_EQ(le.err, EMSGSIZE);
}

TEST(DecodeError, TruncatedExtendedErrorIsIgnored) {
  sock_extended_err ee{};
  ee.ee_origin = SO_EE_ORIGIN_ICMP;
  Control c;
  c.add(IPPROTO_IP, IP_RECVERR, &ee, sizeof ee - 4);
  msghdr m = c.msg();
  ErrQueueEntry e;
  decode_error_cmsgs(m, e);
  EXPECT_EQ(e.kind, ErrQueueEntry::Kind::other);
  EXPECT_FALSE(e.offender);
}

}  // namespace
}  // namespace reach::sys
