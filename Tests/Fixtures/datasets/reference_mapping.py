#!/usr/bin/env python3
"""Independent reference for DatasetsTests: maps every shared/data file into the
fields of Quorum's Problem with Python's own json and gzip modules, following the
rules in docs/DATA_FORMAT.md, and prints one JSON object {catalog name: [records]}.

Standard library only (Python 3.11). Usage: reference_mapping.py DATA_ROOT
"""
import gzip
import json
import os
import sys

root = sys.argv[1]


def jsonl(path, opener=open):
    with opener(os.path.join(root, path), "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def record(id, prompt, answer=None, tests=None, setup="", cases=(), prefix="", entry=None):
    return {"id": id, "prompt": prompt, "answer": answer, "tests": tests, "setup": setup,
            "test_cases": list(cases), "solution_prefix": prefix, "entry_point": entry}


def gsm8k(split):
    out = []
    for i, r in enumerate(jsonl(f"gsm8k/{split}.jsonl")):
        final = r["answer"].rsplit("####", 1)[1].strip().replace(",", "")
        out.append(record(f"gsm8k/{split}/{i}", r["question"], answer=final))
    return out


def math500():
    return [record(r["unique_id"], r["problem"], answer=r["answer"]) for r in jsonl("math500/test.jsonl")]


def humaneval():
    return [record(r["task_id"], r["prompt"], tests=r["test"] + "\ncheck(" + r["entry_point"] + ")\n",
                   prefix=r["prompt"], entry=r["entry_point"])
            for r in jsonl("humaneval/HumanEval.jsonl.gz", gzip.open)]


def mbpp_prompt(statement, tests):
    return statement + "\nYour code should pass these tests:\n" + "\n".join(tests)


def mbpp():
    return [record(f"mbpp/{r['task_id']}", mbpp_prompt(r["text"], r["test_list"]),
                   tests="\n".join(r["test_list"]) + "\n", setup=r["test_setup_code"], cases=r["test_list"])
            for r in jsonl("mbpp/mbpp.jsonl")]


def mbpp_sanitized():
    with open(os.path.join(root, "mbpp/sanitized-mbpp.json"), encoding="utf-8") as f:
        rows = json.load(f)
    return [record(f"mbpp/{r['task_id']}", mbpp_prompt(r["prompt"], r["test_list"]),
                   tests="\n".join(r["test_list"]) + "\n",
                   setup="".join(i + "\n" for i in r["test_imports"]), cases=r["test_list"])
            for r in rows]


def arc(split):
    out = []
    for r in jsonl(f"arc-challenge/ARC-Challenge-{split}.jsonl"):
        q = r["question"]
        listing = "\n".join(f"{c['label']}. {c['text']}" for c in q["choices"])
        out.append(record(r["id"], q["stem"] + "\n" + listing, answer=r["answerKey"]))
    return out


print(json.dumps({
    "gsm8k:test": gsm8k("test"),
    "gsm8k:train": gsm8k("train"),
    "math500:test": math500(),
    "humaneval:test": humaneval(),
    "mbpp:full": mbpp(),
    "mbpp:sanitized": mbpp_sanitized(),
    "arc-challenge:test": arc("Test"),
    "arc-challenge:train": arc("Train"),
    "arc-challenge:dev": arc("Dev"),
}))
