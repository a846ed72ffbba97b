#!/usr/bin/env python3
"""Writes the GGUF reader's test fixtures with an independent implementation:
the `gguf` package (llama.cpp's gguf-py).

    pip install gguf==0.19.0
    python3 scripts/make_gguf_fixtures.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]

Outputs (committed):
  Tests/Fixtures/gguf/all_types.gguf      every metadata value type, nested arrays, 3 tensors
  Tests/Fixtures/gguf/all_types.json      what gguf-py reads back from it
  Tests/Fixtures/gguf/smollm2_directory.json  metadata and tensor directory of the default model
"""
import hashlib, json, os, sys
import numpy as np
import gguf

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "gguf")
os.makedirs(root, exist_ok=True)


def describe(reader):
    """Metadata and tensor directory as gguf-py sees them."""
    meta = []
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        types = [t.name for t in field.types]
        entry = {"key": key, "types": types}
        if field.types[0] == gguf.GGUFValueType.ARRAY:
            entry["count"] = len(field.data)
            if field.types[-1] != gguf.GGUFValueType.ARRAY:
                vals = field.contents()
                entry["head"] = vals[:3]
                entry["tail"] = vals[-2:] if vals else []
            else:
                entry["value"] = field.contents()
        else:
            entry["value"] = field.contents()
        meta.append(entry)
    tensors = [{"name": t.name, "type": int(t.tensor_type), "shape": [int(x) for x in t.shape],
                "offset": int(t.data_offset), "bytes": int(t.n_bytes)} for t in reader.tensors]
    return {"metadata": meta, "tensors": tensors}


# 1. A small file with every value type, written by gguf-py.
path = os.path.join(root, "all_types.gguf")
w = gguf.GGUFWriter(path, arch="llama")
w.add_uint8("test.u8", 200)
w.add_int8("test.i8", -100)
w.add_uint16("test.u16", 60000)
w.add_int16("test.i16", -30000)
w.add_uint32("test.u32", 4_000_000_000)
w.add_int32("test.i32", -2_000_000_000)
w.add_float32("test.f32", 0.15625)
w.add_uint64("test.u64", 18_000_000_000_000_000_000)
w.add_int64("test.i64", -9_000_000_000_000_000_000)
w.add_float64("test.f64", -2.5e-300)
w.add_bool("test.bool_true", True)
w.add_bool("test.bool_false", False)
w.add_string("test.string", "héllo, wörld ✓ 🙂")
w.add_string("test.empty_string", "")
w.add_array("test.array_i32", [1, -2, 3])
w.add_array("test.array_f32", [0.5, -1.25])
w.add_array("test.array_string", ["a", "bc", ""])
# gguf-py refuses empty arrays; the Swift tests write one with GGUFWriter.
w.add_array("test.array_nested", [[1, 2], [3, 4, 5]])
w.add_tensor("a.weight", np.arange(12, dtype=np.float32).reshape(3, 4))
w.add_tensor("b.weight", np.array([1.5, -2.0], dtype=np.float16))
w.add_tensor("c.weight", np.arange(40, dtype=np.float32))
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
with open(os.path.join(root, "all_types.json"), "w") as f:
    json.dump(describe(gguf.GGUFReader(path)), f, indent=1, ensure_ascii=False)

# 2. The default model's directory (skipped when no model path is given).
if len(sys.argv) > 1:
    model = sys.argv[1]
    d = describe(gguf.GGUFReader(model))
    d["sha256"] = hashlib.sha256(open(model, "rb").read()).hexdigest()
    d["file_size"] = os.path.getsize(model)
    with open(os.path.join(root, "smollm2_directory.json"), "w") as f:
        json.dump(d, f, indent=1, ensure_ascii=False)
print("wrote fixtures to", root)
