#!/usr/bin/env python3
"""Writes the dequantiser test fixtures with an independent implementation:
the `gguf` package (llama.cpp's gguf-py), whose numpy dequantisers are a separate
port of ggml's `dequantize_row_*`.

    pip install gguf==0.19.0 numpy==2.4.6    # versions this was generated with
    python3 scripts/make_quant_fixtures.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]

Outputs (committed), all little-endian:
  Tests/Fixtures/quant/manifest.json   one entry per case (below) and whole-tensor
                                       checksums of the default model
  Tests/Fixtures/quant/<case>.bin      the raw stored bytes (whole blocks)
  Tests/Fixtures/quant/<case>.f32      gguf-py's dequantised floats (float32 bit patterns)
  Tests/Fixtures/quant/<case>.input.f32  for F16/BF16 cases made from floats: the floats
                                       that gguf-py rounded to produce <case>.bin

Cases per format:
  * quantized:  random floats quantised by gguf-py (`gguf.quants.quantize`) where it can
                quantise (F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1);
  * random:     random block bytes with finite fp16 scales of both signs (every format;
                for the k-quants gguf-py cannot quantise, so these are their main cases);
  * special:    all-zero blocks, negative and subnormal scales, fp16/bf16 subnormals,
                infinities and NaNs;
  * model:      the first rows of `token_embd.weight` (Q8_0) and `blk.0.attn_q.weight`
                (Q4_1) of the default model.
The manifest also stores, for whole tensors of the default model, the count, the
float64 sum, a position-weighted checksum of the float32 bit patterns (`checksum` below)
and a few sample values, so a test can check a full tensor without committing it.
"""
import json, os, sys
import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "quant")
os.makedirs(root, exist_ok=True)
rng = np.random.default_rng(20250301)
BLOCK, TYPE_SIZE = {}, {}
for t in T:
    if t in gguf.GGML_QUANT_SIZES:
        BLOCK[t], TYPE_SIZE[t] = gguf.GGML_QUANT_SIZES[t]

def checksum(floats):
    """Position-weighted sum of the float32 bit patterns, modulo 2^64:
    sum over i of bits[i] * (2i + 1), NaNs made canonical (0x7fc00000) first.
    Any single changed value changes it; numpy computes it with wrap-around uint64."""
    floats = np.ascontiguousarray(floats, dtype=np.float32).reshape(-1)
    bits = floats.view(np.uint32).astype(np.uint64)
    bits[np.isnan(floats)] = 0x7FC00000
    weights = np.arange(floats.size, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    with np.errstate(over="ignore"):
        return int(np.sum(bits * weights, dtype=np.uint64))


cases = []


def add_case(name, qtype, raw, note, inputs=None):
    raw = np.ascontiguousarray(raw, dtype=np.uint8).reshape(-1)
    assert raw.size % TYPE_SIZE[qtype] == 0, name
    count = raw.size // TYPE_SIZE[qtype] * BLOCK[qtype]
    out = np.ascontiguousarray(dequantize(raw, qtype), dtype=np.float32).reshape(-1)
    assert out.size == count, (name, out.size, count)
    with open(os.path.join(root, name + ".bin"), "wb") as f:
        f.write(raw.tobytes())
    with open(os.path.join(root, name + ".f32"), "wb") as f:
        f.write(out.astype("<f4").tobytes())
    entry = {"name": name, "type": qtype.name.lower() if not qtype.name.endswith("_K") else qtype.name[:-2].lower() + "_K",
             "typeId": int(qtype.value), "count": int(count), "note": note}
    if inputs is not None:
        inputs = np.ascontiguousarray(inputs, dtype=np.float32).reshape(-1)
        assert inputs.size == count
        with open(os.path.join(root, name + ".input.f32"), "wb") as f:
            f.write(inputs.astype("<f4").tobytes())
        entry["hasInputs"] = True
    cases.append(entry)


def f16_bits(values):
    return np.asarray(values, dtype=np.float16).view(np.uint16)


def random_scales(n, low=1e-4, high=1e-1, signed=True):
    """Finite fp16 scales, log-uniform in [low, high], random sign."""
    mags = np.exp(rng.uniform(np.log(low), np.log(high), n)).astype(np.float32)
    signs = rng.choice([-1.0, 1.0], n) if signed else np.ones(n)
    return f16_bits(mags * signs)


def random_blocks(qtype, n, scale_fields):
    """Random block bytes with the fp16 fields at `scale_fields` (byte offsets)
    replaced by finite random scales, so no block decodes to inf/nan."""
    raw = rng.integers(0, 256, (n, TYPE_SIZE[qtype]), dtype=np.uint8)
    for offset in scale_fields:
        raw[:, offset:offset + 2] = random_scales(n).view(np.uint8).reshape(n, 2)
    return raw


def smooth_data(blocks, block_size):
    """Random weights, each block with its own magnitude and offset (so d, m vary)."""
    x = rng.standard_normal((blocks, block_size)).astype(np.float32)
    x *= np.exp(rng.uniform(np.log(1e-3), np.log(10.0), (blocks, 1))).astype(np.float32)
    x += rng.uniform(-0.5, 0.5, (blocks, 1)).astype(np.float32) * (rng.random((blocks, 1)) < 0.5)
    return x.astype(np.float32)


# --- Plain float formats -------------------------------------------------------------

specials32 = np.array([0.0, -0.0, 1.0, -1.5, np.inf, -np.inf, np.nan, 3.4028235e38, -3.4028235e38,
                       1.1754944e-38, 1e-45, -1e-45, 65504.0, 65520.0, 6.1e-5, 5.96e-8, 2.98e-8,
                       0.1, 1 / 3, np.pi, -np.e, 1e10], dtype=np.float32)
floats = np.concatenate([specials32, (rng.standard_normal(106) * 3).astype(np.float32)])
add_case("f32_values", T.F32, floats.view(np.uint8), "random floats plus zeros, infinities, NaN, subnormals, extremes")

add_case("f16_quantized", T.F16, quantize(floats, T.F16).view(np.uint8),
         "the same floats rounded to fp16 by numpy (overflow to inf, underflow to subnormal/zero)", inputs=floats)
special16 = np.array([0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x83FF, 0x0400, 0x8400, 0x3C00, 0xBC00,
                      0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0xFE00, 0x7C01, 0x7DFF, 0x3555, 0x0200],
                     dtype=np.uint16)
rand16 = rng.integers(0, 1 << 16, 108, dtype=np.uint16)
add_case("f16_special", T.F16, np.concatenate([special16, rand16]).view(np.uint8),
         "fp16 zeros, subnormals, smallest normal, largest finite, infinities, quiet and signalling NaNs, random patterns")

add_case("bf16_quantized", T.BF16, quantize(floats, T.BF16).view(np.uint8),
         "the same floats rounded to bf16 by gguf-py (ggml_compute_fp32_to_bf16: NaN quieted, round to nearest even)",
         inputs=floats)
special_bf16 = np.array([0x0000, 0x8000, 0x0001, 0x8001, 0x007F, 0x0080, 0x3F80, 0xBF80, 0x7F7F, 0xFF7F,
                         0x7F80, 0xFF80, 0x7FC0, 0xFFC0, 0x7F81, 0x7FFF], dtype=np.uint16)
add_case("bf16_special", T.BF16,
         np.concatenate([special_bf16, rng.integers(0, 1 << 16, 112, dtype=np.uint16)]).view(np.uint8),
         "bf16 zeros, subnormals, infinities, NaNs (quiet, signalling), random patterns")

# --- 32-weight block formats ----------------------------------------------------------

legacy = {  # type: byte offsets of fp16 fields
    T.Q8_0: [0], T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2],
}
for qtype, fields in legacy.items():
    lname = qtype.name.lower()
    data = smooth_data(8, 32)
    data[3] = 0.0                      # all-zero block: d = 0
    data[5] = -np.abs(data[5])         # all-negative block: negative minimum / sign of d
    add_case(f"{lname}_quantized", qtype, quantize(data, qtype), "random weights quantised by gguf-py, incl. an all-zero block")
    raw = random_blocks(qtype, 6, fields)
    raw[0, :] = 0                                    # all-zero bytes
    raw[1, 0:2] = f16_bits([-0.0625]).view(np.uint8)  # negative scale
    raw[2, 0:2] = np.array([0x0001], dtype=np.uint16).view(np.uint8)  # subnormal scale
    raw[3, 2:] = 0xFF                                # all quants at their maximum (and max qh)
    add_case(f"{lname}_random", qtype, raw, "random block bytes with finite scales of both signs; zero, negative, subnormal scales; saturated quants")

# --- 256-weight k-quants (gguf-py dequantises but cannot quantise these) --------------

kquants = {  # type: byte offsets of fp16 fields
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
for qtype, fields in kquants.items():
    lname = qtype.name[:-2].lower() + "_K"
    raw = random_blocks(qtype, 4, fields)
    add_case(f"{lname}_random", qtype, raw, "random super-block bytes with finite d/dmin of both signs")
    special = random_blocks(qtype, 3, fields)
    special[0, :] = 0                                     # all-zero block
    for offset in fields:                                 # negative d and dmin, every quant/scale bit set
        special[1, offset:offset + 2] = f16_bits([-0.01]).view(np.uint8)
    keep = np.zeros(TYPE_SIZE[qtype], dtype=bool)
    for offset in fields:
        keep[offset:offset + 2] = True
    special[1, ~keep] = 0xFF
    special[2, fields[0]:fields[0] + 2] = np.array([0x0001], dtype=np.uint16).view(np.uint8)  # subnormal d
    add_case(f"{lname}_special", qtype, special, "all-zero block; negative d/dmin with all bits set; subnormal d")

# --- Blocks and whole tensors from the default model ----------------------------------

model_path = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser(
    "~/.cache/quorum/models/SmolLM2-135M-Instruct.Q4_1.gguf")
reader = gguf.GGUFReader(model_path)
tensors = {t.name: t for t in reader.tensors}
for tname, case in [("token_embd.weight", "model_token_embd_rows"), ("blk.0.attn_q.weight", "model_attn_q_rows")]:
    t = tensors[tname]
    add_case(case, t.tensor_type, np.asarray(t.data[:2]), f"first two rows of {tname} ({t.tensor_type.name}) in the default model")

whole = []
for tname in ["blk.0.attn_q.weight", "blk.29.ffn_down.weight", "token_embd.weight", "output_norm.weight"]:
    t = tensors[tname]
    values = np.ascontiguousarray(dequantize(np.asarray(t.data), t.tensor_type), dtype=np.float32).reshape(-1)
    flat_idx = [0, 1, 31, 32, values.size // 2 + 7, values.size - 1]
    whole.append({
        "tensor": tname, "type": t.tensor_type.name.lower(), "count": int(values.size),
        "sum": float(values.astype(np.float64).sum()),
        "checksum": format(checksum(values), "016x"),
        "samples": [{"index": int(i), "bits": int(values[i:i + 1].view(np.uint32)[0])} for i in flat_idx],
    })

manifest = {
    "generator": "scripts/make_quant_fixtures.py",
    "gguf": gguf.__version__ if hasattr(gguf, "__version__") else "0.19.0",
    "numpy": np.__version__,
    "model": os.path.basename(model_path),
    "cases": cases,
    "tensors": whole,
}
with open(os.path.join(root, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
    f.write("\n")
print(f"{len(cases)} cases, {len(whole)} tensors -> {root}")
