#include "dvfskit/expression.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <memory>
#include <utility>

namespace dvfskit {

namespace {

// ---------------------------------------------------------------------------------------------
// UTF-8 text: names follow Python's identifier rules; positions and carets count characters.

struct CodePointRange {
  char32_t first;
  char32_t last;
};
#include "unicode_identifier.inc"

struct Decoded {
  char32_t code_point = 0;
  std::size_t length = 0;  // bytes; 0 for an invalid byte
};

// Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
Decoded decode_utf8(std::string_view s, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(pos);
  if (b0 < 0x80) return {b0, 1};
  std::size_t length = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2, cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3, cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4, cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {};
  }
  if (pos + length > s.size()) return {};
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char b = byte(pos + i);
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) return {};
    cp = (cp << 6) | (b & 0x3Fu);
  }
  return {cp, length};
}

// The UTF-8 form of a UTF-16 surrogate (not a character; Python's lone "\ud800"), or 0.
char32_t surrogate_at(std::string_view s, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  if (pos + 2 < s.size() && byte(pos) == 0xED && byte(pos + 1) >= 0xA0 && byte(pos + 1) <= 0xBF &&
      byte(pos + 2) >= 0x80 && byte(pos + 2) <= 0xBF)
    return 0xD000 | ((byte(pos + 1) & 0x3Fu) << 6) | (byte(pos + 2) & 0x3Fu);
  return 0;
}

// One character of `s` at `pos` for display and counting: an invalid byte, or a surrogate, counts
// as one (shown as U+FFFD), so that positions match Python's string indices.
Decoded next_char(std::string_view s, std::size_t pos) {
  const Decoded d = decode_utf8(s, pos);
  if (d.length) return d;
  return {0xFFFD, surrogate_at(s, pos) ? std::size_t{3} : std::size_t{1}};
}

template <std::size_t N>
bool in_ranges(char32_t c, const CodePointRange (&ranges)[N]) {
  const auto* it = std::upper_bound(std::begin(ranges), std::end(ranges), c,
                                    [](char32_t v, const CodePointRange& r) { return v < r.first; });
  return it != std::begin(ranges) && c <= (it - 1)->last;
}

bool identifier_start(char32_t c) {
  if (c < 0x80) return std::isalpha(static_cast<int>(c)) || c == '_';
  return in_ranges(c, kIdentifierStart);
}

bool identifier_continue(char32_t c) {
  if (c < 0x80) return std::isalnum(static_cast<int>(c)) || c == '_';
  return in_ranges(c, kIdentifierContinue);
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string code_point_name(char32_t c) {
  std::array<char, 16> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "U+%04X", static_cast<unsigned>(c));
  return buffer.data();
}

// The characters of `s` for display, one per character of `s`: NUL as U+2400 (a message must not
// be cut short at a C string boundary), an invalid byte as U+FFFD, line breaks as spaces (the
// caret line stays under the text).
std::vector<std::string> display_chars(std::string_view s) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < s.size();) {
    const Decoded d = next_char(s, pos);
    std::string c;
    if (d.code_point == 0) {
      append_utf8(c, 0x2400);
    } else if (d.code_point == '\n' || d.code_point == '\r' || d.code_point == '\v' || d.code_point == '\f') {
      c = " ";
    } else {
      append_utf8(c, d.code_point);
    }
    out.push_back(std::move(c));
    pos += d.length;
  }
  return out;
}

std::string printable(std::string_view s) {
  std::string out;
  for (const std::string& c : display_chars(s)) out += c;
  return out;
}

// Characters before byte `byte` of `text`.
std::size_t char_offset(std::string_view text, std::size_t byte) {
  std::size_t chars = 0;
  for (std::size_t pos = 0; pos < byte && pos < text.size(); pos += next_char(text, pos).length) ++chars;
  return chars;
}

// The text (a window of it around the fault when long) with a caret under character `position`.
std::string with_caret(const std::string& message, std::string_view text, std::size_t position) {
  constexpr std::size_t kWindow = 100;
  const std::vector<std::string> chars = display_chars(text);
  std::size_t first = 0, last = chars.size();
  if (chars.size() > kWindow) {
    first = position > kWindow / 2 ? std::min(position - kWindow / 2, chars.size() - kWindow) : 0;
    last = first + kWindow;
  }
  std::string line = first > 0 ? "..." : "";
  std::string caret(line.size(), ' ');
  for (std::size_t i = first; i < last; ++i) {
    line += chars[i];
    if (i < position) caret += chars[i] == "\t" ? '\t' : ' ';
  }
  if (last < chars.size()) line += "...";
  return message + "\n  " + line + "\n  " + caret + "^";
}

// The first NUL or invalid UTF-8 byte of `s`, or npos.
std::size_t first_unusable_byte(std::string_view s, bool& is_nul) {
  for (std::size_t pos = 0; pos < s.size();) {
    const Decoded d = decode_utf8(s, pos);
    if (d.length == 0 || d.code_point == 0) {
      is_nul = d.length != 0;
      return pos;
    }
    pos += d.length;
  }
  return std::string_view::npos;
}

// ---------------------------------------------------------------------------------------------
// Grammar.

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

// Bound on real nesting: parentheses, unary operators, function calls and the right operand of
// ** (every recursive cycle of the grammar passes through unary()). Parsing, folding, compiling
// and destroying the tree are recursive, so this keeps hostile input such as "((((...", "-----x"
// or "x**x**x..." from exhausting the stack. A flat run such as a sum of a million terms is one
// Chain node and does not nest; the tree is at most 3 * kMaxDepth + 2 levels high.
constexpr std::size_t kMaxDepth = 400;

// Abstract syntax tree, only alive during parsing.
struct Node {
  // Chain: a left-associative run args[0] op args[1] op args[2] ... of + and - (or * and /),
  // flat however long; ops[i - 1] combines the value so far with args[i].
  enum class Kind { Number, Name, Op, Chain } kind;
  double number = 0.0;
  std::string name;
  std::size_t position = 0;  // byte offset in the text
  OpCode op = OpCode::Const;
  std::vector<std::unique_ptr<Node>> args;
  std::vector<OpCode> ops;
};
using NodePtr = std::unique_ptr<Node>;

struct BinaryToken {
  std::string_view token;
  OpCode op;
};
constexpr std::array<BinaryToken, 2> kSumTokens{{{"+", OpCode::Add}, {"-", OpCode::Sub}}};
constexpr std::array<BinaryToken, 2> kProductTokens{{{"*", OpCode::Mul}, {"/", OpCode::Div}}};

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
  [[noreturn]] void fail(const std::string& message, std::size_t byte) const {
    throw ExpressionError(message, text_, char_offset(text_, byte));
  }

  // Counts the nesting of unary() (every recursive cycle of the grammar passes through it).
  struct NestingGuard {
    Parser& parser;
    explicit NestingGuard(Parser& p, std::size_t position) : parser(p) {
      if (++parser.nesting_ > kMaxDepth)
        parser.fail("expression nested too deeply (more than " + std::to_string(kMaxDepth) +
                        " levels of parentheses, unary operators, function calls or powers)",
                    position);
    }
    ~NestingGuard() { --parser.nesting_; }
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;
  };

  char32_t peek() const { return pos_ < text_.size() ? decode_utf8(text_, pos_).code_point : 0; }

  std::string unexpected_message() const {
    if (pos_ >= text_.size()) return "unexpected end of expression";
    const char32_t c = peek();
    if (c == '^') return "unexpected '^': write powers as **";
    if (c > 0x20 && c < 0x7F) return "unexpected '" + std::string(1, static_cast<char>(c)) + "'";
    if (c < 0x80) return "unexpected character " + code_point_name(c);
    std::string shown;
    append_utf8(shown, c);
    return "unexpected '" + shown + "' (" + code_point_name(c) + ")";
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

  // operand (op operand)* as one flat Chain node (or the operand alone).
  template <std::size_t N>
  NodePtr chain(NodePtr (Parser::*operand)(), const std::array<BinaryToken, N>& tokens) {
    NodePtr first = (this->*operand)();
    NodePtr node;
    for (;;) {
      skip_space();
      const std::size_t at = pos_;
      const auto it = std::find_if(tokens.begin(), tokens.end(), [&](const BinaryToken& t) { return accept(t.token); });
      if (it == tokens.end()) return node ? std::move(node) : std::move(first);
      if (!node) {
        node = std::make_unique<Node>();
        node->kind = Node::Kind::Chain;
        node->position = at;
        node->args.push_back(std::move(first));
      }
      node->ops.push_back(it->op);
      node->args.push_back((this->*operand)());
    }
  }

  NodePtr expression() { return chain(&Parser::term, kSumTokens); }
  NodePtr term() { return chain(&Parser::unary, kProductTokens); }

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
    if (accept("**")) {
      std::vector<NodePtr> args;
      args.push_back(std::move(base));
      args.push_back(unary());
      return make_op(OpCode::Pow, at, std::move(args));
    }
    return base;
  }

  static NodePtr make_op(OpCode op, std::size_t position, std::vector<NodePtr> args) {
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::Op;
    node->op = op;
    node->position = position;
    node->args = std::move(args);
    return node;
  }

  NodePtr primary() {
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end of expression", pos_);
    const char32_t c = peek();
    if ((c < 0x80 && std::isdigit(static_cast<int>(c))) || c == '.') return number();
    if (identifier_start(c)) return name_or_call();
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
    if (pos_ < text_.size() && identifier_continue(peek())) fail("a name cannot start with a digit", start);
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::Number;
    node->number = value;
    node->position = start;
    return node;
  }

  NodePtr name_or_call() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && identifier_continue(peek())) pos_ += decode_utf8(text_, pos_).length;
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

// `op` on constant arguments, computed by the very code that runs at evaluation time.
double constant_result(OpCode op, const std::vector<double>& args, double immediate) {
  std::vector<Instruction> program;
  for (const double a : args) program.push_back({OpCode::Const, 0, a});
  program.push_back({op, 0, immediate});
  std::array<double, 2> stack{};
  return detail::run_program<double>(program, nullptr, nullptr, stack.data());
}

void make_number(Node& node, double value) {
  node.kind = Node::Kind::Number;
  node.number = value;
  node.args.clear();
  node.ops.clear();
}

// A chain's leading constants, folded left to right as evaluation would combine them (later
// constants are not moved: floating-point sums and products are not associative).
void fold_chain(Node& node) {
  std::size_t k = 1;
  while (k < node.args.size() && is_constant(*node.args[0]) && is_constant(*node.args[k])) {
    node.args[0]->number = constant_result(node.ops[k - 1], {node.args[0]->number, node.args[k]->number}, 0.0);
    ++k;
  }
  node.args.erase(node.args.begin() + 1, node.args.begin() + static_cast<std::ptrdiff_t>(k));
  node.ops.erase(node.ops.begin(), node.ops.begin() + static_cast<std::ptrdiff_t>(k - 1));
  if (node.args.size() == 1) {
    const NodePtr only = std::move(node.args[0]);
    node = std::move(*only);
  }
}

// Folds constant subtrees and rewrites x**c into PowConst/Square.
void fold(Node& node) {
  for (NodePtr& arg : node.args) fold(*arg);
  if (node.kind == Node::Kind::Chain) return fold_chain(node);
  if (node.kind != Node::Kind::Op) return;
  if (std::all_of(node.args.begin(), node.args.end(), [](const NodePtr& a) { return is_constant(*a); })) {
    std::vector<double> args;
    for (const NodePtr& a : node.args) args.push_back(a->number);
    make_number(node, constant_result(node.op, args, node.number));
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
      case Node::Kind::Chain: {
        emit(*node.args[0]);
        for (std::size_t i = 1; i < node.args.size(); ++i) {
          emit(*node.args[i]);
          push({node.ops[i - 1], 0, 0.0}, 2, 1);
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

bool valid_identifier(std::string_view name) {
  for (std::size_t pos = 0; pos < name.size();) {
    const Decoded d = decode_utf8(name, pos);
    if (d.length == 0 || !(pos == 0 ? identifier_start(d.code_point) : identifier_continue(d.code_point))) return false;
    pos += d.length;
  }
  return !name.empty();
}

void check_names(const std::vector<std::string>& names, const char* what, std::string_view text) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!valid_identifier(names[i]) || names[i] == "pi" || find_function(names[i]) != nullptr)
      throw ExpressionError(std::string(what) + " name '" + names[i] +
                                "' is not a usable identifier (a Python identifier; not pi or a function)",
                            text, 0);
    for (std::size_t j = 0; j < i; ++j)
      if (names[i] == names[j])
        throw ExpressionError(std::string(what) + " name '" + names[i] + "' is listed twice", text, 0);
  }
}

// Text that cannot be shown or parsed: a NUL (it would cut a C string short) or invalid UTF-8.
void check_text(std::string_view text) {
  bool is_nul = false;
  const std::size_t at = first_unusable_byte(text, is_nul);
  if (at == std::string_view::npos) return;
  const std::size_t position = char_offset(text, at);
  if (is_nul) throw ExpressionError("the expression contains a NUL character (shown as \u2400)", text, position);
  if (const char32_t surrogate = surrogate_at(text, at))
    throw ExpressionError("invalid UTF-8 (a lone surrogate " + code_point_name(surrogate) + " is not a character)",
                          text, position);
  std::array<char, 8> hex{};
  std::snprintf(hex.data(), hex.size(), "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(text[at])));
  throw ExpressionError(std::string("invalid UTF-8 (byte ") + hex.data() + ")", text, position);
}

}  // namespace

ExpressionError::ExpressionError(const std::string& message, std::string_view text, std::size_t position)
    : std::invalid_argument(
          with_caret(printable(message) + " at position " + std::to_string(position), text, position)),
      reason_(printable(message)),
      position_(position) {}

Expression::Expression(std::string text, std::vector<std::string> inputs,
                       std::optional<std::vector<std::string>> parameters, UnusedParameters unused)
    : text_(std::move(text)), inputs_(std::move(inputs)) {
  check_text(text_);
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
      if (!used && unused == UnusedParameters::Reject)
        throw ExpressionError("parameter '" + p + "' does not appear in the expression", text_, 0);
    }
    for (const Node* n : names) {
      const bool known = std::find(inputs_.begin(), inputs_.end(), n->name) != inputs_.end() ||
                         std::find(parameters->begin(), parameters->end(), n->name) != parameters->end();
      if (!known) throw ExpressionError("unknown name '" + n->name + "'", text_, char_offset(text_, n->position));
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
    throw std::invalid_argument("expression '" + printable(text_) + "' takes " + std::to_string(inputs_.size()) +
                                " inputs and " + std::to_string(parameters_.size()) + " parameters");
  std::vector<double> stack(stack_size_);
  return evaluate(x.data(), p.data(), stack.data());
}

}  // namespace dvfskit
