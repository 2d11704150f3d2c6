// Loads a watch config file and prints how long parsing took and the process's peak RSS: the
// measurement behind "a target list of 100,000 entries loads" (docs/WATCH-CONFIG.md).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "config/watch_config.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: watch_config_load FILE\n");
    return 2;
  }
  std::ifstream f(argv[1]);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  auto t0 = std::chrono::steady_clock::now();
  auto c = reach::config::parse_watch_config(text, argv[1]);
  auto t1 = std::chrono::steady_clock::now();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  if (!c) {
    std::fprintf(stderr, "%s\n", c.error().message().c_str());
    return 2;
  }
  double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::printf("targets %zu bytes %zu wall_s %.3f cpu_s %.3f max_rss_kib %ld\n", c->targets.size(), text.size(),
              std::chrono::duration<double>(t1 - t0).count(), cpu, ru.ru_maxrss);
  return 0;
}
