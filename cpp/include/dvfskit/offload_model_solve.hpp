// Solver for ModelProblem: for every split point, NLopt SLSQP (gradients from ceres::Jet through
// the expressions) from a deterministic set of starts over (f, m, rho, p, z), where z is an
// epigraph variable for the parallel part of the latency:
//   latency = t_local(l) + z,  z >= (1 - rho) t_rest(l),  z >= rho (t_tx(p) + t_server(l)).
// Energy = E_local(l) + (1 - rho) E_rest(l) + (p + p_circuit) t_tx + idle_power * rho t_server(l),
// with t_tx = rho out_bits[l] / r(p). Local optimum per start: no certificate; the tests check
// it against fine grids.
//
// Every point visited is checked: a model negative or not finite there throws std::domain_error
// naming the model, block and frequencies. With a token, checked at every evaluation: throws
// Cancelled once cancellation is requested.
//
// Thread safety: a pure function of its const arguments.
#pragma once

#include "dvfskit/cancel.hpp"
#include "dvfskit/offload_model_problem.hpp"
#include "dvfskit/offload_problem.hpp"
#include "dvfskit/offload_solution.hpp"
#include "dvfskit/offload_solve.hpp"

namespace dvfskit {

struct ModelSolveOptions {
  int starts_per_split = 12;   // deterministic starts (corners and interior of the box)
  int max_evaluations = 400;   // per start
  double feasibility_tol = 1e-7;  // relative, on the deadline
};

OffloadSolution solve(const ModelProblem& problem, const Scenario& scenario, const Objective& objective = {},
                      const ModelSolveOptions& options = {}, const CancelToken* cancel = nullptr);

}  // namespace dvfskit
