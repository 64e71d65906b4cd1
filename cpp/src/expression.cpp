#include "dvfskit/expression.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <memory>
#include <utility>

namespace dvfskit {

namespace {

std::string with_caret(const std::string& message, std::string_view text, std::size_t position) {
  std::string out = message + "\n  " + std::string(text) + "\n  " + std::string(position, ' ') + "^";
  return out;
}

struct FunctionInfo {
  std::string_view name;
  OpCode op;
  int arity;
};

constexpr std::array<FunctionInfo, 14> kFunctions{{
    {"exp", OpCode::Exp, 1},   {"log", OpCode::Log, 1},   {"log10", OpCode::Log10, 1},
    {"sqrt", OpCode::Sqrt, 1}, {"abs", OpCode::Abs, 1},   {"sin", OpCode::Sin, 1},
    {"cos", OpCode::Cos, 1},   {"tan", OpCode::Tan, 1},   {"atan", OpCode::Atan, 1},
    {"tanh", OpCode::Tanh, 1}, {"pow", OpCode::Pow, 2},   {"min", OpCode::Min, 2},
    {"max", OpCode::Max, 2},   {"arctan", OpCode::Atan, 1},
}};

const FunctionInfo* find_function(std::string_view name) {
  for (const FunctionInfo& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// Bound on the nesting of the parser's recursion and on the height of the syntax tree, so that
// parsing, folding, compiling and destroying the tree (all recursive) cannot exhaust the stack on
// hostile input such as "((((...", "-----x" or a sum of a million terms.
constexpr std::size_t kMaxDepth = 400;

// Abstract syntax tree, only alive during parsing.
struct Node {
  enum class Kind { Number, Name, Op } kind;
  double number = 0.0;
  std::string name;
  std::size_t position = 0;
  std::size_t height = 1;  // 1 for a leaf
  OpCode op = OpCode::Const;
  std::vector<std::unique_ptr<Node>> args;
};
using NodePtr = std::unique_ptr<Node>;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  NodePtr parse() {
    NodePtr root = expression();
    skip_space();
    if (pos_ < text_.size()) fail(unexpected_message(), pos_);
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& message, std::size_t position) const {
    throw ExpressionError(message, text_, position);
  }

  [[noreturn]] void too_deep(std::size_t position) const {
    fail("expression nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)", position);
  }

  NodePtr make_op(OpCode op, std::size_t position, std::vector<NodePtr> args) const {
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::Op;
    node->op = op;
    node->position = position;
    for (const NodePtr& a : args) node->height = std::max(node->height, a->height + 1);
    node->args = std::move(args);
    if (node->height > kMaxDepth) too_deep(position);
    return node;
  }

  // Counts the nesting of unary() (every recursive cycle of the grammar passes through it).
  struct NestingGuard {
    Parser& parser;
    explicit NestingGuard(Parser& p, std::size_t position) : parser(p) {
      if (++parser.nesting_ > kMaxDepth) parser.too_deep(position);
    }
    ~NestingGuard() { --parser.nesting_; }
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;
  };

  std::string unexpected_message() const {
    if (pos_ >= text_.size()) return "unexpected end of expression";
    if (text_[pos_] == '^') return "unexpected '^': write powers as **";
    return "unexpected '" + std::string(1, text_[pos_]) + "'";
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool accept(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) == token) {
      // "*" must not swallow the first half of "**".
      if (token == "*" && text_.substr(pos_, 2) == "**") return false;
      pos_ += token.size();
      return true;
    }
    return false;
  }

  NodePtr expression() {
    NodePtr left = term();
    for (;;) {
      skip_space();
      const std::size_t at = pos_;
      if (accept("+")) {
        left = binary(OpCode::Add, at, std::move(left), term());
      } else if (accept("-")) {
        left = binary(OpCode::Sub, at, std::move(left), term());
      } else {
        return left;
      }
    }
  }

  NodePtr term() {
    NodePtr left = unary();
    for (;;) {
      skip_space();
      const std::size_t at = pos_;
      if (accept("*")) {
        left = binary(OpCode::Mul, at, std::move(left), unary());
      } else if (accept("/")) {
        left = binary(OpCode::Div, at, std::move(left), unary());
      } else {
        return left;
      }
    }
  }

  NodePtr unary() {
    skip_space();
    const std::size_t at = pos_;
    const NestingGuard guard(*this, at);
    if (accept("-")) {
      std::vector<NodePtr> args;
      args.push_back(unary());
      return make_op(OpCode::Neg, at, std::move(args));
    }
    if (accept("+")) return unary();
    return power();
  }

  // Python semantics: ** binds tighter than a unary minus on its left, is right-associative, and
  // its exponent may carry a sign: -x**2 == -(x**2), 2**-1 == 0.5, a**b**c == a**(b**c).
  NodePtr power() {
    NodePtr base = primary();
    skip_space();
    const std::size_t at = pos_;
    if (accept("**")) return binary(OpCode::Pow, at, std::move(base), unary());
    return base;
  }

  NodePtr binary(OpCode op, std::size_t at, NodePtr a, NodePtr b) const {
    std::vector<NodePtr> args;
    args.push_back(std::move(a));
    args.push_back(std::move(b));
    return make_op(op, at, std::move(args));
  }

  NodePtr primary() {
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end of expression", pos_);
    const char c = text_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return name_or_call();
    if (c == '(') {
      const std::size_t open = pos_++;
      NodePtr inner = expression();
      if (!accept(")")) {
        skip_space();
        fail(pos_ >= text_.size() ? "missing ')' for the '(' opened here" : unexpected_message(),
             pos_ >= text_.size() ? open : pos_);
      }
      return inner;
    }
    fail(unexpected_message(), pos_);
  }

  NodePtr number() {
    const std::size_t start = pos_;
    auto digits = [&] {
      std::size_t count = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_, ++count;
      return count;
    };
    std::size_t count = digits();
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      count += digits();
    }
    if (count == 0) fail("a number needs digits", start);
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      const std::size_t exponent_at = pos_++;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) fail("the exponent of a number needs digits", exponent_at);
    }
    double value = 0.0;
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    const auto result = std::from_chars(first, last, value);
    if (result.ec != std::errc() || result.ptr != last) fail("number out of range", start);
    if (pos_ < text_.size() && (std::isalpha(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      fail("a name cannot start with a digit", start);
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::Number;
    node->number = value;
    node->position = start;
    return node;
  }

  NodePtr name_or_call() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    const std::string name(text_.substr(start, pos_ - start));
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '(') {
      const FunctionInfo* fn = find_function(name);
      if (fn == nullptr) fail("unknown function '" + name + "'", start);
      ++pos_;
      std::vector<NodePtr> args;
      skip_space();
      if (!(pos_ < text_.size() && text_[pos_] == ')')) {
        args.push_back(expression());
        while (accept(",")) args.push_back(expression());
      }
      if (!accept(")")) {
        skip_space();
        fail(pos_ >= text_.size() ? "missing ')' after the arguments of '" + name + "'"
                                  : unexpected_message(),
             pos_);
      }
      if (static_cast<int>(args.size()) != fn->arity)
        fail("'" + name + "' takes " + std::to_string(fn->arity) + " argument" +
                 (fn->arity == 1 ? "" : "s") + ", got " + std::to_string(args.size()),
             start);
      return make_op(fn->op, start, std::move(args));
    }
    if (find_function(name) != nullptr) fail("function '" + name + "' needs arguments in ()", start);
    auto node = std::make_unique<Node>();
    if (name == "pi") {
      node->kind = Node::Kind::Number;
      node->number = 3.14159265358979323846;
    } else {
      node->kind = Node::Kind::Name;
      node->name = name;
    }
    node->position = start;
    return node;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t nesting_ = 0;
};

void collect_names(const Node& node, std::vector<const Node*>& out) {
  if (node.kind == Node::Kind::Name) out.push_back(&node);
  for (const NodePtr& arg : node.args) collect_names(*arg, out);
}

bool is_constant(const Node& node) { return node.kind == Node::Kind::Number; }

bool depends_on(const Node& node, const std::vector<std::string>& parameters) {
  if (node.kind == Node::Kind::Name)
    return std::find(parameters.begin(), parameters.end(), node.name) != parameters.end();
  return std::any_of(node.args.begin(), node.args.end(),
                     [&](const NodePtr& a) { return depends_on(*a, parameters); });
}

// Folds constant subtrees and rewrites x**c into PowConst/Square.
void fold(Node& node) {
  for (NodePtr& arg : node.args) fold(*arg);
  if (node.kind != Node::Kind::Op) return;
  const bool all_constant = std::all_of(node.args.begin(), node.args.end(),
                                        [](const NodePtr& a) { return is_constant(*a); });
  if (all_constant) {
    // Evaluate the constant subtree with the very code that runs at evaluation time.
    std::vector<Instruction> program;
    for (const NodePtr& a : node.args) program.push_back({OpCode::Const, 0, a->number});
    program.push_back({node.op, 0, node.number});
    std::array<double, 2> stack{};
    const double v = detail::run_program<double>(program, nullptr, nullptr, stack.data());
    node.kind = Node::Kind::Number;
    node.number = v;
    node.args.clear();
    return;
  }
  if (node.op == OpCode::Pow && is_constant(*node.args[1])) {
    const double exponent = node.args[1]->number;
    node.args.pop_back();
    if (exponent == 2.0) {
      node.op = OpCode::Square;
    } else {
      node.op = OpCode::PowConst;
      node.number = exponent;
    }
  }
}

struct Compiler {
  const std::vector<std::string>& inputs;
  const std::vector<std::string>& parameters;
  std::vector<Instruction> program;
  std::size_t depth = 0;
  std::size_t max_depth = 0;

  static int index_of(const std::vector<std::string>& names, const std::string& name) {
    const auto it = std::find(names.begin(), names.end(), name);
    return it == names.end() ? -1 : static_cast<int>(it - names.begin());
  }

  void push(Instruction ins, int pops, int pushes) {
    program.push_back(ins);
    depth = depth - pops + pushes;
    max_depth = std::max(max_depth, depth);
  }

  void emit(const Node& node) {
    switch (node.kind) {
      case Node::Kind::Number: push({OpCode::Const, 0, node.number}, 0, 1); return;
      case Node::Kind::Name: {
        const int input = index_of(inputs, node.name);
        if (input >= 0) {
          push({OpCode::Input, input, 0.0}, 0, 1);
        } else {
          push({OpCode::Param, index_of(parameters, node.name), 0.0}, 0, 1);
        }
        return;
      }
      case Node::Kind::Op: {
        for (const NodePtr& arg : node.args) emit(*arg);
        const int arity = static_cast<int>(node.args.size());
        const bool data_base = node.op == OpCode::Pow && !depends_on(*node.args[0], parameters);
        push({data_base ? OpCode::PowDataBase : node.op, 0, node.number}, arity, 1);
        return;
      }
    }
  }
};

bool valid_identifier(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

void check_names(const std::vector<std::string>& names, const char* what, std::string_view text) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!valid_identifier(names[i]) || names[i] == "pi" || find_function(names[i]) != nullptr)
      throw ExpressionError(std::string(what) + " name '" + names[i] +
                                "' is not a usable identifier (letters, digits, _; not pi or a function)",
                            text, 0);
    for (std::size_t j = 0; j < i; ++j)
      if (names[i] == names[j])
        throw ExpressionError(std::string(what) + " name '" + names[i] + "' is listed twice", text, 0);
  }
}

}  // namespace

ExpressionError::ExpressionError(const std::string& message, std::string_view text, std::size_t position)
    : std::invalid_argument(with_caret(message + " at position " + std::to_string(position), text, position)),
      reason_(message),
      position_(position) {}

Expression::Expression(std::string text, std::vector<std::string> inputs,
                       std::optional<std::vector<std::string>> parameters)
    : text_(std::move(text)), inputs_(std::move(inputs)) {
  check_names(inputs_, "input", text_);
  NodePtr root = Parser(text_).parse();

  std::vector<const Node*> names;
  collect_names(*root, names);
  if (parameters) {
    check_names(*parameters, "parameter", text_);
    for (const std::string& p : *parameters) {
      if (std::find(inputs_.begin(), inputs_.end(), p) != inputs_.end())
        throw ExpressionError("'" + p + "' is both an input and a parameter", text_, 0);
      const bool used = std::any_of(names.begin(), names.end(), [&](const Node* n) { return n->name == p; });
      if (!used) throw ExpressionError("parameter '" + p + "' does not appear in the expression", text_, 0);
    }
    for (const Node* n : names) {
      const bool known = std::find(inputs_.begin(), inputs_.end(), n->name) != inputs_.end() ||
                         std::find(parameters->begin(), parameters->end(), n->name) != parameters->end();
      if (!known) throw ExpressionError("unknown name '" + n->name + "'", text_, n->position);
    }
    parameters_ = std::move(*parameters);
  } else {
    for (const Node* n : names) {
      const bool seen = std::find(inputs_.begin(), inputs_.end(), n->name) != inputs_.end() ||
                        std::find(parameters_.begin(), parameters_.end(), n->name) != parameters_.end();
      if (!seen) parameters_.push_back(n->name);
    }
  }

  fold(*root);
  Compiler compiler{inputs_, parameters_, {}, 0, 0};
  compiler.emit(*root);
  program_ = std::move(compiler.program);
  stack_size_ = compiler.max_depth;
}

double Expression::operator()(const std::vector<double>& x, const std::vector<double>& p) const {
  if (x.size() != inputs_.size() || p.size() != parameters_.size())
    throw std::invalid_argument("expression '" + text_ + "' takes " + std::to_string(inputs_.size()) +
                                " inputs and " + std::to_string(parameters_.size()) + " parameters");
  std::vector<double> stack(stack_size_);
  return evaluate(x.data(), p.data(), stack.data());
}

}  // namespace dvfskit
