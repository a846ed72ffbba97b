#!/usr/bin/env python3
"""Independent reference forward pass for the Swift engine's golden tests.

A llama / qwen2 / mistral decoder written directly in numpy (float64 arithmetic)
over weights dequantised by llama.cpp's own Python package (gguf-py). It shares no
code with the Swift engine: the tests compare the two.

    pip install gguf==0.19.0 tokenizers==0.23.3   # numpy 2.x
    python3 scripts/reference_forward.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]

    python3 scripts/reference_forward.py --only smollm-int8 [model]   # one output only

Outputs (committed, under Tests/Fixtures/forward/):
  smollm2_goldens.json   for 5 prompts on SmolLM2-135M-Instruct Q4_1: prompt token ids,
                         all 49,152 last-position logits (float32, base64 little-endian),
                         and the first 32 greedy tokens (argmax, never stopping at EOS).
  tiny_qwen2.gguf, tiny_mistral.gguf, tiny_llama_q.gguf
                         random tiny models (2 layers) exercising QKV bias + NeoX rope
                         (qwen2), linear rope scaling + untied F16 output head (mistral),
                         and Q4_1 / Q8_0 matrices (llama); written with gguf-py's writer.
  tiny_goldens.json      their last-position logits and 8 greedy tokens per prompt.
  qwen_goldens.json      (--only qwen, ~5 minutes) one chat prompt on Qwen2.5-Coder-1.5B-Instruct
                         Q4_K_M: last-position logits and 3 greedy tokens, from `LazyModel`,
                         which dequantises one layer at a time and runs the prompt as one
                         matrix (the whole model in float64 would need 12 GB).
  smollm2_int8_goldens.json
                         the same 5 prompts with every matrix input (the activations) quantised
                         per 32-value block to int8 as the engine's int8 path does (ggml q8_1:
                         d = max|x| / 127, q = round-half-even(x / d), x' = q * d), weights exact.

Conventions checked against llama.cpp (read, not copied):
  - RoPE: llama and mistral use ggml's "normal" mode, rotating adjacent pairs
    (x[2i], x[2i+1]); convert_hf_to_gguf permutes the Q/K rows so this matches the
    HF model. qwen2 uses NeoX mode, rotating (x[i], x[i + d/2]).
    theta_i = position / scale * base^(-2i/d), scale = rope.scaling.factor for "linear".
  - RMSNorm: x / sqrt(mean(x^2) + eps) * weight.
  - SwiGLU feed-forward: down(silu(gate(x)) * up(x)).
  - Grouped-query attention: query head h reads KV head h // (heads / kv_heads).
  - Output head: output.weight, or token_embd.weight when the file has none (tied).
"""
import base64, hashlib, json, os, sys
import numpy as np
import gguf
from gguf.quants import dequantize

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "forward")


def quantize_blocks(x):
    """Per 32-value block int8 quantisation of an activation vector, returned dequantised."""
    b = x.reshape(-1, 32)
    d = np.abs(b).max(axis=1, keepdims=True) / 127.0
    inverse = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    return (np.rint(b * inverse) * d).reshape(-1)


class Model:
    def __init__(self, path, int8_activations=False):
        self.int8 = int8_activations
        r = gguf.GGUFReader(path)
        f = lambda k: r.fields[k].contents() if k in r.fields else None
        self.arch = f("general.architecture")
        a = self.arch
        self.layers = int(f(f"{a}.block_count"))
        self.width = int(f(f"{a}.embedding_length"))
        self.heads = int(f(f"{a}.attention.head_count"))
        self.kv_heads = int(f(f"{a}.attention.head_count_kv") or self.heads)
        self.head_dim = self.width // self.heads
        self.eps = float(f(f"{a}.attention.layer_norm_rms_epsilon"))
        self.base = float(f(f"{a}.rope.freq_base") or 10000.0)
        scaling = f(f"{a}.rope.scaling.type")
        self.scale = float(f(f"{a}.rope.scaling.factor")) if scaling == "linear" else 1.0
        self.neox = a == "qwen2"
        self.w = {}
        for t in r.tensors:
            x = dequantize(t.data, t.tensor_type).astype(np.float64)
            rows = int(t.shape[-1]) if len(t.shape) > 1 else 1
            self.w[t.name] = x.reshape(rows, -1) if len(t.shape) > 1 else x.reshape(-1)
        self.out = self.w.get("output.weight", self.w["token_embd.weight"])

    def rope(self, x, pos):
        # x: [heads, head_dim]
        d = self.head_dim
        i = np.arange(d // 2)
        theta = (pos / self.scale) * self.base ** (-2.0 * i / d)
        c, s = np.cos(theta), np.sin(theta)
        y = x.copy()
        if self.neox:
            a, b = x[:, : d // 2], x[:, d // 2 :]
            y[:, : d // 2] = a * c - b * s
            y[:, d // 2 :] = a * s + b * c
        else:
            a, b = x[:, 0::2], x[:, 1::2]
            y[:, 0::2] = a * c - b * s
            y[:, 1::2] = a * s + b * c
        return y

    def mm(self, w, x):
        """Matrix product; with int8 activations the input is quantised first."""
        return w @ (quantize_blocks(x) if self.int8 else x)

    def norm(self, x, w):
        return x / np.sqrt(np.mean(x * x) + self.eps) * w

    def step(self, token, pos, cache):
        """One position; cache[layer] = (list of K [kv_heads, d], list of V)."""
        w = self.w
        x = w["token_embd.weight"][token].copy()
        hd, g = self.head_dim, self.heads // self.kv_heads
        for l in range(self.layers):
            p = f"blk.{l}."
            h = self.norm(x, w[p + "attn_norm.weight"])
            q = self.mm(w[p + "attn_q.weight"], h) + w.get(p + "attn_q.bias", 0)
            k = self.mm(w[p + "attn_k.weight"], h) + w.get(p + "attn_k.bias", 0)
            v = self.mm(w[p + "attn_v.weight"], h) + w.get(p + "attn_v.bias", 0)
            q = self.rope(q.reshape(self.heads, hd), pos)
            k = self.rope(k.reshape(self.kv_heads, hd), pos)
            cache[l][0].append(k)
            cache[l][1].append(v.reshape(self.kv_heads, hd))
            K = np.stack(cache[l][0])  # [T, kv_heads, d]
            V = np.stack(cache[l][1])
            att = np.empty(self.heads * hd)
            for head in range(self.heads):
                kvh = head // g
                s = K[:, kvh, :] @ q[head] / np.sqrt(hd)
                s = np.exp(s - s.max())
                s /= s.sum()
                att[head * hd : (head + 1) * hd] = s @ V[:, kvh, :]
            x = x + self.mm(w[p + "attn_output.weight"], att)
            h = self.norm(x, w[p + "ffn_norm.weight"])
            gate = self.mm(w[p + "ffn_gate.weight"], h)
            up = self.mm(w[p + "ffn_up.weight"], h)
            x = x + self.mm(w[p + "ffn_down.weight"], gate / (1 + np.exp(-gate)) * up)
        x = self.norm(x, w["output_norm.weight"])
        return self.mm(self.out, x)

    def run(self, prompt, greedy_count):
        cache = [([], []) for _ in range(self.layers)]
        for pos, t in enumerate(prompt):
            logits = self.step(t, pos, cache)
        last = logits.copy()
        greedy, pos = [], len(prompt)
        for _ in range(greedy_count):
            t = int(np.argmax(logits))
            greedy.append(t)
            logits = self.step(t, pos, cache)
            pos += 1
        return last, greedy


class LazyModel:
    """The same qwen2 / llama graph as `Model`, for models too large to hold dequantised:
    weights are dequantised (float64) when a layer runs, and each call runs a whole token
    sequence at once with a causal mask, so a forward pass reads the file once."""

    def __init__(self, path):
        self.r = gguf.GGUFReader(path)
        self.tensors = {t.name: t for t in self.r.tensors}
        f = lambda k: self.r.fields[k].contents() if k in self.r.fields else None
        a = f("general.architecture")
        self.layers = int(f(f"{a}.block_count"))
        self.width = int(f(f"{a}.embedding_length"))
        self.heads = int(f(f"{a}.attention.head_count"))
        self.kv_heads = int(f(f"{a}.attention.head_count_kv") or self.heads)
        self.head_dim = self.width // self.heads
        self.eps = float(f(f"{a}.attention.layer_norm_rms_epsilon"))
        self.base = float(f(f"{a}.rope.freq_base") or 10000.0)
        self.neox = a == "qwen2"
        self.out_name = "output.weight" if "output.weight" in self.tensors else "token_embd.weight"

    def w(self, name):
        t = self.tensors[name]
        x = dequantize(t.data, t.tensor_type).astype(np.float64)
        return x.reshape(int(t.shape[-1]), -1) if len(t.shape) > 1 else x.reshape(-1)

    def has(self, name):
        return name in self.tensors

    def rope(self, x, positions):
        # x: [T, heads, d]
        d = self.head_dim
        theta = positions[:, None] * self.base ** (-2.0 * np.arange(d // 2) / d)   # [T, d/2]
        c, s = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
        y = x.copy()
        if self.neox:
            a, b = x[..., : d // 2], x[..., d // 2 :]
            y[..., : d // 2] = a * c - b * s
            y[..., d // 2 :] = a * s + b * c
        else:
            a, b = x[..., 0::2], x[..., 1::2]
            y[..., 0::2] = a * c - b * s
            y[..., 1::2] = a * s + b * c
        return y

    def norm(self, x, w):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * w

    def logits(self, tokens):
        """Last-position logits of `tokens`."""
        T, hd, g = len(tokens), self.head_dim, self.heads // self.kv_heads
        x = self.w("token_embd.weight")[tokens]            # [T, width]
        positions = np.arange(T, dtype=np.float64)
        mask = np.triu(np.full((T, T), -np.inf), 1)
        for l in range(self.layers):
            p = f"blk.{l}."
            bias = lambda n: self.w(p + n) if self.has(p + n) else 0
            h = self.norm(x, self.w(p + "attn_norm.weight"))
            q = (h @ self.w(p + "attn_q.weight").T + bias("attn_q.bias")).reshape(T, self.heads, hd)
            k = (h @ self.w(p + "attn_k.weight").T + bias("attn_k.bias")).reshape(T, self.kv_heads, hd)
            v = (h @ self.w(p + "attn_v.weight").T + bias("attn_v.bias")).reshape(T, self.kv_heads, hd)
            q, k = self.rope(q, positions), self.rope(k, positions)
            att = np.empty((T, self.heads * hd))
            for head in range(self.heads):
                kvh = head // g
                s = q[:, head, :] @ k[:, kvh, :].T / np.sqrt(hd) + mask
                s = np.exp(s - s.max(axis=1, keepdims=True))
                s /= s.sum(axis=1, keepdims=True)
                att[:, head * hd : (head + 1) * hd] = s @ v[:, kvh, :]
            x = x + att @ self.w(p + "attn_output.weight").T
            h = self.norm(x, self.w(p + "ffn_norm.weight"))
            gate = h @ self.w(p + "ffn_gate.weight").T
            up = h @ self.w(p + "ffn_up.weight").T
            x = x + (gate / (1 + np.exp(-gate)) * up) @ self.w(p + "ffn_down.weight").T
        last = self.norm(x[-1], self.w("output_norm.weight"))
        # The output head in slices of rows: dequantised whole it would be 1.9 GB of float64.
        t = self.tensors[self.out_name]
        rows = int(t.shape[-1])
        data = t.data.reshape(rows, -1)
        out = np.empty(rows)
        for start in range(0, rows, 8192):
            block = dequantize(data[start : start + 8192], t.tensor_type).astype(np.float64).reshape(-1, self.width)
            out[start : start + 8192] = block @ last
        return out


# Qwen2.5 chat prompt as vocabulary pieces (each one token: the script fails if not), so the
# golden needs no tokenizer; Quorum's tokenizer makes the same ids (QwenGoldenTests checks).
QWEN_PIECES = ["<|im_start|>", "system", "Ċ", "You", "Ġare", "Ġa", "Ġhelpful", "Ġassistant", ".", "<|im_end|>", "Ċ",
               "<|im_start|>", "user", "Ċ", "Write", "Ġa", "ĠPython", "Ġfunction", "Ġto", "Ġreverse", "Ġa",
               "Ġstring", ".", "<|im_end|>", "Ċ", "<|im_start|>", "assistant", "Ċ"]


def qwen_goldens(path, greedy_count=3):
    model = LazyModel(path)
    vocab = {t: i for i, t in enumerate(model.r.fields["tokenizer.ggml.tokens"].contents())}
    missing = [p for p in QWEN_PIECES if p not in vocab]
    if missing:
        sys.exit(f"pieces not in the vocabulary: {missing}")
    ids = [vocab[p] for p in QWEN_PIECES]
    text = "".join(QWEN_PIECES).replace("Ġ", " ").replace("Ċ", "\n")
    tokens, last, greedy = list(ids), None, []
    for step in range(greedy_count):
        logits = model.logits(tokens)
        if last is None:
            last = logits
        if step < greedy_count:
            greedy.append(int(np.argmax(logits)))
            tokens.append(greedy[-1])
        print("step", step, "greedy", greedy, flush=True)
    out = {"generator": "scripts/reference_forward.py --only qwen (gguf 0.19.0, numpy float64)",
           "model": os.path.basename(path), "modelSHA256": sha256(path),
           "logitEncoding": "float32 little-endian, base64",
           "cases": [{"name": "chat_reverse_string", "text": text, "promptTokens": ids, "logits": b64(last),
                      "greedyTokens": greedy}]}
    with open(os.path.join(OUT, "qwen_goldens.json"), "w") as f:
        json.dump(out, f, indent=1)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def b64(logits):
    return base64.b64encode(np.asarray(logits, dtype="<f4").tobytes()).decode()


def smollm_tokenizer(path):
    """Byte-level BPE from the GGUF vocabulary (pre-tokenizer: single digits + GPT-2 regex)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, decoders, AddedToken
    r = gguf.GGUFReader(path)
    tokens = r.fields["tokenizer.ggml.tokens"].contents()
    merges = [tuple(m.split(" ", 1)) for m in r.fields["tokenizer.ggml.merges"].contents()]
    tok = Tokenizer(models.BPE({t: i for i, t in enumerate(tokens)}, merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True) for t in tokens[:17] if t.startswith("<")])
    return tok


SYSTEM = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
PROMPTS = {
    "chat_capital": SYSTEM + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
    "chat_arithmetic": "<|im_start|>user\nWhat is 17 * 23? Think step by step.<|im_end|>\n<|im_start|>assistant\n",
    "code": "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "long_text": (
        "The history of computing is a story of people who wanted to calculate faster than they "
        "could by hand. Charles Babbage designed the Difference Engine in the 1820s to tabulate "
        "polynomial functions, and Ada Lovelace wrote what many consider the first algorithm for "
        "his later Analytical Engine. A century later, Alan Turing described a universal machine "
        "that could simulate any other, and during the Second World War engineers built"),
    "single_token": "The",
}


def smollm_goldens(path, int8_activations=False):
    model = Model(path, int8_activations)
    tok = smollm_tokenizer(path)
    generator = "scripts/reference_forward.py (gguf 0.19.0, numpy float64"
    generator += ", int8-quantised activations)" if int8_activations else ")"
    out = {"generator": generator,
           "model": os.path.basename(path), "modelSHA256": sha256(path),
           "logitEncoding": "float32 little-endian, base64", "cases": []}
    for name, text in PROMPTS.items():
        ids = tok.encode(text).ids
        last, greedy = model.run(ids, 32)
        print(name, len(ids), "tokens; greedy:", repr(tok.decode(greedy)), flush=True)
        out["cases"].append({"name": name, "text": text, "promptTokens": ids,
                             "logits": b64(last), "greedyTokens": greedy})
    name = "smollm2_int8_goldens.json" if int8_activations else "smollm2_goldens.json"
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(out, f, indent=1)


def write_tiny(path, arch, rng, *, quantized=False, rope_scale=None, untied=False, bias=False):
    vocab, width, heads, kv_heads, ffn, layers = 64, 64, 4, 2, 96, 2
    hd = width // heads
    w = gguf.GGUFWriter(path, arch)
    w.add_block_count(layers)
    w.add_context_length(128)
    w.add_embedding_length(width)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_rope_freq_base(10000.0 if arch != "qwen2" else 1000000.0)
    w.add_rope_dimension_count(hd)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_vocab_size(vocab)
    if rope_scale:
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(rope_scale)

    def matrix(name, rows, cols, scale):
        x = (rng.standard_normal((rows, cols)) * scale).astype(np.float32)
        if quantized:
            qtype = gguf.GGMLQuantizationType.Q8_0 if "token_embd" in name else gguf.GGMLQuantizationType.Q4_1
            w.add_tensor(name, gguf.quants.quantize(x, qtype), raw_dtype=qtype)
        elif name == "output.weight":
            w.add_tensor(name, x.astype(np.float16))
        else:
            w.add_tensor(name, x)

    def vector(name, n, center, scale):
        w.add_tensor(name, (center + rng.standard_normal(n) * scale).astype(np.float32))

    matrix("token_embd.weight", vocab, width, 1.0)
    for l in range(layers):
        p = f"blk.{l}."
        vector(p + "attn_norm.weight", width, 1.0, 0.1)
        matrix(p + "attn_q.weight", width, width, width ** -0.5)
        matrix(p + "attn_k.weight", kv_heads * hd, width, width ** -0.5)
        matrix(p + "attn_v.weight", kv_heads * hd, width, width ** -0.5)
        if bias:
            vector(p + "attn_q.bias", width, 0.0, 0.5)
            vector(p + "attn_k.bias", kv_heads * hd, 0.0, 0.5)
            vector(p + "attn_v.bias", kv_heads * hd, 0.0, 0.5)
        matrix(p + "attn_output.weight", width, width, width ** -0.5)
        vector(p + "ffn_norm.weight", width, 1.0, 0.1)
        matrix(p + "ffn_gate.weight", ffn, width, width ** -0.5)
        matrix(p + "ffn_up.weight", ffn, width, width ** -0.5)
        matrix(p + "ffn_down.weight", width, ffn, ffn ** -0.5)
    vector("output_norm.weight", width, 1.0, 0.1)
    if untied:
        matrix("output.weight", vocab, width, width ** -0.5)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def tiny_goldens():
    rng = np.random.default_rng(20261122)
    specs = [("tiny_qwen2.gguf", "qwen2", dict(bias=True, untied=True)),
             ("tiny_mistral.gguf", "mistral", dict(rope_scale=2.0, untied=True)),
             ("tiny_llama_q.gguf", "llama", dict(quantized=True))]
    prompts = [[1, 5, 9, 33, 2, 60, 7, 12, 40, 3, 3, 17], [42]]
    out = {"generator": "scripts/reference_forward.py (gguf 0.19.0, numpy float64)",
           "logitEncoding": "float32 little-endian, base64", "cases": []}
    for file, arch, kw in specs:
        path = os.path.join(OUT, file)
        write_tiny(path, arch, rng, **kw)
        model = Model(path)
        for i, prompt in enumerate(prompts):
            last, greedy = model.run(prompt, 8)
            out["cases"].append({"name": f"{arch}_{i}", "model": file, "modelSHA256": sha256(path),
                                 "promptTokens": prompt, "logits": b64(last), "greedyTokens": greedy})
            print(file, prompt, greedy, flush=True)
    with open(os.path.join(OUT, "tiny_goldens.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    args = sys.argv[1:]
    only = None
    if args[:1] == ["--only"]:
        only, args = args[1], args[2:]
    model_path = args[0] if args else os.path.expanduser(
        "~/.cache/quorum/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    if only in (None, "tiny"):
        tiny_goldens()
    if only in (None, "smollm"):
        smollm_goldens(model_path)
    if only in (None, "smollm-int8"):
        smollm_goldens(model_path, int8_activations=True)
    if only == "qwen":
        qwen_goldens(args[0] if args else os.path.expanduser(
            "~/.cache/quorum/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"))
