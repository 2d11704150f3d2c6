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
  e.body_regex = std::regex("^all");
  e.body_regex_text = "^all";
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
