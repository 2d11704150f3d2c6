#include "engine/check_http.hpp"

#include <fmt/format.h>

namespace reach::engine {

using model::CheckStatus;

Classified judge_http_failure(bool timed_out, bool tls_failed, bool connect_failed, int os_errno,
                              const std::string& error) {
  if (timed_out) return {CheckStatus::timeout, error};
  if (tls_failed) return {CheckStatus::tls, error};
  if (connect_failed && os_errno) return classify_connect(os_errno, std::nullopt, false);
  return {CheckStatus::error, error};
}

Classified judge_http_response(int status, std::string_view body, std::optional<double> cert_days,
                               const HttpExpect& e) {
  bool status_ok = false;
  for (auto [lo, hi] : e.statuses) status_ok = status_ok || (status >= lo && status <= hi);
  if (!status_ok) return {CheckStatus::http_status, fmt::format("HTTP {}, expected {}", status, e.statuses_text)};
  if (!e.body.empty() && body.find(e.body) == std::string_view::npos)
    return {CheckStatus::http_body, fmt::format("HTTP {}, body does not contain '{}'", status, e.body)};
  if (e.body_regex && !e.body_regex->search(body))
    return {CheckStatus::http_body, fmt::format("HTTP {}, body does not match /{}/", status, e.body_regex->text())};
  if (cert_days && *cert_days < e.cert_days)
    return {CheckStatus::cert_expiry, *cert_days < 0 ? fmt::format("certificate expired {:.1f} days ago", -*cert_days)
                                                     : fmt::format("certificate expires in {:.1f} days", *cert_days)};
  return {CheckStatus::http_ok, cert_days ? fmt::format("HTTP {}, certificate valid {:.0f} more days", status, *cert_days)
                                          : fmt::format("HTTP {}", status)};
}

}  // namespace reach::engine
