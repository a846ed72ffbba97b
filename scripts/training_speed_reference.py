#!/usr/bin/env python3
"""The reference run of `quorum bench train --reference jax`: full fine-tuning of the same
llama-family architecture in JAX (float32, XLA on the CPU, jit-compiled forward, backward
and AdamW), with the same shapes and thread count, so the two are measured in one invocation.

    bash scripts/training_python_setup
    python3 scripts/training_speed_reference.py MODEL.gguf --seq-len 256 --batch-tokens 4096 \
        --micro-batch-tokens 1024 --repeat 3 --threads 2

Weights are random with the file's shapes (speed does not depend on their values). Prints one
line per timed step and `tokens_per_second MEDIAN` last.
"""
import argparse, os, sys, time

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("--seq-len", type=int, default=256)
parser.add_argument("--batch-tokens", type=int, default=4096)
parser.add_argument("--micro-batch-tokens", type=int, default=1024)
parser.add_argument("--repeat", type=int, default=3)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
# XLA's CPU thread pool: the same number of threads as Quorum's.
os.environ["XLA_FLAGS"] = f"--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={args.threads}"
os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

import numpy as np
import gguf
import jax
import jax.numpy as jnp

r = gguf.GGUFReader(args.model)
f = lambda k: r.fields[k].contents() if k in r.fields else None
a = f("general.architecture")
L, C = int(f(f"{a}.block_count")), int(f(f"{a}.embedding_length"))
H = int(f(f"{a}.attention.head_count")); KV = int(f(f"{a}.attention.head_count_kv") or H)
F = int(f(f"{a}.feed_forward_length")); D = C // H
V = next(int(t.shape[1]) for t in r.tensors if t.name == "token_embd.weight")
tied = not any(t.name == "output.weight" for t in r.tensors)
eps = float(f(f"{a}.attention.layer_norm_rms_epsilon")); base = float(f(f"{a}.rope.freq_base") or 10000.0)

key = jax.random.PRNGKey(0)
def rnd(shape, scale=0.02):
    global key
    key, sub = jax.random.split(key)
    return jax.random.normal(sub, shape, jnp.float32) * scale
params = {"embed": rnd((V, C)), "norm": jnp.ones((C,), jnp.float32), "layers": [
    {"n1": jnp.ones((C,)), "q": rnd((H * D, C)), "k": rnd((KV * D, C)), "v": rnd((KV * D, C)), "o": rnd((C, H * D)),
     "n2": jnp.ones((C,)), "g": rnd((F, C)), "u": rnd((F, C)), "d": rnd((C, F))} for _ in range(L)]}
if not tied:
    params["head"] = rnd((V, C))
count = sum(x.size for x in jax.tree_util.tree_leaves(params))

def norm(x, w): return x / jnp.sqrt(jnp.mean(x * x, -1, keepdims=True) + eps) * w

def rope(x, T):
    i = jnp.arange(D // 2); theta = jnp.arange(T)[:, None] * base ** (-2.0 * i / D)
    c, s = jnp.cos(theta)[None, :, None, :], jnp.sin(theta)[None, :, None, :]
    a_, b_ = x[..., 0::2], x[..., 1::2]
    return jnp.stack([a_ * c - b_ * s, a_ * s + b_ * c], -1).reshape(x.shape)

def loss_fn(p, tokens):
    B, T = tokens.shape
    x = p["embed"][tokens]
    mask = jnp.tril(jnp.ones((T, T), bool))
    for l in p["layers"]:
        h = norm(x, l["n1"])
        q = rope((h @ l["q"].T).reshape(B, T, H, D), T)
        k = jnp.repeat(rope((h @ l["k"].T).reshape(B, T, KV, D), T), H // KV, axis=2)
        v = jnp.repeat((h @ l["v"].T).reshape(B, T, KV, D), H // KV, axis=2)
        s = jnp.where(mask, jnp.einsum("bthd,bshd->bhts", q, k) / jnp.sqrt(D), -jnp.inf)
        x = x + jnp.einsum("bhts,bshd->bthd", jax.nn.softmax(s, -1), v).reshape(B, T, H * D) @ l["o"].T
        h = norm(x, l["n2"])
        x = x + (jax.nn.silu(h @ l["g"].T) * (h @ l["u"].T)) @ l["d"].T
    logits = norm(x, p["norm"]) @ p.get("head", p["embed"]).T
    lp = jax.nn.log_softmax(logits[:, :-1], -1)
    return -jnp.mean(jnp.take_along_axis(lp, tokens[:, 1:, None], -1))

grad_fn = jax.jit(jax.value_and_grad(loss_fn))

@jax.jit
def adam(p, g, m, v, t):
    m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m, g)
    v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, g)
    p = jax.tree_util.tree_map(lambda p, m, v: p - 1e-6 * (m / (1 - 0.9 ** t)) / (jnp.sqrt(v / (1 - 0.999 ** t)) + 1e-8), p, m, v)
    return p, m, v

per_micro = max(1, args.micro_batch_tokens // args.seq_len)
steps = args.batch_tokens // args.seq_len
tokens = jax.random.randint(jax.random.PRNGKey(1), (steps, args.seq_len), 0, V)
m = jax.tree_util.tree_map(jnp.zeros_like, params); v = jax.tree_util.tree_map(jnp.zeros_like, params)
rates, cpu_rates = [], []
for step in range(args.repeat + 1):
    t0 = time.perf_counter(); c0 = time.process_time()
    grads = None
    for s in range(0, steps, per_micro):
        _, g = grad_fn(params, tokens[s:s + per_micro])
        grads = g if grads is None else jax.tree_util.tree_map(jnp.add, grads, g)
    params, m, v = adam(params, grads, m, v, step + 1)
    jax.block_until_ready(params)
    dt = time.perf_counter() - t0; cpu = time.process_time() - c0
    print(f"jax      step {step}{' (warm-up, compiles)' if step == 0 else ''}: {dt:.2f} s, {steps * args.seq_len / dt:.1f} tok/s")
    if step > 0:
        rates.append(steps * args.seq_len / dt); cpu_rates.append(steps * args.seq_len / cpu)
print(f"jax      {count} parameters, jax {jax.__version__}, {args.threads} threads; "
      f"{sorted(cpu_rates)[len(cpu_rates) // 2]:.1f} tokens per CPU-second")
print(f"tokens_per_second {sorted(rates)[len(rates) // 2]}")
