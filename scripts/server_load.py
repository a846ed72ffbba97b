#!/usr/bin/env python3
"""Load benchmark of `quorum serve` on loopback (a benchmark, not a test).

Starts `quorum serve` on a free port, then for each client count C in --clients sends
requests from C concurrent clients (each waits for its answer before sending the next),
bounded by --requests-per-client and --seconds per level. Reports requests/s, latency
p50/p90/p99 and the decode tokens/s the server sustained (completion tokens over wall
time), and runs `quorum bench sample` in the same invocation for the engine's own figure.

    swift build -c release --product quorum
    python3 scripts/server_load.py --quorum .build/release/quorum

Needs httpx2 (installed with openai==3.54.0 by scripts/server_python_setup).
"""
import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

try:  # openai 3.x depends on httpx2 (httpx's successor, same API)
    import httpx2 as httpx
except ImportError:
    import httpx

parser = argparse.ArgumentParser()
parser.add_argument("--quorum", default=".build/release/quorum")
parser.add_argument("--model", default="smollm2-135m-instruct")
parser.add_argument("--clients", default="1,8,64")
parser.add_argument("--max-tokens", type=int, default=16)
parser.add_argument("--requests-per-client", type=int, default=8)
parser.add_argument("--seconds", type=float, default=60, help="time bound per level")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--json", help="write the figures here")
args = parser.parse_args()

levels = [int(c) for c in args.clients.split(",")]
log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
server = subprocess.Popen([args.quorum, "serve", "--model", args.model, "--port", "0", "--threads", str(args.threads),
                           "--max-concurrency", str(max(levels)), "--max-queue", str(4 * max(levels)),
                           "--max-n", "64"], stdout=log, stderr=subprocess.STDOUT)
base = None
deadline = time.time() + 120
while base is None and time.time() < deadline:
    time.sleep(0.2)
    match = re.search(r"http://127\.0\.0\.1:\d+", open(log.name).read())
    base = match.group(0) if match else None
if base is None:
    server.terminate()
    sys.exit("quorum serve did not start: " + open(log.name).read()[-2000:])

PROMPT = [{"role": "user", "content": "Write one sentence about the sea."}]


def run_level(clients):
    latencies, tokens, errors = [], [], []
    lock = threading.Lock()
    stop_at = time.time() + args.seconds

    def client(index):
        with httpx.Client(base_url=base, timeout=300) as http:
            for k in range(args.requests_per_client):
                if time.time() > stop_at:
                    return
                start = time.perf_counter()
                r = http.post("/v1/chat/completions", json={
                    "model": args.model, "messages": PROMPT, "max_tokens": args.max_tokens,
                    "temperature": 0.8, "seed": index * 1000 + k})
                elapsed = time.perf_counter() - start
                with lock:
                    if r.status_code == 200:
                        latencies.append(elapsed)
                        tokens.append(r.json()["usage"]["completion_tokens"])
                    else:
                        errors.append(r.status_code)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else [latencies[0]] * 99
    return {"clients": clients, "requests": len(latencies), "errors": len(errors), "seconds": round(wall, 2),
            "requests_per_second": round(len(latencies) / wall, 2),
            "p50_ms": round(q[49] * 1000), "p90_ms": round(q[89] * 1000), "p99_ms": round(q[98] * 1000),
            "completion_tokens": sum(tokens), "decode_tokens_per_second": round(sum(tokens) / wall, 1)}


try:
    # Warm-up (not measured).
    httpx.post(base + "/v1/chat/completions", timeout=120, json={"model": args.model, "messages": PROMPT, "max_tokens": 2})
    rows = [run_level(c) for c in levels]
finally:
    server.terminate()
    server.wait()

# The engine's own decode throughput, same machine, same invocation: one batch of N
# samples of a shared prompt, for the N the server levels used.
bench = subprocess.run([args.quorum, "bench", "sample", "--model", args.model, "--threads", str(args.threads),
                        "-n", ",".join(str(c) for c in levels), "--gen-tokens", str(args.max_tokens),
                        "--prompt-tokens", "32", "--repeat", "3", "--json", "-"],
                       capture_output=True, text=True, check=True)
engine = json.loads(bench.stdout)
uptime = open("/proc/loadavg").read().split()[:3]

print(f"load average at the end: {' '.join(uptime)}; max_tokens={args.max_tokens}, {args.threads} engine threads")
print("| clients | requests | errors | req/s | p50 ms | p90 ms | p99 ms | server decode tok/s |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['clients']} | {r['requests']} | {r['errors']} | {r['requests_per_second']} | {r['p50_ms']} | {r['p90_ms']} | "
          f"{r['p99_ms']} | {r['decode_tokens_per_second']} |")
print()
print("quorum bench sample (same invocation):")
print(bench.stderr.strip())
if args.json:
    with open(args.json, "w") as f:
        json.dump({"levels": rows, "bench_sample": engine, "loadavg": uptime}, f, indent=2)
