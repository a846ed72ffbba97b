#!/usr/bin/env python3
"""Independent reference for code votes grouped by program behaviour.

Used by the code-vote tests (Tests/ExperimentsTests/CodeVoteTests.swift): they run Quorum's
majority vote over a real run of the default model with programs grouped by their outputs on
the examples the prompt shows, then check Quorum's classes against this script's.

Standard library only (python3 itself); no pip packages.

Usage: python3 scripts/program_behaviour_reference.py INPUT.json   (or the input on stdin)

Input, JSON:
    {"problems": [{"id": str, "prompt": str, "test_cases": [str], "programs": [str]}]}
  `programs` are the full programs to define (the extracted code with its prefix and setup),
  one per sample, in sample order.

Output (stdout), JSON:
    {"problems": [{"id": str, "examples": [str], "behaviours": [[str] | null],
                   "classes": [[int]], "abstained": [int]}]}

Definitions (written from the issue's wording, not from Quorum's code):
- Examples: the problem's listed test cases that appear verbatim in its prompt (MBPP shows its
  asserts); otherwise the prompt's doctest lines `>>> call` (HumanEval).
- A program's behaviour: it runs once in a fresh `python3` process (hash seed 0, so set and
  dict orders do not vary between processes; 1 GiB address space; 10 s of CPU; 60 s wall).
  After the definition, each example is evaluated in order: for `assert X == Y` the value of X,
  for another assert the value of its test, for an expression its value. One line per example:
  `repr(value)`, or `raised <ExceptionName>`. A program whose definition raises, or whose process
  fails, times out or is killed, has no behaviour (null) and abstains.
- Classes: samples with equal behaviours (equal lists of lines), numbered by first member,
  members in sample order.
"""
import json
import resource
import subprocess
import sys

# Runs in the child: reads {"program", "examples"} from stdin, prints a JSON list of lines.
CHILD = r'''
import ast, json, os, sys
request = json.loads(sys.stdin.read())
answer = sys.stdout
sys.stdout = open(os.devnull, "w")   # what the candidate prints is not its behaviour
scope = {"__name__": "candidate"}
try:
    exec(compile(request["program"], "candidate", "exec"), scope)
except BaseException:
    answer.write(json.dumps(None) + "\n")
    answer.flush()
    os._exit(0)
lines = []
for example in request["examples"]:
    try:
        node = ast.parse(example.strip(), mode="exec").body[0]
        if isinstance(node, ast.Assert):
            test = node.test
            if isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.Eq):
                source = ast.unparse(test.left)
            else:
                source = ast.unparse(test)
        else:
            source = ast.unparse(node)
        lines.append(repr(eval(source, scope)))
    except BaseException as error:
        lines.append("raised " + type(error).__name__)
answer.write(json.dumps(lines) + "\n")
answer.flush()
os._exit(0)
'''


def examples(problem):
    shown = [case for case in problem["test_cases"] if case.strip() and case.strip() in problem["prompt"]]
    if shown:
        return shown
    calls = []
    for line in problem["prompt"].split("\n"):
        stripped = line.strip()
        if stripped.startswith(">>>") and stripped[3:].strip():
            calls.append(stripped[3:].strip())
    return calls


def limit_child():
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    resource.setrlimit(resource.RLIMIT_CPU, (10, 10))


def behaviour(program, calls):
    try:
        finished = subprocess.run(
            [sys.executable, "-c", CHILD], input=json.dumps({"program": program, "examples": calls}),
            capture_output=True, text=True, timeout=60, env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"},
            preexec_fn=limit_child)
    except subprocess.TimeoutExpired:
        return None
    if finished.returncode != 0:
        return None
    try:
        return json.loads(finished.stdout)
    except ValueError:
        return None


def main():
    if len(sys.argv) > 1:
        with open(sys.argv[1], encoding="utf-8") as handle:
            request = json.load(handle)
    else:
        request = json.load(sys.stdin)
    answers = []
    for problem in request["problems"]:
        calls = examples(problem)
        behaviours = [behaviour(program, calls) if calls else None for program in problem["programs"]]
        classes, keys, abstained = [], [], []
        for index, lines in enumerate(behaviours):
            if lines is None:
                abstained.append(index)
            elif lines in keys:
                classes[keys.index(lines)].append(index)
            else:
                keys.append(lines)
                classes.append([index])
        answers.append({"id": problem["id"], "examples": calls, "behaviours": behaviours,
                        "classes": classes, "abstained": abstained})
    json.dump({"problems": answers}, sys.stdout)


if __name__ == "__main__":
    main()
