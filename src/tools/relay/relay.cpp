#include "tools/relay/relay.hpp"

#include "tools/relay/server.hpp"

namespace reach::tools {

int run_relay(const RelayOptions& opts, std::ostream& out, std::ostream& err) {
  auto cfg = relay::build_config(opts);
  if (!cfg) {  // every problem, one a line, as watch --validate prints them
    err << cfg.error().message() << '\n';
    return 2;
  }
  if (opts.validate) {
    // What it would run, so a flag that took a value it should not have shows here.
    std::string listen, to;
    for (const auto& l : cfg->listen) listen += (listen.empty() ? "" : ", ") + l;
    for (const auto& b : cfg->backends) to += (to.empty() ? "" : ", ") + b.text;
    out << "reach relay: " << (opts.config.empty() ? "options" : opts.config) << ": ok: listen " << listen << " -> " << to
        << '\n';
    return 0;
  }
  auto s = relay::Server::create(opts, std::move(*cfg), out, err);
  if (!s) {
    err << "reach relay: " << s.error().message() << '\n';
    return 2;
  }
  return (*s)->run();
}

}  // namespace reach::tools
