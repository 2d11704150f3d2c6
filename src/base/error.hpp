#pragma once
// Errors are values: each names the operation and the address that failed.
#include <string>
#include <tl/expected.hpp>

namespace reach {

struct Error {
  std::string op;      // what we tried: "resolve", "socket(raw icmp)", "sendto"
  std::string addr;    // the address or name involved, may be empty
  int err = 0;         // errno, 0 when not a system error
  std::string detail;  // extra human text, may be empty

  // "sendto 198.18.0.2: Network is unreachable"
  std::string message() const;
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(std::string op, std::string addr, int err, std::string detail = {}) {
  return tl::unexpected<Error>(Error{std::move(op), std::move(addr), err, std::move(detail)});
}

}  // namespace reach
