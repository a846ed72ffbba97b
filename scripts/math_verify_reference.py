#!/usr/bin/env python3
"""Math-Verify's verdicts on Quorum's math-answer fixtures (reference for the Swift tests).

Pinned versions (pip install these exactly):
    math-verify==0.9.0
    latex2sympy2_extended==1.11.0
    antlr4-python3-runtime==4.13.2
    sympy (as installed with the above)

Writes, under Tests/Fixtures/math/:
    answer_pairs.math_verify.jsonl   Math-Verify's verdict on every hand-labelled pair of
                                     answer_pairs.jsonl (same order): {"index", "math_verify"}
    math500_selfcheck.jsonl          for every MATH-500 problem: the gold `answer`, the last
                                     \\boxed{} of its own `solution` (extracted here with a
                                     brace counter), and Math-Verify's verdict on the pair.
    math500_rewrites.jsonl           for every MATH-500 gold: the gold re-rendered by SymPy
                                     (`sympy.latex` of Math-Verify's own parse of it, so a different
                                     spelling of the same answer: `6+9i` -> `9 i + 6`, `1,-2` ->
                                     `\\left\\{-2, 1\\right\\}`), and Math-Verify's verdict on
                                     (gold, rewrite); `rewrite` is null where SymPy could not render.

Both answers are handed to Math-Verify wrapped as `\\boxed{...}`, so its LaTeX extractor reads the
whole answer; the gold is the first argument of `verify`, as Math-Verify expects.

It also grades the policy pairs (Tests/Fixtures/math/policy_pairs.jsonl, labelled by issue 18's
grading policy): the gold as `\\boxed{gold}`; a bare prediction as `\\boxed{prediction}`; a full
response as it is (Math-Verify extracts its answer, as its authors intend). It prints Math-Verify's
agreement with the labels, and every disagreement with its id, kind and the label's note, and
writes the verdicts to policy_pairs.math_verify.jsonl ({"id", "math_verify"}).

Install the pinned packages with scripts/math_verify_setup.

Usage: python3 scripts/math_verify_reference.py [path/to/shared/data]   (everything)
       python3 scripts/math_verify_reference.py --policy                (the policy pairs only)
"""
import json
import os
import sys

import sympy
from math_verify import parse, verify

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "math")
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
DATA = ARGS[0] if ARGS else os.environ.get(
    "QUORUM_DATA", os.path.join(ROOT, "..", "shared", "data"))
if not os.path.isdir(DATA):  # a git worktree sits one level deeper than the main checkout
    DATA = os.path.join(ROOT, "..", "..", "shared", "data")


def last_boxed(text):
    """The content of the last \\boxed{...} or \\fbox{...} in text, braces balanced; None if absent."""
    best = None
    for marker in ("\\boxed", "\\fbox"):
        i = text.rfind(marker)
        if i >= 0 and (best is None or i > best[0]):
            best = (i, marker)
    if best is None:
        return None
    i = best[0] + len(best[1])
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text) or text[i] != "{":
        return None
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1:j]
    return None


def math_verify_equal(gold, candidate):
    try:
        g = parse("\\boxed{" + gold + "}")
        c = parse("\\boxed{" + candidate + "}")
        if not g or not c:
            return False
        return bool(verify(g, c))
    except Exception:  # Math-Verify's own failures count as "not equivalent", as in its defaults
        return False


def math_verify_response(gold, response):
    """Math-Verify on a full response: the gold boxed, the response extracted by Math-Verify."""
    try:
        g = parse("\\boxed{" + gold + "}")
        c = parse(response)
        if not g or not c:
            return False
        return bool(verify(g, c))
    except Exception:
        return False


def policy_pairs():
    """Math-Verify on the policy pairs: agreement with the labels, and every disagreement."""
    rows = []
    with open(os.path.join(FIXTURES, "policy_pairs.jsonl"), encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    verdicts = []
    disagreements = []
    for row in rows:
        if row["bare"]:
            mv = math_verify_equal(row["gold"], row["prediction"])
        else:
            mv = math_verify_response(row["gold"], row["prediction"])
        verdicts.append({"id": row["id"], "math_verify": mv})
        if mv != row["equivalent"]:
            disagreements.append(row | {"math_verify": mv})
    write_jsonl("policy_pairs.math_verify.jsonl", verdicts)
    agree = len(rows) - len(disagreements)
    false_eq = [d for d in disagreements if d["math_verify"]]
    print(f"policy pairs: Math-Verify agrees with the labels on {agree}/{len(rows)} "
          f"({100 * agree / len(rows):.1f}%); {len(false_eq)} false equivalent, "
          f"{len(disagreements) - len(false_eq)} missed")
    for d in disagreements:
        what = "false equivalent" if d["math_verify"] else "missed"
        print(f"  {d['id']} [{what}] gold {d['gold']!r} | prediction {d['prediction']!r}"
              + (f"  ({d['why']})" if d.get("why") else ""))


def write_jsonl(name, rows):
    with open(os.path.join(FIXTURES, name), "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main():
    pairs_path = os.path.join(FIXTURES, "answer_pairs.jsonl")
    out = []
    with open(pairs_path, encoding="utf-8") as f:
        for index, line in enumerate(l for l in f if l.strip()):
            pair = json.loads(line)
            out.append({"index": index, "math_verify": math_verify_equal(pair["gold"], pair["candidate"])})
    write_jsonl("answer_pairs.math_verify.jsonl", out)

    rows = []
    with open(os.path.join(DATA, "math500", "test.jsonl"), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            p = json.loads(line)
            boxed = last_boxed(p["solution"])
            rows.append({
                "unique_id": p["unique_id"],
                "gold": p["answer"],
                "boxed": boxed,
                "math_verify": boxed is not None and math_verify_equal(p["answer"], boxed),
            })
    write_jsonl("math500_selfcheck.jsonl", rows)
    rewrites = []
    for row in rows:
        rewrite = None
        try:
            parsed = parse("\\boxed{" + row["gold"] + "}")
            if parsed:
                rewrite = sympy.latex(parsed[0])
        except Exception:
            rewrite = None
        rewrites.append({
            "unique_id": row["unique_id"],
            "gold": row["gold"],
            "rewrite": rewrite,
            "math_verify": rewrite is not None and math_verify_equal(row["gold"], rewrite),
        })
    write_jsonl("math500_rewrites.jsonl", rewrites)
    agree = sum(r["math_verify"] for r in rows)
    print(f"pairs: {len(out)} (Math-Verify equivalent: {sum(r['math_verify'] for r in out)}); "
          f"MATH-500 self-check: Math-Verify equivalent on {agree}/{len(rows)}; "
          f"rewrites: {sum(r['math_verify'] for r in rewrites)}/{len(rewrites)}")


if __name__ == "__main__":
    if "--policy" in sys.argv[1:]:
        policy_pairs()
    else:
        main()
        policy_pairs()
