#pragma once
// The controlling terminal for full-screen views: is stdout one, raw keys from stdin.
#include <memory>
#include <optional>

namespace reach::sys {

bool stdout_is_terminal();

// Puts stdin in non-canonical, no-echo mode until destroyed (restores the saved settings).
class RawInput {
 public:
  static std::unique_ptr<RawInput> enter();  // nullptr when stdin is not a terminal
  ~RawInput();
  // One pending key, without blocking; nullopt when none.
  std::optional<char> key();

 private:
  RawInput() = default;
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

}  // namespace reach::sys
