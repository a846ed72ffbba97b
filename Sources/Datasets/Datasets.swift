// Loaders for benchmark data sets (GSM8K, MATH-500, HumanEval, MBPP, ARC-Challenge)
// and Quorum's own JSONL task format, all producing `ScalingCore.Problem`.
