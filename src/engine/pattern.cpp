#include "engine/pattern.hpp"

#include <re2/re2.h>

namespace reach::engine {

Result<Pattern> Pattern::compile(std::string_view text, std::string_view what) {
  RE2::Options opts;
  opts.set_log_errors(false);  // RE2 would print to stderr; the error comes back as a value
  opts.set_max_mem(64 << 20);  // a pattern whose automaton needs more is refused, not slow
  auto re = std::make_shared<const RE2>(re2::StringPiece(text.data(), text.size()), opts);
  if (!re->ok()) return fail(std::string(what), "'" + std::string(text) + "'", 0, re->error());
  Pattern p;
  p.re_ = std::move(re);
  p.text_ = std::string(text);
  return p;
}

bool Pattern::search(std::string_view s) const {
  return re_ && RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *re_);
}

}  // namespace reach::engine
