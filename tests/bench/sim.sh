#!/usr/bin/env bash
# simulate benchmarks: the exact engine on seeded synthetic graphs.
#   - one what-if on 100,000 metrics / 500,000 edges to a 365-day horizon (target < 1 s)
#   - 10,000 Monte Carlo samples on a 1,000-metric graph, steady state (target < 2 s)
#   - the same samples also simulated day by day to day 30 (p10/p50/p90 on days)
#   - a 100,000-long chain (no recursion to overflow)
# Each figure is printed with the command that produced it. On a shared
# machine read cpu_seconds (pin with taskset -c 0), not the wall clock.
set -euo pipefail
bin=${OPSKIT_BIN:?OPSKIT_BIN must point at the build bin directory}/simulate
run() {
  echo "\$ $*"
  "$@"
}
run "$bin" bench --metrics 100000 --edges 500000 --max-lag 7 --loops 100 --horizon 365 --seed 42
run "$bin" bench --metrics 1000 --edges 5000 --max-lag 7 --loops 10 --samples 10000 --seed 42
run "$bin" bench --metrics 1000 --edges 5000 --max-lag 7 --loops 10 --samples 10000 --mc-horizon 30 --seed 42
run "$bin" bench --metrics 100000 --edges 99999 --max-lag 0 --loops 0 --horizon 1 --seed 42
