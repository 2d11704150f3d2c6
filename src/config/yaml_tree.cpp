#include "config/yaml_tree.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <sstream>
#include <stdexcept>

namespace reach::config::yaml {
namespace {

const std::string kEmpty;

class Builder : public YAML::EventHandler {
 public:
  explicit Builder(Doc& doc) : doc_(doc) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  // An empty value (`key:` and nothing) is marked where the next token starts, often the next
  // key's line: it is on its key's line.
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override {
    YAML::Mark at = m;
    if (!open_.empty() && doc_.nodes[open_.back().first].type == Type::map &&
        (pending_.size() - open_.back().second) % 2 == 1) {
      const int key_line = doc_.nodes[pending_.back()].line;
      if (key_line > 0 && at.line >= key_line) at.line = key_line - 1;
    }
    leaf(Type::null, at, a, {});
  }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t a, const std::string& v) override {
    leaf(Type::scalar, m, a, v);
  }
  void OnAlias(const YAML::Mark&, YAML::anchor_t a) override {
    if (a == 0 || a > anchors_.size()) throw std::runtime_error("alias to an unknown anchor");
    for (const auto& o : open_)  // an alias inside its own anchor would make a cycle
      if (o.first == anchors_[a - 1]) throw std::runtime_error("alias inside its own anchor");
    attach(anchors_[a - 1]);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a, YAML::EmitterStyle::value) override {
    open(Type::sequence, m, a);
  }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a, YAML::EmitterStyle::value) override {
    open(Type::map, m, a);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapEnd() override { close(); }

 private:
  std::uint32_t add(Type t, const YAML::Mark& m, YAML::anchor_t a, std::string v) {
    auto index = static_cast<std::uint32_t>(doc_.nodes.size());
    doc_.nodes.push_back(Doc::Data{t, m.line < 0 ? 0 : m.line + 1, 0, 0, std::move(v)});
    if (a != 0) {
      if (anchors_.size() < a) anchors_.resize(a, 0);
      anchors_[a - 1] = index;
    }
    return index;
  }
  void attach(std::uint32_t index) {
    if (!open_.empty()) pending_.push_back(index);
  }
  void leaf(Type t, const YAML::Mark& m, YAML::anchor_t a, std::string v) { attach(add(t, m, a, std::move(v))); }
  void open(Type t, const YAML::Mark& m, YAML::anchor_t a) {
    auto index = add(t, m, a, {});
    attach(index);
    open_.push_back({index, pending_.size()});
  }
  // Children of the closed collection are the tail of `pending_`: copy them contiguously.
  void close() {
    auto [index, from] = open_.back();
    open_.pop_back();
    auto& d = doc_.nodes[index];
    d.first = static_cast<std::uint32_t>(doc_.kids.size());
    d.count = static_cast<std::uint32_t>(pending_.size() - from);
    doc_.kids.insert(doc_.kids.end(), pending_.begin() + static_cast<std::ptrdiff_t>(from), pending_.end());
    pending_.resize(from);
  }

  Doc& doc_;
  std::vector<std::uint32_t> anchors_;
  std::vector<std::pair<std::uint32_t, std::size_t>> open_;  // collection, start in pending_
  std::vector<std::uint32_t> pending_;
};

}  // namespace

Type Node::type() const { return doc_ ? doc_->nodes[i_].type : Type::undefined; }
const std::string& Node::Scalar() const { return IsScalar() ? doc_->nodes[i_].scalar : kEmpty; }
int Node::line() const { return doc_ ? doc_->nodes[i_].line : 0; }

std::size_t Node::size() const {
  if (!doc_) return 0;
  const auto& d = doc_->nodes[i_];
  return d.type == Type::map ? d.count / 2 : d.type == Type::sequence ? d.count : 0;
}

Node Node::operator[](std::string_view key) const {
  if (!IsMap()) return {};
  const auto& d = doc_->nodes[i_];
  for (std::uint32_t k = 0; k + 1 < d.count; k += 2) {
    const auto& kd = doc_->nodes[doc_->kids[d.first + k]];
    if (kd.type == Type::scalar && kd.scalar == key) return Node(doc_, doc_->kids[d.first + k + 1]);
  }
  return {};
}

std::vector<Node> Node::items() const {
  std::vector<Node> out;
  if (!IsSequence()) return out;
  const auto& d = doc_->nodes[i_];
  out.reserve(d.count);
  for (std::uint32_t k = 0; k < d.count; ++k) out.emplace_back(doc_, doc_->kids[d.first + k]);
  return out;
}

std::vector<std::pair<Node, Node>> Node::entries() const {
  std::vector<std::pair<Node, Node>> out;
  if (!IsMap()) return out;
  const auto& d = doc_->nodes[i_];
  out.reserve(d.count / 2);
  for (std::uint32_t k = 0; k + 1 < d.count; k += 2)
    out.emplace_back(Node(doc_, doc_->kids[d.first + k]), Node(doc_, doc_->kids[d.first + k + 1]));
  return out;
}

std::unique_ptr<Doc> parse(std::string_view text) {
  auto doc = std::make_unique<Doc>();
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  Builder b(*doc);
  parser.HandleNextDocument(b);
  if (doc->nodes.empty()) doc->nodes.push_back(Doc::Data{});  // no document: a null root
  return doc;
}

}  // namespace reach::config::yaml
