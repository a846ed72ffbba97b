#!/usr/bin/env python3
"""Independent reference for the training engine's gradients (Tests/TrainingTests).

A llama / qwen2 / mistral decoder written in JAX with float64 arithmetic over weights read
and dequantised by llama.cpp's own Python package (gguf-py). It shares no code with the
Swift trainer: JAX differentiates it automatically, and float64 central finite differences
of the same loss check JAX at sampled coordinates.

    bash scripts/training_python_setup        # jax/jaxlib 0.10.2, gguf 0.19.0, numpy 2.4.6
    python3 scripts/training_reference.py request.json

The request (written by the Swift test) names the model file, the sequences (tokens and the
first scored index), the loss: either the weights w of L = sum of w * log p(token), or, with a
`preference` entry (`beta`, `alpha`, `pairs` of sequence indices, the reference's `references`
per pair), Iterative RPO's DPO + length-normalised NLL loss averaged over the pairs; the Swift
trainer's log-probabilities and its gradients (raw little-endian float32 in the layout the
request's `tensors` give). Instead of weights the request may give `policyGradient`: the
sampling and reference log-probabilities, one advantage per sequence, the step's token count
and the clip and KL settings; the loss is then the clipped policy-gradient loss with a k3 KL
penalty (Training's PolicyGradientObjective), written here from its formula. The script writes `output` (JSON): the reference loss and
log-probabilities, per tensor the largest absolute error of the Swift gradient and the
largest absolute reference value, and the finite-difference checks. The Swift test holds
these to its tolerances.

Conventions (checked against llama.cpp, as scripts/reference_forward.py states): RoPE
rotates adjacent pairs for llama/mistral and halves (NeoX) for qwen2 over the first
rope.dimension_count dims of each head; positions are divided by the linear rope scaling
factor; RMSNorm x / sqrt(mean(x^2) + eps) * w; SwiGLU down(silu(gate) * up); query head h
reads KV head h // (heads / kv_heads); tied output head when there is no output.weight.
"""
import json, sys
import numpy as np
import gguf
from gguf.quants import dequantize
import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp


def load(path):
    r = gguf.GGUFReader(path)
    f = lambda k: r.fields[k].contents() if k in r.fields else None
    a = f("general.architecture")
    cfg = dict(
        arch=a,
        layers=int(f(f"{a}.block_count")),
        width=int(f(f"{a}.embedding_length")),
        heads=int(f(f"{a}.attention.head_count")),
        kv_heads=int(f(f"{a}.attention.head_count_kv") or f(f"{a}.attention.head_count")),
        eps=float(f(f"{a}.attention.layer_norm_rms_epsilon")),
        base=float(f(f"{a}.rope.freq_base") or 10000.0),
        scale=float(f(f"{a}.rope.scaling.factor")) if f(f"{a}.rope.scaling.type") == "linear" else 1.0,
    )
    cfg["head_dim"] = int(f(f"{a}.attention.key_length") or cfg["width"] // cfg["heads"])
    cfg["rope_dim"] = int(f(f"{a}.rope.dimension_count") or cfg["head_dim"])
    params = {}
    for t in r.tensors:
        x = dequantize(t.data, t.tensor_type).astype(np.float64)
        rows = int(t.shape[-1]) if len(t.shape) > 1 else 1
        params[t.name] = jnp.asarray(x.reshape(rows, -1) if len(t.shape) > 1 else x.reshape(-1))
    return cfg, params


def rope(x, cfg):
    # x: [T, heads, head_dim]
    T = x.shape[0]
    rd = cfg["rope_dim"]
    i = jnp.arange(rd // 2)
    pos = jnp.arange(T)[:, None] / cfg["scale"]
    theta = pos * cfg["base"] ** (-2.0 * i / rd)
    c, s = jnp.cos(theta)[:, None, :], jnp.sin(theta)[:, None, :]
    rot, rest = x[..., :rd], x[..., rd:]
    if cfg["arch"] == "qwen2":
        a, b = rot[..., : rd // 2], rot[..., rd // 2 :]
        rot = jnp.concatenate([a * c - b * s, a * s + b * c], axis=-1)
    else:
        a, b = rot[..., 0::2], rot[..., 1::2]
        rot = jnp.stack([a * c - b * s, a * s + b * c], axis=-1).reshape(rot.shape)
    return jnp.concatenate([rot, rest], axis=-1)


def norm(x, w, eps):
    return x / jnp.sqrt(jnp.mean(x * x, axis=-1, keepdims=True) + eps) * w


def logprobs(params, cfg, tokens):
    """log p(tokens[j] | tokens[<j]) for j = 1..T-1."""
    T, hd, H, KV = len(tokens), cfg["head_dim"], cfg["heads"], cfg["kv_heads"]
    x = params["token_embd.weight"][jnp.asarray(tokens)]
    mask = jnp.tril(jnp.ones((T, T), dtype=bool))
    for l in range(cfg["layers"]):
        p = f"blk.{l}."
        h = norm(x, params[p + "attn_norm.weight"], cfg["eps"])
        q = h @ params[p + "attn_q.weight"].T + params.get(p + "attn_q.bias", 0.0)
        k = h @ params[p + "attn_k.weight"].T + params.get(p + "attn_k.bias", 0.0)
        v = h @ params[p + "attn_v.weight"].T + params.get(p + "attn_v.bias", 0.0)
        q = rope(q.reshape(T, H, hd), cfg)
        k = rope(k.reshape(T, KV, hd), cfg)
        v = v.reshape(T, KV, hd)
        group = H // KV
        k = jnp.repeat(k, group, axis=1)
        v = jnp.repeat(v, group, axis=1)
        s = jnp.einsum("thd,shd->hts", q, k) / jnp.sqrt(hd)
        s = jnp.where(mask[None], s, -jnp.inf)
        att = jnp.einsum("hts,shd->thd", jax.nn.softmax(s, axis=-1), v).reshape(T, H * hd)
        x = x + att @ params[p + "attn_output.weight"].T
        h = norm(x, params[p + "ffn_norm.weight"], cfg["eps"])
        gate = h @ params[p + "ffn_gate.weight"].T
        up = h @ params[p + "ffn_up.weight"].T
        x = x + (gate / (1 + jnp.exp(-gate)) * up) @ params[p + "ffn_down.weight"].T
    x = norm(x, params["output_norm.weight"], cfg["eps"])
    head = params.get("output.weight", params["token_embd.weight"])
    logits = x @ head.T
    lp = jax.nn.log_softmax(logits, axis=-1)
    return lp[jnp.arange(T - 1), jnp.asarray(tokens[1:])]


def preference_loss(lps, spec):
    """Iterative RPO (Pang et al. 2024), mean over pairs: -log sigmoid(beta * [(c - ref_c) - (r - ref_r)]) - alpha * c / |c|,
    with c, r the sums of the chosen and rejected sequences' completion log-probabilities."""
    beta, alpha, total = spec["beta"], spec["alpha"], 0.0
    for (ci, ri), (ref_c, ref_r) in zip(spec["pairs"], spec["references"]):
        c, r = jnp.sum(lps[ci]), jnp.sum(lps[ri])
        z = beta * ((c - ref_c) - (r - ref_r))
        total = total - jax.nn.log_sigmoid(z) - alpha * c / lps[ci].shape[0]
    return total / len(spec["pairs"])


def main():
    request = json.load(open(sys.argv[1]))
    cfg, params = load(request["model"])
    sequences = request["sequences"]
    pg = request.get("policyGradient")
    weights = [jnp.asarray(w, dtype=jnp.float64) for w in request.get("weights", [])]

    def policy_gradient_loss(i, lp):
        # Token-level PPO clip with verl's dual clip, plus beta * k3 = exp(r) - r - 1 with
        # r = log pi_ref - log pi; both summed here and divided by the step's token count below.
        a = float(pg["advantages"][i])
        old = jnp.asarray(pg["samplingLogprobs"][i], dtype=jnp.float64)
        ratio = jnp.exp(jnp.clip(lp - old, -20.0, 20.0))
        loss = jnp.maximum(-a * ratio, -a * jnp.clip(ratio, 1 - pg["clipLow"], 1 + pg["clipHigh"]))
        if a < 0 and pg.get("dualClip") is not None:
            loss = jnp.minimum(loss, -a * pg["dualClip"])
        total = jnp.sum(loss)
        if pg.get("klCoefficient", 0) > 0:
            r = jnp.clip(jnp.asarray(pg["referenceLogprobs"][i], dtype=jnp.float64) - lp, -20.0, 20.0)
            total = total + pg["klCoefficient"] * jnp.sum(jnp.minimum(jnp.exp(r) - r - 1, 10.0))
        return total / pg["totalTokens"]

    def loss_and_lps(params):
        all_lps = [logprobs(params, cfg, seq["tokens"])[seq["completionStart"] - 1 :] for seq in sequences]
        if "preference" in request:
            return preference_loss(all_lps, request["preference"]), all_lps
        total = 0.0
        for i, lp in enumerate(all_lps):
            total = total + (jnp.sum(weights[i] * lp) if pg is None else policy_gradient_loss(i, lp))
        return total, all_lps

    (loss, lps), grads = jax.jit(jax.value_and_grad(loss_and_lps, has_aux=True))(params)
    ours = np.fromfile(request["gradients"], dtype="<f4")
    out = {"loss": float(loss), "logprobs": [np.asarray(x).tolist() for x in lps], "tensors": [], "finiteDifferences": []}
    for t in request["tensors"]:
        ref = np.asarray(grads[t["name"]]).reshape(-1)
        mine = ours[t["offset"] : t["offset"] + t["count"]].astype(np.float64)
        out["tensors"].append({
            "name": t["name"],
            "maxAbsError": float(np.max(np.abs(mine - ref))),
            "maxAbsReference": float(np.max(np.abs(ref))),
            "rmsError": float(np.sqrt(np.mean((mine - ref) ** 2))),
            "rmsReference": float(np.sqrt(np.mean(ref ** 2))),
        })
    # Central finite differences in float64 at sampled coordinates (the largest-gradient
    # coordinate of each of a few tensors plus random ones).
    rng = np.random.default_rng(request.get("seed", 0))
    eps = request.get("finiteDifferenceStep", 1e-5)
    picks = request.get("finiteDifferenceTensors", [])
    loss_only = jax.jit(lambda p: loss_and_lps(p)[0])
    for name in picks:
        ref = np.asarray(grads[name]).reshape(-1)
        for index in [int(np.argmax(np.abs(ref)))] + [int(i) for i in rng.integers(0, ref.size, 2)]:
            base = params[name]
            flat = np.asarray(base).reshape(-1).copy()
            def at(delta):
                f2 = flat.copy(); f2[index] += delta
                p2 = dict(params); p2[name] = jnp.asarray(f2.reshape(base.shape))
                return float(loss_only(p2))
            fd = (at(eps) - at(-eps)) / (2 * eps)
            t = next(t for t in request["tensors"] if t["name"] == name)
            out["finiteDifferences"].append({
                "name": name, "index": index, "finiteDifference": fd, "autodiff": float(ref[index]),
                "ours": float(ours[t["offset"] + index]),
            })
    json.dump(out, open(request["output"], "w"))


if __name__ == "__main__":
    main()
