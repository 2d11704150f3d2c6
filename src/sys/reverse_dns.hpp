#pragma once
// Reverse DNS that never blocks the caller: c-ares runs on a helper thread of its own; the
// caller asks for names and reads whatever has come back so far.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/ip_addr.hpp"

namespace reach::sys {

class ReverseDns {
 public:
  ReverseDns();
  ~ReverseDns();
  ReverseDns(const ReverseDns&) = delete;
  ReverseDns& operator=(const ReverseDns&) = delete;

  // Starts a lookup (once per address).
  void lookup(const IpAddr& a);
  // The name when it is back; nullopt while pending, when there is none, or when it failed.
  std::optional<std::string> name(const IpAddr& a) const;
  // True once the lookup for `a` has finished (with or without a name), or was never asked.
  bool settled(const IpAddr& a) const;
  bool usable() const { return ok_; }

 private:
  void loop();
  struct State;
  std::unique_ptr<State> st_;
  bool ok_ = false;
  std::thread thread_;
};

}  // namespace reach::sys
