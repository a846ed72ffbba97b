#!/usr/bin/env python3
"""Writes the tokenizer goldens with independent tokenizers.

    pip install tokenizers==0.23.3 sentencepiece==0.2.3 gguf==0.19.0
    python3 scripts/make_tokenizer_goldens.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]

What it writes (committed), all under Tests/Fixtures/tokenizer/:
  smollm2_goldens.json   ids from HF `tokenizers` built from the default model's own vocabulary and
                         merges (pre-tokenizer `smollm` = Digits(individual) + ByteLevel regex). The
                         vocabulary itself is not committed: the test reads the model from the cache.
  llama3_vocab.gguf      a small byte-level BPE trained here with `tokenizers`, pre-tokenized with the
                         Llama 3 regex (`tokenizer.ggml.pre = llama-bpe`, ignore_merges as Llama 3 has)
  llama3_goldens.json
  qwen2_vocab.gguf       the same with the Qwen2 regex (`tokenizer.ggml.pre = qwen2`)
  qwen2_goldens.json
  gpt2_vocab.gguf        the same with GPT-2's own ByteLevel expression (`tokenizer.ggml.pre = gpt2`)
  gpt2_goldens.json
  spm_vocab.gguf         a small SentencePiece BPE (byte_fallback) trained here with `sentencepiece`,
                         converted to GGUF the way llama.cpp's convert_hf_to_gguf.py does
  spm_goldens.json       ids from `sentencepiece` itself

The small vocabularies are trained on Python's standard library sources plus the multilingual lines
below, so they hold merges for code, prose and several scripts.
"""
import glob, json, os, sys, tempfile

import gguf
import sentencepiece as spm
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
import tokenizers

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "tokenizer")
os.makedirs(ROOT, exist_ok=True)
MODEL = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser(
    "~/.cache/quorum/models/SmolLM2-135M-Instruct.Q4_1.gguf")

LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")

# The text set: every tokenizer encodes all of these, plus its own special-token lines.
TEXTS = [
    ("empty", ""),
    ("space", " "),
    ("word", "hello"),
    ("sentence", "The quick brown fox jumps over the lazy dog."),
    ("leading_trailing_spaces", "  leading and trailing   "),
    ("runs_of_spaces", "a  b   c    d     e"),
    ("spaces_then_word", "   x"),
    ("newlines", "\n\n\n"),
    ("mixed_whitespace", "line one\n\n  line two\t\ttabbed\r\nwindows\n \n\t end"),
    ("only_tabs", "\t\t\t"),
    ("contractions", "I'm sure you're right, they've said it's what we'd do and I'll go. DON'T SHOUT, 'TWAS I'LL"),
    ("quotes", "'single' \"double\" `back` ''' \"\"\""),
    ("python_code", "def fib(n: int) -> int:\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    if n < 2:\n"
                    "        return n\n    a, b = 0, 1\n    for _ in range(n - 1):\n        a, b = b, a + b\n"
                    "    return b\n\n\nprint([fib(i) for i in range(10)])  # [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]\n"),
    ("json_code", "{\"key\": [1, 2.5, null, true], \"nested\": {\"x\": \"y\"}}"),
    ("swift_code", "let xs = [1, 2, 3].map { $0 * 2 }\nguard let y = xs.first else { return }\n"),
    ("latex", "$\\int_0^1 x^2\\,dx = \\frac{1}{3}$ and \\(\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}\\)"),
    ("numbers", "12345678 3.14159 -42 1e-10 0.000001 1,234,567.89 2024-06-01 10:30"),
    ("long_number", "123456789012345678901234567890"),
    ("math_symbols", "∑ ∫ ∞ ≠ ≤ ≥ √2 π≈3.14 α+β=γ ×÷ ±"),
    ("emoji", "I love 🍕 and 🎉! 👍🏽 ❤️ 😀😃😄"),
    ("emoji_zwj", "family: 👨‍👩‍👧‍👦 tech: 👩🏽‍💻 rainbow flag: 🏳️‍🌈"),
    ("flags", "🇫🇷🇯🇵🇺🇸 flags"),
    ("cjk", "日本語のテキストと中文文本。한국어 텍스트도 있습니다."),
    ("arabic", "مرحبا بالعالم، كيف حالك؟ ١٢٣"),
    ("hindi", "नमस्ते दुनिया, आप कैसे हैं?"),
    ("cyrillic_greek", "Привет, мир! Γειά σου Κόσμε"),
    ("accented", "Café naïve résumé Ångström façade São Paulo Zürich"),
    ("combining", "e\u0301 a\u0308 n\u0303 (decomposed accents)"),
    ("unicode_spaces", "non\u00a0breaking\u2003em\u3000ideographic\u200bzero-width"),
    ("control_chars", "bell\u0007 escape\u001b[0m del\u007f"),
    ("punctuation_runs", "Wait... what?!?! (yes) [no] {maybe} <tag> --- *** ___ ///"),
    ("url_email", "https://example.com/path?q=1&r=two#frag user@example.org"),
    ("long_word", "Pneumonoultramicroscopicsilicovolcanoconiosis" * 12),
    ("long_spaces", " " * 100 + "end"),
    ("repeated_chars", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!!!!!!!!!!!!!!!!????"),
    ("mixed_scripts", "Tokyo東京2024年は🎌 – “smart quotes” ‘too’ — dash…"),
    ("almost_special", "<|im_start <|im_end| <s <|eot_id| |>"),
]


def fuzz_texts(count=120, seed=20261122):
    """Random mixtures of the pieces the pre-tokenizer expressions treat differently: letters of
    several scripts, numbers (including non-ASCII digits, superscripts and Roman numerals), every
    kind of whitespace, punctuation, contractions in both cases, combining marks and emoji."""
    import random
    rng = random.Random(seed)
    pieces = ["a", "Z", "word", "The", " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n ", "\u00a0", "\u2003",
              "\u3000", "0", "7", "42", "2024", "3.14", "1,000", "\u0661\u0662", "\u096b", "\u00b2", "\u216b",
              "'s", "'S", "'t", "'re", "'VE", "'m", "'ll", "'LL", "'d", "'x", "\u017f", "'\u017f", "\"", "'",
              ".", ",", "!?", "...", "(", ")", "{", "}", "$", "#", "@", "_", "-", "->", "==", "//", "\\",
              "\u00e9", "\u00df", "\u0416", "\u4e2d", "\u6587", "\u0627", "\u05d0", "\u0e01", "e\u0301",
              "\u0301", "\U0001f600", "\U0001f468\u200d\U0001f469", "\U0001f1eb\U0001f1f7", "\u2764\ufe0f",
              "\u200b", "\u00ad", "\u2028", "\u0007", "\u001b", "\u007f"]
    texts = []
    for k in range(count):
        n = rng.randint(1, 30)
        texts.append((f"fuzz_{k:03d}", "".join(rng.choice(pieces) for _ in range(n))))
    return texts


TEXTS += fuzz_texts()

SPECIAL_TEXTS = {
    "smollm2": [
        ("special_chatml", "<|im_start|>user\nhi there<|im_end|>\n<|im_start|>assistant\n"),
        ("special_adjacent", "<|im_end|><|im_end|>text<|endoftext|> <|im_start|>"),
    ],
    "llama3": [
        ("special_llama3", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi there<|eot_id|>"
                           "<|start_header_id|>assistant<|end_header_id|>\n\n"),
        ("special_adjacent", "<|eot_id|><|eot_id|>text<|end_of_text|> <|begin_of_text|>"),
    ],
    "gpt2": [
        ("special_endoftext", "first document<|endoftext|>second document<|endoftext|>"),
    ],
    "qwen2": [
        ("special_chatml", "<|im_start|>user\nhi there<|im_end|>\n<|im_start|>assistant\n"),
        ("special_adjacent", "<|im_end|><|im_end|>text<|endoftext|> <|im_start|>"),
    ],
    "spm": [
        ("special_inst", "<s>[INST] hi there [/INST] hello</s><s>[INST] again [/INST]"),
        ("special_adjacent", "</s></s>text</s> <s>"),
    ],
}


def write_json(name, obj):
    with open(os.path.join(ROOT, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def corpus_lines():
    """Training text: Python stdlib sources and multilingual sentences."""
    lines = []
    for path in sorted(glob.glob("/usr/lib/python3.11/*.py"))[:120]:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines.extend(f.read().splitlines())
    extra = [
        "The quick brown fox jumps over the lazy dog. I'm sure you're right, they've said it's fine.",
        "日本語のテキストと中文文本。東京は日本の首都です。中文是一种语言。",
        "한국어 텍스트도 있습니다. 안녕하세요 세계",
        "مرحبا بالعالم، كيف حالك؟ اللغة العربية جميلة",
        "नमस्ते दुनिया, आप कैसे हैं? हिन्दी भाषा",
        "Привет, мир! Как дела? Γειά σου Κόσμε, τι κάνεις;",
        "Café naïve résumé Ångström façade São Paulo Zürich",
        "Emoji 😀 😃 😄 🍕 🎉 👍 ❤️ are common in chat.",
        "$\\int_0^1 x^2 dx = \\frac{1}{3}$, \\sum_{k=1}^{n} k, \\alpha + \\beta",
        "The numbers 3.14159, 2.71828, 1234567890 and 1e-10 appear in math.",
    ]
    for _ in range(200):
        lines.extend(extra)
    return [l for l in lines if l.strip()]


def hf_encode_all(tok, texts):
    out = []
    for name, text in texts:
        enc = tok.encode(text, add_special_tokens=False)
        ids = enc.ids
        assert tok.decode(ids, skip_special_tokens=False) == text, (name, tok.decode(ids, skip_special_tokens=False))
        out.append({"name": name, "text": text, "ids": ids})
    return out


def gguf_bpe_vocab(path, pre, tokens, types, merges, bos, eos, add_bos, chat_template=None):
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(bos)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(add_bos)
    if chat_template:
        w.add_chat_template(chat_template)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# 1. SmolLM2: the real vocabulary.
def smollm2():
    r = gguf.GGUFReader(MODEL)
    tokens = r.fields["tokenizer.ggml.tokens"].contents()
    types = r.fields["tokenizer.ggml.token_type"].contents()
    merges = [tuple(m.split(" ", 1)) for m in r.fields["tokenizer.ggml.merges"].contents()]
    assert r.fields["tokenizer.ggml.pre"].contents() == "smollm"
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t, ty in zip(tokens, types) if ty == 3])
    cases = hf_encode_all(tok, TEXTS + SPECIAL_TEXTS["smollm2"])
    write_json("smollm2_goldens.json", {
        "generator": f"tokenizers {tokenizers.__version__}",
        "model": os.path.basename(MODEL), "vocabulary_size": len(tokens), "merge_count": len(merges),
        "bos": 1, "eos": 2, "cases": cases})
    return len(cases)


# 2./3. Small byte-level BPEs trained with a Split(regex) + ByteLevel pre-tokenizer.
def trained_bpe(name, regex, pre, specials, bos, eos, add_bos, ignore_merges, vocab_size=3000):
    tok = Tokenizer(models.BPE())
    if regex is None:
        # GPT-2: ByteLevel's own expression.
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus_lines(), trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    vocab = model["vocab"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in model["merges"]]
    # Rebuild with the Llama 3 option, so the reference uses exactly what the GGUF says.
    ref = Tokenizer(models.BPE(vocab=vocab, merges=merges, ignore_merges=ignore_merges))
    ref.pre_tokenizer = tok.pre_tokenizer
    ref.decoder = tok.decoder
    ref.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    tokens = [None] * len(vocab)
    for t, i in vocab.items():
        tokens[i] = t
    types = [3 if t in specials else 1 for t in tokens]
    bos_id, eos_id = vocab[bos], vocab[eos]
    gguf_bpe_vocab(os.path.join(ROOT, f"{name}_vocab.gguf"), pre, tokens, types,
                   [f"{a} {b}" for a, b in merges], bos_id, eos_id, add_bos)
    cases = hf_encode_all(ref, TEXTS + SPECIAL_TEXTS[name])
    write_json(f"{name}_goldens.json", {
        "generator": f"tokenizers {tokenizers.__version__}", "vocabulary": f"{name}_vocab.gguf",
        "pre_tokenizer": pre, "regex": regex, "ignore_merges": ignore_merges,
        "vocabulary_size": len(tokens), "merge_count": len(merges),
        "bos": bos_id, "eos": eos_id, "add_bos": add_bos, "cases": cases})
    return len(cases)


# 4. SentencePiece BPE with byte fallback.
def sentencepiece_bpe():
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write("\n".join(corpus_lines()))
        prefix = os.path.join(tmp, "spm")
        spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=prefix, model_type="bpe", vocab_size=2000,
            byte_fallback=True, character_coverage=0.9995, normalization_rule_name="identity",
            remove_extra_whitespaces=False, add_dummy_prefix=True, split_digits=True,
            allow_whitespace_only_pieces=True, max_sentence_length=100000,
            unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2)
        sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    tokens, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        # llama.cpp's SentencePieceTokenTypes: NORMAL 1, UNKNOWN 2, CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6
        types.append(2 if sp.is_unknown(i) else 3 if sp.is_control(i) else 5 if sp.is_unused(i)
                     else 6 if sp.is_byte(i) else 1)
    w = gguf.GGUFWriter(os.path.join(ROOT, "spm_vocab.gguf"), arch="llama")
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(sp.bos_id())
    w.add_eos_token_id(sp.eos_id())
    w.add_unk_token_id(sp.unk_id())
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(True)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    specials = {"<s>": sp.bos_id(), "</s>": sp.eos_id()}

    def encode(text):
        # SentencePiece does not parse control tokens in text; llama.cpp (and HF's slow Llama
        # tokenizer) split them out first and encode each text fragment on its own, which adds
        # the dummy prefix to every fragment. Mirror that split here.
        ids, i, start = [], 0, 0
        while i < len(text):
            hit = next((s for s in sorted(specials, key=len, reverse=True) if text.startswith(s, i)), None)
            if hit:
                if i > start:
                    ids += sp.encode(text[start:i])
                ids.append(specials[hit])
                i += len(hit)
                start = i
            else:
                i += 1
        if start < len(text):
            ids += sp.encode(text[start:])
        return ids

    cases = [{"name": n, "text": t, "ids": encode(t)} for n, t in TEXTS + SPECIAL_TEXTS["spm"]]
    write_json("spm_goldens.json", {
        "generator": f"sentencepiece {spm.__version__}", "vocabulary": "spm_vocab.gguf",
        "vocabulary_size": len(tokens), "bos": sp.bos_id(), "eos": sp.eos_id(), "unk": sp.unk_id(),
        "add_bos": True,
        "decoded": [{"name": c["name"], "text": sp.decode(c["ids"])} for c in cases
                    if "<s>" not in c["text"] and "</s>" not in c["text"]],
        "cases": cases})
    return len(cases)


if __name__ == "__main__":
    counts = {
        "smollm2": smollm2(),
        "llama3": trained_bpe("llama3", LLAMA3_REGEX, "llama-bpe",
                              ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                               "<|end_header_id|>", "<|eot_id|>"],
                              "<|begin_of_text|>", "<|end_of_text|>", True, True),
        "gpt2": trained_bpe("gpt2", None, "gpt2", ["<|endoftext|>"], "<|endoftext|>", "<|endoftext|>", False, False),
        "qwen2": trained_bpe("qwen2", QWEN2_REGEX, "qwen2", ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                             "<|im_start|>", "<|im_end|>", False, False),
        "spm": sentencepiece_bpe(),
    }
    print(counts)
