/// The sizes that set a transformer's inference cost per token.
public struct ModelShape: Sendable, Hashable, Codable {
    /// Total parameter count (e.g. 8.03e9 for Llama-3-8B).
    public var parameters: Double
    /// Transformer blocks.
    public var layers: Int
    /// Hidden size (`token_dim`, `embedding_length` in GGUF).
    public var width: Int

    public init(parameters: Double, layers: Int, width: Int) {
        self.parameters = parameters
        self.layers = layers
        self.width = width
    }

    /// Large Language Monkeys §2.3: `FLOPs_per_token ≈ 2·(parameters + 2·layers·width·context)`:
    /// two FLOPs per weight for the matrix products, plus attention over `contextLength`
    /// cached positions (scores and weighted sum, each `layers·width` per position).
    /// - Parameter contextLength: positions attended to, in tokens.
    public func flopsPerToken(contextLength: Int) -> Double {
        2 * (parameters + 2 * Double(layers) * Double(width) * Double(contextLength))
    }
}

/// Token counts of one problem: one prompt, many completions.
public struct ProblemUsage: Sendable, Hashable, Codable {
    /// Tokens in the prompt (computed once when completions share the prompt's KV cache).
    public var promptTokens: Int
    /// Completions drawn.
    public var completions: Int
    /// Tokens decoded, summed over all completions.
    public var decodedTokens: Int

    public init(promptTokens: Int, completions: Int, decodedTokens: Int) {
        self.promptTokens = promptTokens
        self.completions = completions
        self.decodedTokens = decodedTokens
    }
}

/// API prices in dollars per million tokens.
public struct TokenPrice: Sendable, Hashable, Codable {
    public var promptDollarsPerMillion: Double
    public var completionDollarsPerMillion: Double

    public init(promptDollarsPerMillion: Double, completionDollarsPerMillion: Double) {
        self.promptDollarsPerMillion = promptDollarsPerMillion
        self.completionDollarsPerMillion = completionDollarsPerMillion
    }

    public func dollars(promptTokens: Int, completionTokens: Int) -> Double {
        (Double(promptTokens) * promptDollarsPerMillion + Double(completionTokens) * completionDollarsPerMillion) / 1e6
    }
}

/// What a set of problems cost: FLOPs by Large Language Monkeys' formula, and dollars when
/// a price is given.
public struct ComputeCost: Sendable, Hashable, Codable {
    /// Inference FLOPs: `prompt_tokens·FLOPs_per_token + decoded_tokens·FLOPs_per_token`.
    public var flops: Double
    /// Dollars, `nil` without a price.
    public var dollars: Double?
    /// Prompt tokens processed (each problem's prompt once) and billed (see `CostModel`).
    public var promptTokens: Int
    public var billedPromptTokens: Int
    public var decodedTokens: Int
}

/// Turns token counts into FLOPs and dollars.
///
/// FLOPs follow Large Language Monkeys §2.3 (METHODS.md §1(a)6): every token costs
/// ``ModelShape/flopsPerToken(contextLength:)``; the prompt is counted once per problem (the
/// completions share its KV cache), decoding once per decoded token of every completion.
/// Money is billed per request by most APIs: with `promptBilledPerCompletion` (the default)
/// the prompt is charged once per completion, otherwise once per problem (`n > 1` requests).
///
/// ```swift
/// let llama8B = ModelShape(parameters: 8.03e9, layers: 32, width: 4096)
/// let model = CostModel(shape: llama8B, contextLength: 1024,
///                       price: TokenPrice(promptDollarsPerMillion: 0.05, completionDollarsPerMillion: 0.08))
/// let cost = model.cost([ProblemUsage(promptTokens: 600, completions: 100, decodedTokens: 25_000)])
/// ```
public struct CostModel: Sendable, Hashable, Codable {
    public var shape: ModelShape
    /// The context length used in the attention term, in tokens (e.g. prompt + mean completion).
    public var contextLength: Int
    public var price: TokenPrice?
    public var promptBilledPerCompletion: Bool

    public init(shape: ModelShape, contextLength: Int, price: TokenPrice? = nil, promptBilledPerCompletion: Bool = true) {
        self.shape = shape
        self.contextLength = contextLength
        self.price = price
        self.promptBilledPerCompletion = promptBilledPerCompletion
    }

    public var flopsPerToken: Double { shape.flopsPerToken(contextLength: contextLength) }

    /// Totals over problems.
    public func cost(_ problems: [ProblemUsage]) -> ComputeCost {
        let prompt = problems.reduce(0) { $0 + $1.promptTokens }
        let billedPrompt = problems.reduce(0) { $0 + $1.promptTokens * (promptBilledPerCompletion ? $1.completions : 1) }
        let decoded = problems.reduce(0) { $0 + $1.decodedTokens }
        return ComputeCost(
            flops: Double(prompt + decoded) * flopsPerToken,
            dollars: price?.dollars(promptTokens: billedPrompt, completionTokens: decoded),
            promptTokens: prompt, billedPromptTokens: billedPrompt, decodedTokens: decoded)
    }
}
