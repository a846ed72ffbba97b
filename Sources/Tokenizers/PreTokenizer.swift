/// How byte-level BPE splits text into words before merging, chosen by `tokenizer.ggml.pre`.
///
/// Each case is a hand-written scanner equivalent to the regular expression that the model's
/// `tokenizer.json` (and llama.cpp's `llm_tokenizer_bpe`) uses, so no regex engine is needed and
/// splitting 100 KB takes milliseconds. Letters are Unicode `L*`, numbers `N*` (`Nd`, `Nl`, `No`),
/// whitespace the `White_Space` property, as Oniguruma's `\p{L}`, `\p{N}` and `\s` define them.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// SmolLM / StarCoder: every digit on its own (`\p{N}`), then the GPT-2 expression.
    case smolLM = "smollm"
    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
    /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    case llama3
    /// Qwen2: the Llama 3 expression with single digits (`\p{N}` instead of `\p{N}{1,3}`).
    case qwen2

    /// The pre-tokenizer for a `tokenizer.ggml.pre` value (the names llama.cpp's
    /// `convert_hf_to_gguf.py` writes), or nil when none of ours matches it.
    public init?(ggufName: String) {
        switch ggufName {
        case "default", "gpt2", "gpt-2", "phi-2", "mpt", "olmo", "jais", "roberta-bpe", "trillion",
             "granite-docling", "jina-es", "jina-de", "jina-v2-es", "jina-v2-de", "jina-v2-code":
            self = .gpt2
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            self = .smolLM
        case "llama3", "llama-v3", "llama-bpe", "dbrx", "smaug-bpe":
            self = .llama3
        case "qwen2", "stablelm2", "hunyuan", "deepseek-r1-qwen":
            self = .qwen2
        default:
            return nil
        }
    }

    /// Splits `scalars[range]` into words, calling `emit` with each word's scalar range in order.
    /// The words cover the range exactly, with no gaps.
    func split(_ text: ClassifiedText, _ range: Range<Int>, emit: (Range<Int>) -> Void) {
        switch self {
        case .gpt2:
            splitGPT2(text, range, emit: emit)
        case .smolLM:
            // Digits(individual_digits) first: each number scalar is a word, the runs between
            // them go through the GPT-2 expression on their own.
            var start = range.lowerBound
            for i in range where text.classes[i] == .number {
                if start < i { splitGPT2(text, start..<i, emit: emit) }
                emit(i..<(i + 1))
                start = i + 1
            }
            if start < range.upperBound { splitGPT2(text, start..<range.upperBound, emit: emit) }
        case .llama3:
            splitLlama3(text, range, maxDigits: 3, emit: emit)
        case .qwen2:
            splitLlama3(text, range, maxDigits: 1, emit: emit)
        }
    }
}

/// Character classes the pre-tokenizer expressions distinguish.
enum CharacterClass: UInt8 {
    case letter, number, whitespace, other
}

/// A text fragment as Unicode scalars with their classes and UTF-8 offsets.
struct ClassifiedText {
    var scalars: [UInt32] = []
    var classes: [CharacterClass] = []
    /// `utf8Offsets[i]` is where scalar `i` starts in the fragment's UTF-8 bytes; one extra entry at the end.
    var utf8Offsets: [Int] = []

    init(_ bytes: ArraySlice<UInt8>) {
        scalars.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        utf8Offsets.reserveCapacity(bytes.count + 1)
        var offset = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        // The bytes come from a Swift String, so they are valid UTF-8.
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                scalars.append(s.value)
                classes.append(Self.classify(s))
                utf8Offsets.append(offset)
                offset += UTF8.width(s)
            case .emptyInput:
                break loop
            case .error:
                scalars.append(0xFFFD)
                classes.append(.other)
                utf8Offsets.append(offset)
                offset += 1
            }
        }
        utf8Offsets.append(offset)
    }

    var count: Int { scalars.count }

    /// ASCII classes by table; the rest from the scalar's Unicode properties.
    static func classify(_ s: Unicode.Scalar) -> CharacterClass {
        let v = s.value
        if v < 128 { return asciiClasses[Int(v)] }
        let properties = s.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return properties.isWhitespace ? .whitespace : .other
        }
    }

    static let asciiClasses: [CharacterClass] = (0..<128).map { v -> CharacterClass in
        switch v {
        case 0x41...0x5A, 0x61...0x7A: .letter
        case 0x30...0x39: .number
        case 0x09...0x0D, 0x20: .whitespace
        default: .other
        }
    }
}

private let apostrophe: UInt32 = 0x27
private let space: UInt32 = 0x20

@inline(__always)
private func isNewline(_ s: UInt32) -> Bool { s == 0x0A || s == 0x0D }

/// Length of a contraction (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`) at `i`, or 0.
/// `caseInsensitive` follows Oniguruma's `(?i:...)`, where `s` also matches `ſ` (U+017F).
@inline(__always)
private func contractionLength(_ s: [UInt32], _ i: Int, _ end: Int, caseInsensitive: Bool) -> Int {
    guard s[i] == apostrophe, i + 1 < end else { return 0 }
    func fold(_ c: UInt32) -> UInt32 {
        guard caseInsensitive else { return c }
        if c >= 0x41 && c <= 0x5A { return c + 32 }
        if c == 0x17F { return 0x73 }   // ſ folds to s
        return c
    }
    let c1 = fold(s[i + 1])
    switch c1 {
    case 0x73, 0x74, 0x6D, 0x64: return 2   // s t m d
    default: break
    }
    guard i + 2 < end else { return 0 }
    let c2 = fold(s[i + 2])
    switch (c1, c2) {
    case (0x72, 0x65), (0x76, 0x65), (0x6C, 0x6C): return 3   // re ve ll
    default: return 0
    }
}

/// The whitespace alternatives `\s+(?!\S)|\s+` at `i` (a whitespace scalar): the whole run when it
/// ends the fragment, else the run minus its last scalar (which then leads the next word), or a
/// lone scalar.
@inline(__always)
private func whitespaceRunEnd(_ c: [CharacterClass], _ i: Int, _ end: Int) -> Int {
    var k = i + 1
    while k < end && c[k] == .whitespace { k += 1 }
    if k == end || k - i == 1 { return k }
    return k - 1
}

/// GPT-2's expression; see `PreTokenizer.gpt2`.
private func splitGPT2(_ text: ClassifiedText, _ range: Range<Int>, emit: (Range<Int>) -> Void) {
    let s = text.scalars, c = text.classes
    let end = range.upperBound
    var i = range.lowerBound
    while i < end {
        let contraction = contractionLength(s, i, end, caseInsensitive: false)
        if contraction > 0 {
            emit(i..<(i + contraction)); i += contraction; continue
        }
        // ` ?X+` for X in letter, number, other: an optional leading space, then a run of one class.
        var j = i
        if s[i] == space && i + 1 < end && c[i + 1] != .whitespace { j = i + 1 }
        let cls = c[j]
        if cls != .whitespace {
            var k = j + 1
            while k < end && c[k] == cls { k += 1 }
            emit(i..<k); i = k; continue
        }
        let k = whitespaceRunEnd(c, i, end)
        emit(i..<k); i = k
    }
}

/// The Llama 3 / Qwen2 expression; see `PreTokenizer.llama3`.
private func splitLlama3(_ text: ClassifiedText, _ range: Range<Int>, maxDigits: Int, emit: (Range<Int>) -> Void) {
    let s = text.scalars, c = text.classes
    let end = range.upperBound
    var i = range.lowerBound
    while i < end {
        let contraction = contractionLength(s, i, end, caseInsensitive: true)
        if contraction > 0 {
            emit(i..<(i + contraction)); i += contraction; continue
        }
        let cls = c[i]
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if cls == .letter || (cls != .number && !isNewline(s[i]) && i + 1 < end && c[i + 1] == .letter) {
            var k = i + 1
            while k < end && c[k] == .letter { k += 1 }
            emit(i..<k); i = k; continue
        }
        // `\p{N}{1,maxDigits}`
        if cls == .number {
            var k = i + 1
            while k < end && k - i < maxDigits && c[k] == .number { k += 1 }
            emit(i..<k); i = k; continue
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var j = i
        if s[i] == space && i + 1 < end && c[i + 1] == .other { j = i + 1 }
        if c[j] == .other {
            var k = j + 1
            while k < end && c[k] == .other { k += 1 }
            while k < end && isNewline(s[k]) { k += 1 }
            emit(i..<k); i = k; continue
        }
        // `\s*[\r\n]+`: up to and including the last newline of the whitespace run.
        var k = i
        var lastNewline = -1
        while k < end && c[k] == .whitespace {
            if isNewline(s[k]) { lastNewline = k }
            k += 1
        }
        if lastNewline >= 0 {
            emit(i..<(lastNewline + 1)); i = lastNewline + 1; continue
        }
        // `\s+(?!\S)|\s+`
        let runEnd = whitespaceRunEnd(c, i, end)
        emit(i..<runEnd); i = runEnd
    }
}
