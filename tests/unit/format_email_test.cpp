// Alert mail text (Python's email parser reads it too: tests/integration/test_watch_exports.py).
#include <gtest/gtest.h>

#include "format/alert_email.hpp"
#include "watch_events.hpp"

namespace reach::format {
namespace {

using K = model::WatchEvent::Kind;
constexpr TimeNs kT = 1796032800LL * kNsPerSec;  // Mon, 30 Nov 2026 10:00:00 +0000

AlertInput alert(K kind, std::string target = "web1") {
  AlertInput a{testing::firing_event(kT), {}};
  a.event.kind = kind;
  a.event.target = std::move(target);
  return a;
}

const EmailOptions kOpts{"reach <reach@mon1.example.net>", {"ops@example.net", "Ops Two <ops2@example.net>"},
                         "mon1.example.net", "http://198.18.0.1:9798"};

TEST(AlertEmail, PlainAsciiMessage) {
  EXPECT_EQ(alert_email(alert(K::firing), kOpts, "out-17"),
            "Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
            "From: reach <reach@mon1.example.net>\r\n"
            "To: ops@example.net, Ops Two <ops2@example.net>\r\n"
            "Subject: [reach] FIRING down: web1 is down\r\n"
            "Message-ID: <out-17@mon1.example.net>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "Auto-Submitted: auto-generated\r\n"
            "\r\n"
            "Alert down is FIRING for web1.\r\n"
            "\r\n"
            "Target:  web1\r\n"
            "State:   up -> down\r\n"
            "Since:   2026-11-30T09:59:57Z\r\n"
            "Time:    2026-11-30T10:00:00Z\r\n"
            "Reason:  timed out\r\n"
            "Details: http://198.18.0.1:9798/api/v1/targets/web1\r\n"
            "\r\n"
            "-- \r\n"
            "reach watch on mon1.example.net\r\n");
  EXPECT_EQ(alert_email_subject(alert(K::resolved)), "[reach] RESOLVED down: web1 is up again");
}

TEST(AlertEmail, NoHeaderInjection) {
  EmailOptions o = kOpts;
  o.to = {"ops@example.net\r\nBcc: evil@example.net"};
  std::string m = alert_email(alert(K::firing, "web1\r\nBcc: evil@example.net"), o, "x\r\ny");
  std::string headers = m.substr(0, m.find("\r\n\r\n"));
  EXPECT_EQ(headers.find("\r\nBcc:"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Message-ID: <xy@mon1.example.net>"), std::string::npos);
}

TEST(AlertEmail, Utf8SubjectAndBody) {
  std::string m = alert_email(alert(K::firing, "wëb-ñ"), kOpts, "t");
  EXPECT_NE(m.find("Subject: =?UTF-8?B?"), std::string::npos) << m;
  EXPECT_NE(m.find("Content-Transfer-Encoding: quoted-printable\r\n"), std::string::npos);
  EXPECT_NE(m.find("Target:  w=C3=ABb-=C3=B1\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("--=20\r\n"), std::string::npos);  // trailing space encoded
}

TEST(AlertEmail, Base64AndEncodedWords) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"\xff\xfe", "//4="}};
  for (const auto& c : cases) EXPECT_EQ(base64(c.in), c.out);
  EXPECT_EQ(rfc2047_subject("short ascii"), "short ascii");
  EXPECT_EQ(rfc2047_subject("ë"), "=?UTF-8?B?w6s=?=");
  // 30 two-byte characters: cut at 38 bytes (19 chars), never inside a character.
  std::string many;
  for (int i = 0; i < 30; ++i) many += "ë";
  std::string enc = rfc2047_subject(many);
  EXPECT_EQ(enc, "=?UTF-8?B?" + base64(many.substr(0, 38)) + "?=\r\n =?UTF-8?B?" + base64(many.substr(38)) + "?=");
}

TEST(AlertEmail, QuotedPrintable) {
  EXPECT_EQ(quoted_printable("a=b\nend "), "a=3Db\r\nend=20");
  std::string longline(100, 'x');
  std::string qp = quoted_printable(longline);
  EXPECT_EQ(qp, std::string(75, 'x') + "=\r\n" + std::string(25, 'x'));
  // An encoded byte is never split by a soft break.
  std::string q = quoted_printable(std::string(74, 'x') + "é");
  EXPECT_EQ(q, std::string(74, 'x') + "=\r\n=C3=A9");
}

}  // namespace
}  // namespace reach::format
