#include <string_view>

#include "config/config_words.hpp"
#include "config/watch_path_parse.hpp"

namespace reach::config {

PathSettings parse_path_settings(yaml::Walker& w, const yaml::Node& n, const std::string& path, PathSettings s) {
  if (n.IsScalar()) {
    if (auto b = w.boolean(n, path)) s.enabled = *b;
    return s;
  }
  if (!n.IsMap()) {
    w.error(n, path, "must be off, on or a map ({protocol: tcp, port: 443, max_hops: 20, mda: true, alpha: 0.01})");
    return s;
  }
  s.enabled = true;
  bool port_given = false;
  yaml::Node port_node;
  for (auto& [k, v] : w.entries(n, path, {"protocol", "port", "max_hops", "mda", "alpha"})) {
    const std::string p = words::at(path, k);
    if (k == "protocol") {
      auto str = w.str(v, p);
      if (!str) continue;
      if (*str == "icmp") s.protocol = model::TraceMethod::icmp;
      else if (*str == "udp") s.protocol = model::TraceMethod::udp;
      else if (*str == "tcp") s.protocol = model::TraceMethod::tcp;
      else w.error(v, p, "must be one of icmp, udp, tcp");
    } else if (k == "port") {
      port_given = true;
      port_node = v;
      if (auto x = w.integer(v, p, 1, 65535)) s.port = static_cast<int>(*x);
    } else if (k == "max_hops") {
      if (auto x = w.integer(v, p, 1, 255)) s.max_hops = static_cast<int>(*x);
    } else if (k == "mda") {
      if (auto b = w.boolean(v, p)) s.mda = *b;
    } else if (k == "alpha") {
      if (auto x = w.number(v, p, 1e-9, 0.5)) s.alpha = *x;
    }
  }
  // A port given here only makes sense for the protocol given with it; a protocol changed here
  // drops the port inherited from the defaults.
  if (port_given && s.protocol == model::TraceMethod::icmp)
    w.error(port_node, words::at(path, "port"), "only for protocol udp or tcp");
  else if (!port_given && n["protocol"].IsDefined()) s.port = 0;
  return s;
}

void check_path_fields(yaml::Walker& w, const yaml::Node& n, const std::string& path, WatchTarget& t) {
  const bool traced = t.probe == model::WatchProbe::icmp || t.probe == model::WatchProbe::tcp ||
                      t.probe == model::WatchProbe::syn || t.probe == model::WatchProbe::udp;
  if (t.module.empty() && !traced && n["path"].IsDefined() && t.path.enabled)
    w.error(n["path"], words::at(path, "path"), "watch traces only icmp, tcp, syn and udp targets (path: off is accepted)");
  if (t.path.port == 0 && t.path.protocol == model::TraceMethod::tcp)
    t.path.port = (t.probe == model::WatchProbe::tcp || t.probe == model::WatchProbe::syn) && t.port ? t.port : 80;
  if (t.path.port == 0 && t.path.protocol == model::TraceMethod::udp) t.path.port = 33434;
}

}  // namespace reach::config
