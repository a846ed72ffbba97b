import GGUF

/// A model's tokenizer, built from the `tokenizer.*` metadata of its GGUF file.
///
/// Two kinds are implemented, as llama.cpp names them in `tokenizer.ggml.model`:
/// - `gpt2`: byte-level BPE with merge ranks from `tokenizer.ggml.merges` and the pre-tokenizer
///   named by `tokenizer.ggml.pre` (SmolLM2, Llama 3, Qwen2, GPT-2; see ``PreTokenizer``).
/// - `llama`: SentencePiece BPE with scores from `tokenizer.ggml.scores`, byte fallback through
///   `<0xXX>` tokens and a `▁` space prefix (Llama 1/2, Mistral, Gemma).
///
/// Control and user-defined tokens (`<|im_start|>`, `<s>`) written in the text are recognised
/// before the text is split (`parseSpecial`), as llama.cpp's `tokenizer_st_partition` does.
///
/// ```swift
/// let tokenizer = try Tokenizer(gguf: GGUFFile(path: "SmolLM2-135M-Instruct.Q4_1.gguf"))
/// let ids = tokenizer.encode("<|im_start|>user\nHi!<|im_end|>")   // [1, 4093, 198, ...]
/// tokenizer.decode(ids) == "<|im_start|>user\nHi!<|im_end|>"        // true: byte-level BPE is lossless
/// ```
public final class Tokenizer: Sendable {
    /// The two tokenizer families (`tokenizer.ggml.model`).
    public enum Kind: String, Sendable {
        case bytePairEncoding = "gpt2"
        case sentencePiece = "llama"
    }

    /// `tokenizer.ggml.token_type` values (llama.cpp's `llama_token_type`).
    public enum TokenType: Int, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public let kind: Kind
    /// The pre-tokenizer (byte-level BPE only).
    public let preTokenizer: PreTokenizer?
    /// Number of tokens in the vocabulary (the model's logit count may be larger, padded).
    public let vocabularySize: Int
    /// Beginning-of-sequence token (`tokenizer.ggml.bos_token_id`), if the model has one.
    public let bosID: Int?
    /// End-of-sequence token (`tokenizer.ggml.eos_token_id`), if the model has one.
    public let eosID: Int?
    public let unknownID: Int?
    public let paddingID: Int?
    /// Every token that ends generation: the EOS and EOT/EOM tokens, and any control token spelled
    /// like one (`<|im_end|>`, `<|eot_id|>`, `<|end_of_text|>`, `<end_of_turn>`, ...), as llama.cpp's
    /// `special_eog_ids`.
    public let eotIDs: Set<Int>
    /// Whether `encode(addSpecial: true)` starts with the BOS token (`tokenizer.ggml.add_bos_token`).
    public let addsBOS: Bool
    /// Whether `encode(addSpecial: true)` ends with the EOS token (`tokenizer.ggml.add_eos_token`).
    public let addsEOS: Bool
    /// SentencePiece: prepend a space to text at the start and after special tokens
    /// (`tokenizer.ggml.add_space_prefix`, default true for `llama`).
    public let addsSpacePrefix: Bool
    /// `tokenizer.chat_template`, the model's own Jinja chat template, if it has one.
    public let chatTemplate: String?
    /// The most text bytes one token can stand for (the longest token's bytes, at least 4 for an
    /// unknown token's character): a text of B bytes has at least B / this many tokens.
    public let longestTokenByteCount: Int

    private let tokens: [String]
    private let types: [TokenType]
    /// What each token decodes to, as bytes (special tokens: their text).
    private let pieces: [[UInt8]]
    private let specialMatcher: SpecialTokenMatcher
    private let bytePairs: BytePairMerger?
    /// Llama 3's `ignore_merges`: a word that is itself a token is used whole.
    private let wholeWords: [ArraySlice<UInt8>: Int32]
    private let sentencePieces: SentencePieceMerger?

    /// Builds the tokenizer from a GGUF file's metadata (tensors are not read).
    ///
    /// - Throws: ``TokenizerError`` when a required key is missing, the tokenizer or
    ///   pre-tokenizer is one this module does not implement, or the vocabulary is inconsistent.
    public init(gguf file: GGUFFile) throws(TokenizerError) {
        let path = file.path
        func meta<T>(_ body: () throws(GGUFError) -> T) throws(TokenizerError) -> T {
            do { return try body() } catch { throw .metadata(error) }
        }
        let model = try meta { () throws(GGUFError) in try file.string("tokenizer.ggml.model") }
        guard let kind = Kind(rawValue: model) else { throw .unsupportedModel(path: path, model: model) }
        self.kind = kind
        let tokens = try meta { () throws(GGUFError) in try file.stringArray("tokenizer.ggml.tokens") }
        guard !tokens.isEmpty else { throw .invalidVocabulary(path: path, reason: "tokenizer.ggml.tokens is empty") }
        self.tokens = tokens
        vocabularySize = tokens.count

        var types = [TokenType](repeating: .normal, count: tokens.count)
        if file["tokenizer.ggml.token_type"] != nil {
            let raw = try meta { () throws(GGUFError) in try file.intArray("tokenizer.ggml.token_type") }
            guard raw.count == tokens.count else {
                throw .invalidVocabulary(path: path, reason: "\(raw.count) token types for \(tokens.count) tokens")
            }
            types = raw.map { TokenType(rawValue: $0) ?? .undefined }
        }

        func optionalID(_ key: String) throws(TokenizerError) -> Int? {
            guard file[key] != nil else { return nil }
            let id = try meta { () throws(GGUFError) in try file.int(key) }
            // llama.cpp ignores out-of-range special ids ("bad special token") rather than failing.
            return id >= 0 && id < tokens.count ? id : nil
        }
        func optionalBool(_ key: String) throws(TokenizerError) -> Bool? {
            guard file[key] != nil else { return nil }
            return try meta { () throws(GGUFError) in try file.bool(key) }
        }
        bosID = try optionalID("tokenizer.ggml.bos_token_id")
        eosID = try optionalID("tokenizer.ggml.eos_token_id")
        unknownID = try optionalID("tokenizer.ggml.unknown_token_id")
        paddingID = try optionalID("tokenizer.ggml.padding_token_id")
        let eotID = try optionalID("tokenizer.ggml.eot_token_id")
        let eomID = try optionalID("tokenizer.ggml.eom_token_id")
        chatTemplate = file["tokenizer.chat_template"]?.stringValue

        // End-of-generation tokens; llama.cpp also marks the spelled ones as control tokens.
        var eog = Set([eosID, eotID, eomID].compactMap { $0 })
        let endSpellings: Set<String> = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                         "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
                                         "<|return|>", "<|call|>"]
        for (id, text) in tokens.enumerated() where endSpellings.contains(text) {
            if types[id] == .normal || types[id] == .undefined { types[id] = .control }
            eog.insert(id)
        }
        eotIDs = eog
        self.types = types

        switch kind {
        case .bytePairEncoding:
            let preName = file["tokenizer.ggml.pre"]?.stringValue ?? "default"
            guard let pre = PreTokenizer(ggufName: preName) else {
                throw .unsupportedPreTokenizer(path: path, name: preName)
            }
            preTokenizer = pre
            addsBOS = try optionalBool("tokenizer.ggml.add_bos_token") ?? (pre == .llama3)
            addsEOS = try optionalBool("tokenizer.ggml.add_eos_token") ?? false
            addsSpacePrefix = try optionalBool("tokenizer.ggml.add_space_prefix") ?? false

            var idByText: [String: Int32] = [:]
            idByText.reserveCapacity(tokens.count)
            for (id, text) in tokens.enumerated() where idByText[text] == nil { idByText[text] = Int32(id) }
            var byteTokens = [Int32](repeating: -1, count: 256)
            for b in 0..<256 {
                byteTokens[b] = idByText[String(Unicode.Scalar(ByteLevel.scalarForByte[b])!)] ?? -1
            }
            let mergeList = try meta { () throws(GGUFError) in try file.stringArray("tokenizer.ggml.merges") }
            var merges: [UInt64: UInt64] = [:]
            merges.reserveCapacity(mergeList.count)
            for (rank, merge) in mergeList.enumerated() {
                // "left right", split at the first space after the first character (llama.cpp's find(' ', 1)).
                let utf8 = Array(merge.utf8)
                guard utf8.count > 2, let split = utf8[1...].firstIndex(of: 0x20) else {
                    throw .invalidVocabulary(path: path, reason: "merge \(rank) '\(merge)' is not two tokens separated by a space")
                }
                let left = String(decoding: utf8[..<split], as: UTF8.self)
                let right = String(decoding: utf8[(split + 1)...], as: UTF8.self)
                // Merges whose parts or result are not tokens can never apply; HF skips them too.
                guard let l = idByText[left], let r = idByText[right], let m = idByText[left + right] else { continue }
                let key = UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))
                if merges[key] == nil { merges[key] = UInt64(rank) << 32 | UInt64(UInt32(m)) }
            }
            bytePairs = BytePairMerger(merges: merges, byteTokens: byteTokens)
            sentencePieces = nil

            var pieces: [[UInt8]] = []
            pieces.reserveCapacity(tokens.count)
            for (id, text) in tokens.enumerated() {
                switch types[id] {
                case .normal, .byte, .unused, .undefined:
                    pieces.append(ByteLevel.decode(text) ?? Array(text.utf8))
                default:
                    pieces.append(Array(text.utf8))
                }
            }
            self.pieces = pieces
            longestTokenByteCount = max(4, pieces.lazy.map(\.count).max() ?? 0)
            var whole: [ArraySlice<UInt8>: Int32] = [:]
            if pre == .llama3 && ["llama3", "llama-v3", "llama-bpe"].contains(preName) {
                for (id, piece) in pieces.enumerated() where types[id] == .normal && whole[piece[...]] == nil {
                    whole[piece[...]] = Int32(id)
                }
            }
            wholeWords = whole

        case .sentencePiece:
            preTokenizer = nil
            addsBOS = try optionalBool("tokenizer.ggml.add_bos_token") ?? true
            addsEOS = try optionalBool("tokenizer.ggml.add_eos_token") ?? false
            addsSpacePrefix = try optionalBool("tokenizer.ggml.add_space_prefix") ?? true
            let scores = try meta { () throws(GGUFError) in try file.floatArray("tokenizer.ggml.scores") }
            guard scores.count == tokens.count else {
                throw .invalidVocabulary(path: path, reason: "\(scores.count) scores for \(tokens.count) tokens")
            }
            var mergeable: [ArraySlice<UInt8>: Int32] = [:]
            var unused = Set<Int32>()
            var byteTokens = [Int32](repeating: -1, count: 256)
            var pieces: [[UInt8]] = []
            pieces.reserveCapacity(tokens.count)
            for (id, text) in tokens.enumerated() {
                let bytes = Array(text.utf8)
                switch types[id] {
                case .normal, .userDefined, .unused, .undefined:
                    if mergeable[bytes[...]] == nil { mergeable[bytes[...]] = Int32(id) }
                    if types[id] == .unused { unused.insert(Int32(id)) }
                    pieces.append(types[id] == .userDefined ? bytes : Self.unescapeSpaces(bytes))
                case .byte:
                    if let b = Self.byteValue(text) {
                        byteTokens[Int(b)] = Int32(id)
                        pieces.append([b])
                    } else {
                        pieces.append(bytes)
                    }
                case .control, .unknown:
                    pieces.append(bytes)
                }
            }
            self.pieces = pieces
            longestTokenByteCount = max(4, pieces.lazy.map(\.count).max() ?? 0)
            sentencePieces = SentencePieceMerger(pieces: mergeable, longestPiece: mergeable.keys.map(\.count).max() ?? 0,
                                                 scores: scores, unused: unused,
                                                 byteTokens: byteTokens, unknownToken: Int32(unknownID ?? 0))
            bytePairs = nil
            wholeWords = [:]
        }

        var special: [(bytes: [UInt8], id: Int32, alwaysParsed: Bool)] = []
        for (id, type) in types.enumerated() where type == .control || type == .userDefined || type == .unknown {
            guard !tokens[id].isEmpty else { continue }
            special.append((Array(tokens[id].utf8), Int32(id), type == .userDefined))
        }
        specialMatcher = SpecialTokenMatcher(tokens: special)
    }

    /// Opens `path` and builds its tokenizer.
    public convenience init(path: String) throws(TokenizerError) {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw .metadata(error) }
        try self.init(gguf: file)
    }

    // MARK: Encoding

    /// The fewest tokens a text of `utf8Count` bytes can encode to:
    /// each token stands for at most ``longestTokenByteCount`` bytes. Lets a caller refuse a
    /// prompt that cannot fit a context without tokenising megabytes first.
    public func minimumTokenCount(utf8Count: Int) -> Int {
        (utf8Count + longestTokenByteCount - 1) / longestTokenByteCount
    }

    /// The token ids of `text`.
    ///
    /// - Parameters:
    ///   - addSpecial: add BOS/EOS when the model asks for them (``addsBOS``, ``addsEOS``).
    ///   - parseSpecial: turn control-token spellings in the text (`<|im_start|>`) into their ids;
    ///     when false they are tokenized as plain text (user-defined tokens are always recognised,
    ///     as in llama.cpp).
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) -> [Int] {
        var output: [Int32] = []
        output.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecial && addsBOS, let bos = bosID { output.append(Int32(bos)) }
        let bytes = Array(text.utf8)
        var wordCache: [ArraySlice<UInt8>: Range<Int>] = [:]
        var cacheStore: [Int32] = []
        var previousWasSpecial = true
        specialMatcher.partition(bytes, parseSpecial: parseSpecial) { fragment in
            switch fragment {
            case .special(let id):
                output.append(id)
                previousWasSpecial = true
            case .text(let range):
                switch kind {
                case .bytePairEncoding:
                    encodeBytePairs(bytes[range], into: &output, cache: &wordCache, store: &cacheStore)
                case .sentencePiece:
                    var fragmentBytes: [UInt8] = []
                    fragmentBytes.reserveCapacity(range.count + 3)
                    if addsSpacePrefix && previousWasSpecial { fragmentBytes += [0xE2, 0x96, 0x81] }
                    for b in bytes[range] {
                        if b == 0x20 { fragmentBytes += [0xE2, 0x96, 0x81] } else { fragmentBytes.append(b) }
                    }
                    sentencePieces!.encode(fragmentBytes, into: &output)
                }
                previousWasSpecial = false
            }
        }
        if addSpecial && addsEOS, let eos = eosID { output.append(Int32(eos)) }
        return output.map(Int.init)
    }

    private func encodeBytePairs(_ bytes: ArraySlice<UInt8>, into output: inout [Int32],
                                 cache: inout [ArraySlice<UInt8>: Range<Int>], store: inout [Int32]) {
        let merger = bytePairs!
        let text = ClassifiedText(bytes)
        let base = bytes.startIndex
        preTokenizer!.split(text, 0..<text.count) { scalars in
            let word = bytes[(base + text.utf8Offsets[scalars.lowerBound])..<(base + text.utf8Offsets[scalars.upperBound])]
            if let cached = cache[word] {
                output.append(contentsOf: store[cached])
                return
            }
            let start = store.count
            if let whole = wholeWords[word] {
                store.append(whole)
            } else {
                merger.encode(word, into: &store)
            }
            cache[word] = start..<store.count
            output.append(contentsOf: store[start...])
        }
    }

    // MARK: Decoding

    /// The text of `ids`.
    ///
    /// Byte-level BPE is lossless: `decode(encode(text)) == text` for any text. Bytes that do not
    /// form valid UTF-8 (a sequence cut in the middle) become U+FFFD.
    /// - Parameter skipSpecial: leave out control and unknown tokens instead of writing their text.
    public func decode(_ ids: [Int], skipSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        var atStart = true
        for id in ids { appendPiece(id, to: &bytes, atStart: &atStart, skipSpecial: skipSpecial) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the bytes of token `id`; SentencePiece drops the space prefix of the first text piece.
    func appendPiece(_ id: Int, to bytes: inout [UInt8], atStart: inout Bool, skipSpecial: Bool) {
        guard id >= 0 && id < vocabularySize else { return }
        let type = types[id]
        if type == .control || type == .unknown {
            if !skipSpecial { bytes += pieces[id] }
            return
        }
        var piece = pieces[id][...]
        if atStart && kind == .sentencePiece && addsSpacePrefix && piece.first == 0x20 {
            piece = piece.dropFirst()
        }
        atStart = false
        bytes += piece
    }

    // MARK: Vocabulary

    /// The vocabulary entry of `id` as the file spells it (`Ġthe`, `▁the`, `<0x0A>`), or nil when out of range.
    public func tokenText(_ id: Int) -> String? {
        id >= 0 && id < vocabularySize ? tokens[id] : nil
    }

    /// The bytes token `id` decodes to (special tokens: their spelling).
    public func tokenBytes(_ id: Int) -> [UInt8] {
        id >= 0 && id < vocabularySize ? pieces[id] : []
    }

    /// The type of token `id` (`.undefined` when out of range).
    public func tokenType(_ id: Int) -> TokenType {
        id >= 0 && id < vocabularySize ? types[id] : .undefined
    }

    /// Whether `id` is a control token (`<|im_start|>`, `<s>`), which decoding may skip.
    public func isControl(_ id: Int) -> Bool { tokenType(id) == .control }

    /// Whether generating `id` ends the turn (see ``eotIDs``).
    public func isEndOfGeneration(_ id: Int) -> Bool { eotIDs.contains(id) }

    private static func unescapeSpaces(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if i + 2 < bytes.count && bytes[i] == 0xE2 && bytes[i + 1] == 0x96 && bytes[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// The byte of a `<0xXX>` token.
    private static func byteValue(_ text: String) -> UInt8? {
        let u = Array(text.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        return UInt8(String(decoding: u[3...4], as: UTF8.self), radix: 16)
    }
}
