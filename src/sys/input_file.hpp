#pragma once
// Every file a user names (check --file/--policy/--nodes-json, scan -iL/--exclude-file) is read
// here, once: a regular file or a pipe ("-" is standard input), at most kMaxInputFile bytes.
// /dev/zero, a directory or a socket gets one clear error instead of an endless read.
#include <cstddef>
#include <string>

#include "base/error.hpp"

namespace reach::sys {

inline constexpr std::size_t kMaxInputFile = std::size_t{16} << 20;

Result<std::string> read_input_file(const std::string& path, std::size_t limit = kMaxInputFile);

}  // namespace reach::sys
