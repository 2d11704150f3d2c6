// The --http rewriting of request heads: Forwarded (RFC 7239 §6 quoting), X-Forwarded-*, the
// client's forged copies dropped unless trusted, bodies and keep-alive requests intact.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "packet/http_forward.hpp"

namespace reach::packet {
namespace {

using Status = HttpForward::Status;

ForwardFor v6_client(bool trusted = false) {
  return ForwardFor{*IpAddr::parse("2001:db8::5"), 41234, "http", trusted};
}

// Feeds `in` split into pieces of `step` bytes (every split point is a chance for a bug).
std::string run(HttpForward& f, std::string_view in, std::size_t step, Status* last = nullptr) {
  Buffer out;
  Status st = Status::ok;
  for (std::size_t i = 0; i < in.size() && st == Status::ok; i += step) {
    const std::string_view part = in.substr(i, step);
    st = f.feed(Bytes(reinterpret_cast<const std::uint8_t*>(part.data()), part.size()), out);
  }
  if (last) *last = st;
  return std::string(out.begin(), out.end());
}

const char* kAdded =
    "Forwarded: for=\"[2001:db8::5]:41234\";proto=http\r\n"
    "X-Forwarded-For: 2001:db8::5\r\n"
    "X-Forwarded-Proto: http\r\n\r\n";

TEST(HttpForward, Nodes) {
  EXPECT_EQ(forwarded_node(*IpAddr::parse("2001:db8::5"), 41234), "for=\"[2001:db8::5]:41234\"");
  EXPECT_EQ(forwarded_node(*IpAddr::parse("::ffff:198.18.0.7"), 80), "for=\"198.18.0.7:80\"");
}

TEST(HttpForward, ForgedHeadersDroppedAtEverySplit) {
  const std::string in =
      "GET /a?b=1 HTTP/1.1\r\nHost: site\r\nX-Forwarded-For: 6.6.6.6\r\nforwarded: for=1.2.3.4\r\n"
      "X-Forwarded-Proto: https\r\nAccept: */*\r\n\r\n";
  const std::string want = std::string("GET /a?b=1 HTTP/1.1\r\nHost: site\r\nAccept: */*\r\n") + kAdded;
  for (std::size_t step = 1; step <= in.size(); ++step) {
    HttpForward f(v6_client());
    EXPECT_EQ(run(f, in, step), want) << step;
    EXPECT_FALSE(f.in_head());
    EXPECT_EQ(f.heads(), 1u);
  }
}

// Look-alikes (new-user finding): X_Forwarded_For reaches a CGI/PHP/WSGI app as X-Forwarded-For;
// X-Real-IP and X-Forwarded-Host are read as the client and host by many frameworks.
TEST(HttpForward, LookAlikesOfTheClientsAddressAreDroppedUnlessTrusted) {
  const std::string in =
      "GET / HTTP/1.1\r\nHost: s\r\nX_Forwarded_For: 198.18.7.7\r\nX-Real-IP: 198.18.9.8\r\nx-forwarded-host: evil\r\n"
      "X_Real_IP: 198.18.8.4\r\nTrue-Client-IP: 6.6.6.6\r\nX-Request-Id: 42\r\n\r\n";
  HttpForward untrusted(v6_client());
  EXPECT_EQ(run(untrusted, in, 1000), std::string("GET / HTTP/1.1\r\nHost: s\r\nX-Request-Id: 42\r\n") + kAdded);
  HttpForward trusted(v6_client(true));
  const std::string out = run(trusted, in, 1000);
  EXPECT_NE(out.find("X-Real-IP: 198.18.9.8\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x-forwarded-host: evil\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("X_Forwarded_For"), std::string::npos) << out;
  EXPECT_EQ(out.find("X_Real_IP"), std::string::npos) << out;
}

TEST(HttpForward, TrustedUpstreamKeepsAndAppends) {
  HttpForward f(v6_client(true));
  const std::string out = run(f,
                              "GET / HTTP/1.1\r\nHost: s\r\nX-Forwarded-For: 198.18.9.9\r\n"
                              "Forwarded: for=198.18.9.9\r\nX-Forwarded-Proto: https\r\n\r\n",
                              1000);
  EXPECT_EQ(out,
            "GET / HTTP/1.1\r\nHost: s\r\n"
            "Forwarded: for=198.18.9.9, for=\"[2001:db8::5]:41234\";proto=http\r\n"
            "X-Forwarded-For: 198.18.9.9, 2001:db8::5\r\n"
            "X-Forwarded-Proto: https\r\n\r\n");
}

TEST(HttpForward, BodiesPassAndKeepAliveRequestsAreRewritten) {
  const std::string in =
      "POST /p HTTP/1.1\r\nHost: s\r\nContent-Length: 5\r\n\r\nhello"
      "POST /c HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "GET /last HTTP/1.1\r\nX-Forwarded-For: 198.18.1.1\r\n\r\n";
  const std::string want = std::string("POST /p HTTP/1.1\r\nHost: s\r\nContent-Length: 5\r\n") + kAdded + "hello" +
                           "POST /c HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n" + kAdded +
                           "3\r\nabc\r\n0\r\n\r\n" + "GET /last HTTP/1.1\r\n" + kAdded;
  for (std::size_t step : {1u, 2u, 7u, 1000u}) {
    HttpForward f(v6_client());
    EXPECT_EQ(run(f, in, step), want) << step;
    EXPECT_EQ(f.heads(), 3u);
  }
}

TEST(HttpForward, UpgradePassesTheRestUntouched) {
  HttpForward f(v6_client());
  const std::string out =
      run(f, "GET /ws HTTP/1.1\r\nHost: s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello GET / HTTP/1.1\r\n", 3);
  EXPECT_EQ(out, std::string("GET /ws HTTP/1.1\r\nHost: s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n") +
                     kAdded + "\x81\x05hello GET / HTTP/1.1\r\n");
}

TEST(HttpForward, BadAndOversizedHeads) {
  {
    HttpForward f(v6_client());
    Status st;
    run(f, "GARBAGE\r\n\r\n", 100, &st);
    EXPECT_EQ(st, Status::bad_request);
    EXPECT_FALSE(f.error().empty());
  }
  {
    HttpForward f(v6_client(), 64);
    Status st;
    const std::string out = run(f, "GET / HTTP/1.1\r\nHost: " + std::string(100, 'x') + "\r\n\r\n", 10, &st);
    EXPECT_EQ(st, Status::head_too_large);
    EXPECT_TRUE(out.empty());
  }
  {
    HttpForward f(v6_client());
    Status st;
    // A space before the colon: a backend that trims the name would take the client's own
    // X-Forwarded-For as ours.
    const std::string out = run(f, "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For : 198.18.9.9\r\n\r\n", 100, &st);
    EXPECT_EQ(st, Status::bad_request);
    EXPECT_EQ(out.find("198.18.9.9"), std::string::npos) << out;
  }
  {
    HttpForward f(v6_client());
    Status st;
    // Request smuggling shape: both framings; llhttp refuses it.
    run(f, "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 100, &st);
    EXPECT_EQ(st, Status::bad_request);
  }
}

}  // namespace
}  // namespace reach::packet
