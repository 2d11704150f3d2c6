#include "base/error.hpp"

#include <cstring>

namespace reach {

std::string Error::message() const {
  std::string m = op;
  if (!addr.empty()) m += " " + addr;
  if (err != 0 || !detail.empty()) m += ":";
  if (err != 0) m += std::string(" ") + std::strerror(err);
  if (!detail.empty()) m += (err != 0 ? " (" + detail + ")" : " " + detail);
  return m;
}

}  // namespace reach
