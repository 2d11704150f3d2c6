#pragma once
// What an HTTP(S) check's answer means against the expectations of the command line.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/check_engine.hpp"
#include "engine/pattern.hpp"

namespace reach::engine {

struct HttpExpect {
  std::vector<std::pair<int, int>> statuses;  // inclusive ranges that pass
  std::string statuses_text;                  // as the user wrote them, for the reason
  std::string body;                           // substring the body must contain, or empty
  std::optional<Pattern> body_regex;       // RE2, linear time
  double cert_days = 0;                       // fail when the certificate expires sooner
};

// A transfer that gave no response: curl's flags and words.
Classified judge_http_failure(bool timed_out, bool tls_failed, bool connect_failed, int os_errno,
                              const std::string& error);
// A response: status, then body, then certificate expiry (days from now, when known).
Classified judge_http_response(int status, std::string_view body, std::optional<double> cert_days,
                               const HttpExpect& e);

}  // namespace reach::engine
