#include <gtest/gtest.h>

#include <cerrno>

#include "engine/check_http.hpp"

namespace reach::engine {
namespace {

using model::CheckStatus;

HttpExpect expect() {
  HttpExpect e;
  e.statuses = {{200, 399}};
  e.statuses_text = "200-399";
  return e;
}

TEST(JudgeHttp, StatusBodyRegexCertificateInThatOrder) {
  HttpExpect e = expect();
  EXPECT_EQ(judge_http_response(200, "ok", std::nullopt, e).status, CheckStatus::http_ok);
  EXPECT_EQ(judge_http_response(200, "ok", std::nullopt, e).reason, "HTTP 200");
  auto r = judge_http_response(500, "ok", std::nullopt, e);
  EXPECT_EQ(r.status, CheckStatus::http_status);
  EXPECT_EQ(r.reason, "HTTP 500, expected 200-399");
  EXPECT_EQ(judge_http_response(399, "", std::nullopt, e).status, CheckStatus::http_ok);
  EXPECT_EQ(judge_http_response(400, "", std::nullopt, e).status, CheckStatus::http_status);
  e.body = "healthy";
  EXPECT_EQ(judge_http_response(200, "all healthy here", std::nullopt, e).status, CheckStatus::http_ok);
  r = judge_http_response(200, "maintenance", std::nullopt, e);
  EXPECT_EQ(r.status, CheckStatus::http_body);
  EXPECT_EQ(r.reason, "HTTP 200, body does not contain 'healthy'");
  EXPECT_EQ(judge_http_response(503, "maintenance", std::nullopt, e).status, CheckStatus::http_status);
  e.body_regex = *Pattern::compile("^all", "--body-regex");
  EXPECT_EQ(judge_http_response(200, "all healthy", std::nullopt, e).status, CheckStatus::http_ok);
  r = judge_http_response(200, "not all healthy", std::nullopt, e);
  EXPECT_EQ(r.status, CheckStatus::http_body);
  EXPECT_EQ(r.reason, "HTTP 200, body does not match /^all/");
  // Certificates: expired fails even at --cert-days 0; --cert-days 30 fails one of 10 days.
  r = judge_http_response(200, "all healthy", -2.5, e);
  EXPECT_EQ(r.status, CheckStatus::cert_expiry);
  EXPECT_EQ(r.reason, "certificate expired 2.5 days ago");
  EXPECT_EQ(judge_http_response(200, "all healthy", 10, e).status, CheckStatus::http_ok);
  EXPECT_EQ(judge_http_response(200, "all healthy", 10, e).reason, "HTTP 200, certificate valid 10 more days");
  e.cert_days = 30;
  EXPECT_EQ(judge_http_response(200, "all healthy", 10, e).reason, "certificate expires in 10.0 days");
}

// std::regex recursed once per character and crashed (SIGSEGV) on 'a+c' against a 50 KB page.
TEST(JudgeHttp, RegexOnLargeBodyIsLinearAndDoesNotCrash) {
  HttpExpect e = expect();
  e.body_regex = *Pattern::compile("a+c", "--body-regex");
  std::string page(1 << 20, 'a');
  EXPECT_EQ(judge_http_response(200, page, std::nullopt, e).status, CheckStatus::http_body);
  page += 'c';
  EXPECT_EQ(judge_http_response(200, page, std::nullopt, e).status, CheckStatus::http_ok);
}

TEST(Pattern, BadPatternIsAnErrorNamingTheOption) {
  auto p = Pattern::compile("a(", "--body-regex");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message(), "--body-regex 'a(': missing ): a(");
  EXPECT_FALSE(Pattern::compile("(a)\\1", "--body-regex"));  // no backreferences in RE2
  auto q = Pattern::compile("x.y", "--body-regex");
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->search(std::string_view("a\0x-y", 5)));
  EXPECT_FALSE(q->search("xy"));
}

TEST(JudgeHttp, Failures) {
  EXPECT_EQ(judge_http_failure(true, false, false, 0, "Operation timed out").status, CheckStatus::timeout);
  auto r = judge_http_failure(false, true, false, 0, "SSL certificate problem: certificate has expired");
  EXPECT_EQ(r.status, CheckStatus::tls);
  EXPECT_EQ(r.reason, "SSL certificate problem: certificate has expired");
  EXPECT_EQ(judge_http_failure(false, false, true, ECONNREFUSED, "x").status, CheckStatus::refused);
  EXPECT_EQ(judge_http_failure(false, false, true, 0, "Couldn't connect").status, CheckStatus::error);
  EXPECT_EQ(judge_http_failure(false, false, false, 0, "Could not resolve host").reason, "Could not resolve host");
}

}  // namespace
}  // namespace reach::engine
