import GGUF

/// Everything that can go wrong in this module: loading a vocabulary from GGUF metadata, and
/// parsing or rendering a chat template.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// A `tokenizer.*` key is missing or has the wrong type.
    case metadata(GGUFError)
    /// `tokenizer.ggml.model` names a tokenizer this module does not implement.
    case unsupportedModel(path: String, model: String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer this module does not implement.
    case unsupportedPreTokenizer(path: String, name: String)
    /// The vocabulary is inconsistent (array lengths differ, ids out of range, ...).
    case invalidVocabulary(path: String, reason: String)
    /// The chat template has a syntax error or uses a construct the interpreter lacks.
    case templateSyntax(message: String, line: Int, column: Int)
    /// Rendering failed: a type error, an unknown filter, or an undefined value used as a value.
    case templateRender(message: String, line: Int)
    /// The template itself called `raise_exception(message)`.
    case templateRaised(message: String)
    /// JSON given for template variables (`TemplateValue(json:)`) is malformed.
    case invalidJSON(offset: Int, reason: String)

    public var description: String {
        switch self {
        case .metadata(let error):
            "Tokenizer metadata: \(error.description)"
        case .unsupportedModel(let path, let model):
            "\(path): tokenizer.ggml.model is '\(model)'; supported are 'gpt2' (byte-level BPE) and 'llama' (SentencePiece). Use a model with one of these tokenizers."
        case .unsupportedPreTokenizer(let path, let name):
            "\(path): tokenizer.ggml.pre is '\(name)'; supported are \(PreTokenizer.supportedNames). Splitting text another way would give wrong tokens, so the model cannot be used yet."
        case .invalidVocabulary(let path, let reason):
            "\(path): invalid tokenizer vocabulary: \(reason). The file may be corrupt; re-download or re-convert it."
        case .templateSyntax(let message, let line, let column):
            "Chat template, line \(line) column \(column): \(message)"
        case .templateRender(let message, let line):
            "Chat template, line \(line): \(message)"
        case .templateRaised(let message):
            "Chat template raised an exception: \(message)"
        case .invalidJSON(let offset, let reason):
            "Invalid JSON at byte \(offset): \(reason)."
        }
    }
}

extension PreTokenizer {
    /// The `tokenizer.ggml.pre` values this module accepts, for error messages.
    static let supportedNames = "default, gpt2, smollm, starcoder, llama-bpe, llama3, qwen2 and a few aliases"
}
