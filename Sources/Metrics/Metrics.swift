// Metrics: unbiased pass@k, maj@k and best-of-N@k estimators, bootstrap intervals,
// the scaling-law fit of coverage against k, and compute cost.
