#!/usr/bin/env bash
# Writes 120 days of daily history (metric,day,value) that follow graph.yaml's
# linearised relations with a weekly season and fixed pseudo-noise, so
# `simulate graph learn` and `simulate forecast` have something real to fit.
set -euo pipefail
awk 'BEGIN {
  srand(7); print "metric,day,value";
  split("6 -4 2 0 -5 3 -2", season, " ");
  for (t = 0; t < 120; t++) { s[t] = 2000 + 300 * sin(t / 5.0) + 100 * (rand() - 0.5) }
  for (t = 0; t < 120; t++) {
    day = strftime("%Y-%m-%d", 1754006400 + t * 86400, 1);
    v = 5000 + 1.5 * (t >= 3 ? s[t - 3] : 2000) + 40 * season[t % 7 + 1] + 80 * (rand() - 0.5);
    o = 0.03 * v + 2 * (rand() - 0.5);
    printf "marketing_spend,%s,%.2f\nvisits,%s,%.2f\norders,%s,%.2f\n", day, s[t], day, v, day, o;
  }
}'
