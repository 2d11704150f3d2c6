// Fuzzes the HTTP judge of `reach check` with a user pattern (RE2) against a server's body:
// the input is "pattern \0 body", the first byte the status. No crash, and a match is found in
// time linear in the body (libFuzzer's -timeout catches anything else).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/check_http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  int status = 100 + data[0] * 2;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t nul = rest.find('\0');
  std::string_view pattern = rest.substr(0, nul == std::string_view::npos ? 0 : nul);
  std::string_view body = nul == std::string_view::npos ? rest : rest.substr(nul + 1);
  reach::engine::HttpExpect e;
  e.statuses = {{200, 399}};
  e.statuses_text = "200-399";
  e.body = std::string(body.substr(0, 3));
  if (auto p = reach::engine::Pattern::compile(pattern, "--body-regex")) e.body_regex = std::move(*p);
  auto c = reach::engine::judge_http_response(status, body, data[0] & 1 ? std::optional<double>(data[0] - 128.0)
                                                                         : std::nullopt, e);
  if (c.reason.empty()) __builtin_trap();
  return 0;
}
