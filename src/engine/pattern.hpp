#pragma once
// User-supplied regular expressions (check --body-regex; watch and guard to come). RE2 matches
// in time linear in the input with no recursion: std::regex recurses per character and crashes
// on pages of tens of KB, and a backtracking engine can be made to run for hours.
#include <memory>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace re2 {
class RE2;
}

namespace reach::engine {

class Pattern {
 public:
  // RE2 syntax (Perl-like, no backreferences). `what` names the option for the error:
  // "--body-regex 'a(': missing ): a(".
  static Result<Pattern> compile(std::string_view text, std::string_view what);
  // Whether the pattern matches anywhere in s.
  bool search(std::string_view s) const;
  const std::string& text() const { return text_; }

 private:
  std::shared_ptr<const re2::RE2> re_;
  std::string text_;
};

}  // namespace reach::engine
