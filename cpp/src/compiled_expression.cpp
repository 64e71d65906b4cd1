#include "dvfskit/compiled_expression.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include <ceres/jet.h>

#include "dvfskit/linear_parameters.hpp"

namespace dvfskit {

CompiledExpression::CompiledExpression(const Expression& expression)
    : expression_(expression), linear_(linear_parameters(expression)) {
  const std::vector<Instruction>& program = expression.program();
  const std::size_t size = program.size();
  // The subtree of instruction i spans [start[i], i]; free[i]: no parameter in it.
  std::vector<std::size_t> start(size), parent(size, size);
  std::vector<char> free(size, 0);
  std::vector<std::size_t> first_child(size, size);
  std::vector<std::size_t> stack;
  for (std::size_t i = 0; i < size; ++i) {
    const int k = operand_count(program[i].op);
    bool is_free = program[i].op != OpCode::Param;
    std::size_t s = i;
    for (int c = 0; c < k; ++c) {
      const std::size_t child = stack.back();
      stack.pop_back();
      parent[child] = i;
      is_free = is_free && free[child];
      s = start[child];
      first_child[i] = child;  // the last popped is the first operand
    }
    start[i] = s;
    free[i] = is_free;
    stack.push_back(i);
  }
  // Hoist maximal parameter-free subtrees of more than one instruction.
  const std::size_t inputs = num_inputs();
  std::vector<int> column_of(size, -1);  // instruction -> column id holding its value
  std::vector<char> skip(size, 0);
  for (std::size_t i = 0; i < size; ++i) {
    if (program[i].op == OpCode::Input) column_of[i] = program[i].index;
    const bool root = free[i] && start[i] < i && (parent[i] == size || !free[parent[i]]);
    if (!root) continue;
    Hoisted h;
    h.program.assign(program.begin() + static_cast<std::ptrdiff_t>(start[i]),
                     program.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    h.stack_size = h.program.size();
    column_of[i] = static_cast<int>(inputs + hoisted_.size());
    hoisted_.push_back(std::move(h));
    std::fill(skip.begin() + static_cast<std::ptrdiff_t>(start[i]), skip.begin() + static_cast<std::ptrdiff_t>(i), 1);
  }
  std::size_t depth = 0;
  std::vector<std::pair<std::size_t, int>> log_requests;  // (instruction, base column)
  for (std::size_t i = 0; i < size; ++i) {
    if (skip[i]) continue;
    const Instruction& ins = program[i];
    Step step{StepKind::Const};
    if (column_of[i] >= 0) {
      step.kind = StepKind::Column;
      step.index = column_of[i];
    } else if (ins.op == OpCode::Const) {
      step.value = ins.value;
    } else if (ins.op == OpCode::Param) {
      step.kind = StepKind::Param;
      step.index = ins.index;
    } else if (ins.op == OpCode::PowDataBase && column_of[first_child[i]] >= 0) {
      step.kind = StepKind::PowLog;
      step.op = ins.op;
      log_requests.emplace_back(steps_.size(), column_of[first_child[i]]);
    } else {
      step.kind = operand_count(ins.op) == 1 ? StepKind::Unary : StepKind::Binary;
      step.op = ins.op;
      step.value = ins.value;
    }
    if (step.kind == StepKind::Column || step.kind == StepKind::Const || step.kind == StepKind::Param) {
      stack_size_ = std::max(stack_size_, ++depth);
    } else if (step.kind != StepKind::Unary) {
      --depth;
    }
    steps_.push_back(step);
  }
  const std::size_t first_log = inputs + hoisted_.size();
  for (const auto& [step, base] : log_requests) {
    auto it = std::find_if(logs_.begin(), logs_.end(), [&](const LogColumn& l) { return l.base == base; });
    if (it == logs_.end()) {
      logs_.push_back({base, static_cast<int>(first_log + logs_.size())});
      it = logs_.end() - 1;
    }
    steps_[step].index = it->column;
  }
}

CompiledData::CompiledData(const CompiledExpression& compiled, const std::vector<const double*>& inputs,
                           std::size_t n)
    : n_(n) {
  const std::size_t num_inputs = compiled.num_inputs();
  const std::size_t derived = compiled.hoisted().size() + compiled.logs().size();
  storage_.resize(derived * n);
  columns_.assign(inputs.begin(), inputs.end());
  columns_.resize(compiled.num_columns(), nullptr);
  usable_.assign(compiled.num_columns(), 0);
  for (std::size_t h = 0; h < derived; ++h) columns_[num_inputs + h] = storage_.data() + h * n;
  std::vector<double> x(num_inputs);
  std::vector<double> stack;
  for (std::size_t h = 0; h < compiled.hoisted().size(); ++h) {
    const CompiledExpression::Hoisted& hoisted = compiled.hoisted()[h];
    stack.resize(hoisted.stack_size);
    double* out = storage_.data() + h * n;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t k = 0; k < num_inputs; ++k) x[k] = inputs[k][i];
      out[i] = detail::run_program<double>(hoisted.program, x.data(), nullptr, stack.data());
    }
  }
  for (const CompiledExpression::LogColumn& l : compiled.logs()) {
    const double* base = columns_[static_cast<std::size_t>(l.base)];
    double* out = storage_.data() + (static_cast<std::size_t>(l.column) - num_inputs) * n;
    bool positive = true;
    for (std::size_t i = 0; i < n; ++i) {
      positive = positive && base[i] > 0.0 && std::isfinite(base[i]);
      out[i] = std::log(base[i]);
    }
    usable_[static_cast<std::size_t>(l.column)] = positive;
  }
}

namespace {

constexpr int kChunk = 64;

template <int N>
using JetN = ceres::Jet<double, N>;

enum class SlotKind : unsigned char { ScalarD, VectorD, ScalarJ, VectorJ };

template <int N>
struct Slot {
  SlotKind kind = SlotKind::ScalarD;
  double s = 0.0;
  JetN<N> sj;
  const double* vd = nullptr;
  const JetN<N>* vj = nullptr;
};

template <int N>
struct Scratch {
  std::vector<double> d;
  std::vector<JetN<N>> j;
  std::vector<Slot<N>> slots;
  std::vector<int> lane;
};

template <int N>
Scratch<N>& scratch(std::size_t depth, std::size_t np) {
  thread_local Scratch<N> s;
  if (s.d.size() < depth * kChunk) {
    s.d.resize(depth * kChunk);
    s.j.resize(depth * kChunk);
  }
  if (s.slots.size() < depth) s.slots.resize(depth);
  if (s.lane.size() < np) s.lane.resize(np);
  return s;
}

// Accessors: a slot read at point i, as a double or a Jet, scalar or per point.
struct ScalarD { double v; double operator[](int) const { return v; } };
struct VectorD { const double* p; double operator[](int i) const { return p[i]; } };
template <int N> struct ScalarJ { const JetN<N>* v; const JetN<N>& operator[](int) const { return *v; } };
template <int N> struct VectorJ { const JetN<N>* p; const JetN<N>& operator[](int i) const { return p[i]; } };

template <int N, typename F>
void visit(const Slot<N>& s, F&& f) {
  switch (s.kind) {
    case SlotKind::ScalarD: f(ScalarD{s.s}); break;
    case SlotKind::VectorD: f(VectorD{s.vd}); break;
    case SlotKind::ScalarJ: f(ScalarJ<N>{&s.sj}); break;
    case SlotKind::VectorJ: f(VectorJ<N>{s.vj}); break;
  }
}

template <typename Accessor>
constexpr bool is_jet_accessor() {
  return !std::is_same_v<Accessor, ScalarD> && !std::is_same_v<Accessor, VectorD>;
}

inline double value_of(double x) { return x; }
template <int N>
double value_of(const JetN<N>& x) { return x.a; }

// pow with one pow() call where Ceres needs two (f^(g-1) = f^g / f for f != 0).
inline double power(double f, double g) { return std::pow(f, g); }
template <int N>
JetN<N> power(const JetN<N>& f, double g) {
  if (f.a == 0.0) return ceres::pow(f, g);
  const double t = std::pow(f.a, g);
  return JetN<N>(t, (g * t / f.a) * f.v);
}
template <int N>
JetN<N> power(double f, const JetN<N>& g) {
  return ceres::pow(f, g);
}
template <int N>
JetN<N> power(const JetN<N>& f, const JetN<N>& g) {
  if (!(f.a > 0.0)) return ceres::pow(f, g);
  const double t = std::pow(f.a, g.a);
  return JetN<N>(t, (g.a * t / f.a) * f.v + (t * std::log(f.a)) * g.v);
}

// The operations with the opcode fixed at compile time, so that the loops over points carry no
// switch: with_binary / with_unary call f with the operation for a runtime opcode.
template <int N, OpCode Op>
struct BinaryOp {
  template <typename X, typename Y>
  auto operator()(const X& x, const Y& y) const {
    using R = std::conditional_t<std::is_same_v<X, double> && std::is_same_v<Y, double>, double, JetN<N>>;
    if constexpr (Op == OpCode::Add) return R(x + y);
    else if constexpr (Op == OpCode::Sub) return R(x - y);
    else if constexpr (Op == OpCode::Mul) return R(x * y);
    else if constexpr (Op == OpCode::Div) return R(x / y);
    else if constexpr (Op == OpCode::Pow) return R(power(x, y));
    else if constexpr (Op == OpCode::Min) return value_of(y) < value_of(x) ? R(y) : R(x);
    else return value_of(y) > value_of(x) ? R(y) : R(x);  // Max
  }
};

template <int N, typename F>
void with_binary(OpCode op, F&& f) {
  switch (op) {
    case OpCode::Add: f(BinaryOp<N, OpCode::Add>{}); break;
    case OpCode::Sub: f(BinaryOp<N, OpCode::Sub>{}); break;
    case OpCode::Mul: f(BinaryOp<N, OpCode::Mul>{}); break;
    case OpCode::Div: f(BinaryOp<N, OpCode::Div>{}); break;
    case OpCode::Min: f(BinaryOp<N, OpCode::Min>{}); break;
    case OpCode::Max: f(BinaryOp<N, OpCode::Max>{}); break;
    default: f(BinaryOp<N, OpCode::Pow>{}); break;  // Pow, PowDataBase
  }
}

template <OpCode Op>
struct UnaryOp {
  double value;  // the exponent of PowConst
  template <typename T>
  T operator()(const T& x) const {
    using std::abs; using std::atan; using std::cos; using std::exp; using std::log; using std::log10;
    using std::sin; using std::sqrt; using std::tan; using std::tanh;
    using ceres::abs; using ceres::atan; using ceres::cos; using ceres::exp; using ceres::log; using ceres::log10;
    using ceres::sin; using ceres::sqrt; using ceres::tan; using ceres::tanh;
    if constexpr (Op == OpCode::PowConst) return power(x, value);
    else if constexpr (Op == OpCode::Square) return x * x;
    else if constexpr (Op == OpCode::Neg) return -x;
    else if constexpr (Op == OpCode::Exp) return exp(x);
    else if constexpr (Op == OpCode::Log) return log(x);
    else if constexpr (Op == OpCode::Log10) return log10(x);
    else if constexpr (Op == OpCode::Sqrt) return sqrt(x);
    else if constexpr (Op == OpCode::Abs) return abs(x);
    else if constexpr (Op == OpCode::Sin) return sin(x);
    else if constexpr (Op == OpCode::Cos) return cos(x);
    else if constexpr (Op == OpCode::Tan) return tan(x);
    else if constexpr (Op == OpCode::Atan) return atan(x);
    else return tanh(x);  // Tanh
  }
};

template <typename F>
void with_unary(OpCode op, double value, F&& f) {
  switch (op) {
    case OpCode::PowConst: f(UnaryOp<OpCode::PowConst>{value}); break;
    case OpCode::Square: f(UnaryOp<OpCode::Square>{value}); break;
    case OpCode::Neg: f(UnaryOp<OpCode::Neg>{value}); break;
    case OpCode::Exp: f(UnaryOp<OpCode::Exp>{value}); break;
    case OpCode::Log: f(UnaryOp<OpCode::Log>{value}); break;
    case OpCode::Log10: f(UnaryOp<OpCode::Log10>{value}); break;
    case OpCode::Sqrt: f(UnaryOp<OpCode::Sqrt>{value}); break;
    case OpCode::Abs: f(UnaryOp<OpCode::Abs>{value}); break;
    case OpCode::Sin: f(UnaryOp<OpCode::Sin>{value}); break;
    case OpCode::Cos: f(UnaryOp<OpCode::Cos>{value}); break;
    case OpCode::Tan: f(UnaryOp<OpCode::Tan>{value}); break;
    case OpCode::Atan: f(UnaryOp<OpCode::Atan>{value}); break;
    default: f(UnaryOp<OpCode::Tanh>{value}); break;
  }
}

bool is_scalar(SlotKind k) { return k == SlotKind::ScalarD || k == SlotKind::ScalarJ; }
bool is_jet(SlotKind k) { return k == SlotKind::ScalarJ || k == SlotKind::VectorJ; }

template <int N, typename A, typename B, typename F>
void binary_loop(const A& x, const B& y, const F& f, int m, double* dbuf, JetN<N>* jbuf) {
  if constexpr (is_jet_accessor<A>() || is_jet_accessor<B>()) {
    for (int i = 0; i < m; ++i) jbuf[i] = f(x[i], y[i]);
  } else {
    for (int i = 0; i < m; ++i) dbuf[i] = f(x[i], y[i]);
  }
}

template <int N>
void apply_binary(OpCode op, Slot<N>& a, const Slot<N>& b, int m, double* dbuf, JetN<N>* jbuf) {
  if (is_scalar(a.kind) && is_scalar(b.kind)) {
    with_binary<N>(op, [&](const auto& f) {
      if (a.kind == SlotKind::ScalarD && b.kind == SlotKind::ScalarD) {
        a.s = f(a.s, b.s);
        return;
      }
      a.sj = f(a.kind == SlotKind::ScalarD ? JetN<N>(a.s) : a.sj, b.kind == SlotKind::ScalarD ? JetN<N>(b.s) : b.sj);
      a.kind = SlotKind::ScalarJ;
    });
    return;
  }
  const bool jet = is_jet(a.kind) || is_jet(b.kind);
  with_binary<N>(op, [&](const auto& f) {
    visit(a, [&](auto A) { visit(b, [&](auto B) { binary_loop<N>(A, B, f, m, dbuf, jbuf); }); });
  });
  if (jet) {
    a.kind = SlotKind::VectorJ;
    a.vj = jbuf;
  } else {
    a.kind = SlotKind::VectorD;
    a.vd = dbuf;
  }
}

template <int N>
void apply_unary(OpCode op, double value, Slot<N>& a, int m, double* dbuf, JetN<N>* jbuf) {
  with_unary(op, value, [&](const auto& f) {
    switch (a.kind) {
      case SlotKind::ScalarD: a.s = f(a.s); return;
      case SlotKind::ScalarJ: a.sj = f(a.sj); return;
      case SlotKind::VectorD:
        for (int i = 0; i < m; ++i) dbuf[i] = f(a.vd[i]);
        a.vd = dbuf;
        return;
      case SlotKind::VectorJ:
        for (int i = 0; i < m; ++i) jbuf[i] = f(a.vj[i]);
        a.vj = jbuf;
        return;
    }
  });
}

// base**e for a data base with log(base) precomputed: exp(e log base), d/de = value * log base.
template <int N>
void apply_pow_log(const double* base, const double* logs, bool usable, Slot<N>& a, const Slot<N>& e, int m,
                   double* dbuf, JetN<N>* jbuf) {
  visit(e, [&](auto E) {
    if constexpr (is_jet_accessor<std::decay_t<decltype(E)>>()) {
      for (int i = 0; i < m; ++i) {
        const JetN<N>& g = E[i];
        if (usable) {
          const double t = std::exp(g.a * logs[i]);
          jbuf[i] = JetN<N>(t, (t * logs[i]) * g.v);
        } else {
          jbuf[i] = ceres::pow(base[i], g);
        }
      }
      a.kind = SlotKind::VectorJ;
      a.vj = jbuf;
    } else {
      for (int i = 0; i < m; ++i) dbuf[i] = usable ? std::exp(E[i] * logs[i]) : std::pow(base[i], E[i]);
      a.kind = SlotKind::VectorD;
      a.vd = dbuf;
    }
  });
}

template <int N>
void run(const CompiledExpression& c, const CompiledData& data, const double* p, const int* subset, int k,
         double* value, double* jacobian, std::size_t rs, std::size_t cs) {
  const std::size_t np = c.num_parameters();
  const std::size_t depth = std::max<std::size_t>(c.stack_size(), 1);
  Scratch<N>& s = scratch<N>(depth, np);
  std::fill(s.lane.begin(), s.lane.begin() + static_cast<std::ptrdiff_t>(np), -1);
  for (int l = 0; l < k; ++l) s.lane[static_cast<std::size_t>(subset[l])] = l;
  const std::size_t n = data.size();
  for (std::size_t i0 = 0; i0 < n; i0 += kChunk) {
    const int m = static_cast<int>(std::min<std::size_t>(kChunk, n - i0));
    std::size_t top = 0;
    for (const CompiledExpression::Step& step : c.steps()) {
      Slot<N>* slots = s.slots.data();
      switch (step.kind) {
        case CompiledExpression::StepKind::Column: {
          Slot<N>& t = slots[top++];
          t.kind = SlotKind::VectorD;
          t.vd = data.column(step.index) + i0;
          break;
        }
        case CompiledExpression::StepKind::Const: {
          Slot<N>& t = slots[top++];
          t.kind = SlotKind::ScalarD;
          t.s = step.value;
          break;
        }
        case CompiledExpression::StepKind::Param: {
          Slot<N>& t = slots[top++];
          const int lane = s.lane[static_cast<std::size_t>(step.index)];
          if (lane >= 0) {
            t.kind = SlotKind::ScalarJ;
            t.sj = JetN<N>(p[step.index], lane);
          } else {
            t.kind = SlotKind::ScalarD;
            t.s = p[step.index];
          }
          break;
        }
        case CompiledExpression::StepKind::Unary:
          apply_unary<N>(step.op, step.value, slots[top - 1], m, s.d.data() + (top - 1) * kChunk,
                         s.j.data() + (top - 1) * kChunk);
          break;
        case CompiledExpression::StepKind::Binary:
          apply_binary<N>(step.op, slots[top - 2], slots[top - 1], m, s.d.data() + (top - 2) * kChunk,
                          s.j.data() + (top - 2) * kChunk);
          --top;
          break;
        case CompiledExpression::StepKind::PowLog: {
          const Slot<N>& base = slots[top - 2];
          apply_pow_log<N>(base.vd, data.column(step.index) + i0, data.log_usable(step.index), slots[top - 2],
                           slots[top - 1], m, s.d.data() + (top - 2) * kChunk, s.j.data() + (top - 2) * kChunk);
          --top;
          break;
        }
      }
    }
    const Slot<N>& r = s.slots[0];
    double* values = value + i0;
    visit(r, [&](auto R) {
      for (int i = 0; i < m; ++i) values[i] = value_of(R[i]);
      if (jacobian == nullptr) return;
      for (int i = 0; i < m; ++i) {
        double* out = jacobian + (i0 + static_cast<std::size_t>(i)) * rs;
        for (int l = 0; l < k; ++l) {
          if constexpr (is_jet_accessor<decltype(R)>()) {
            out[static_cast<std::size_t>(l) * cs] = R[i].v[l];
          } else {
            out[static_cast<std::size_t>(l) * cs] = 0.0;
          }
        }
      }
    });
  }
}

}  // namespace

void evaluate_compiled(const CompiledExpression& compiled, const CompiledData& data, const double* parameters,
                       const int* subset, int k, double* value, double* jacobian, std::size_t row_stride,
                       std::size_t col_stride) {
  if (jacobian == nullptr || k <= 0) {
    run<1>(compiled, data, parameters, subset, 0, value, nullptr, 0, 0);
    return;
  }
  // Derivatives in passes of at most 16 parameters.
  for (int first = 0; first < k; first += 16) {
    const int width = std::min(16, k - first);
    double* out = jacobian + static_cast<std::size_t>(first) * col_stride;
    if (width <= 1) run<1>(compiled, data, parameters, subset + first, width, value, out, row_stride, col_stride);
    else if (width <= 2) run<2>(compiled, data, parameters, subset + first, width, value, out, row_stride, col_stride);
    else if (width <= 4) run<4>(compiled, data, parameters, subset + first, width, value, out, row_stride, col_stride);
    else if (width <= 8) run<8>(compiled, data, parameters, subset + first, width, value, out, row_stride, col_stride);
    else run<16>(compiled, data, parameters, subset + first, width, value, out, row_stride, col_stride);
  }
}

}  // namespace dvfskit
