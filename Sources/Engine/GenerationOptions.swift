import ScalingCore

/// How the embedded engine picks each next token, and when it stops: ScalingCore's
/// backend-neutral `SamplingParameters` resolved to concrete values, plus what only
/// this engine has (seeds, stop tokens, the penalty window).
/// Defaults sample from the model's
/// distribution unchanged (temperature 1, no truncation, no penalties).
///
/// The sampler applies, in order (llama.cpp's default chain):
/// 1. penalties — repetition (CTRL-style: a positive logit is divided by the
///    penalty, a negative one multiplied), then frequency and presence
///    (OpenAI-style: `logit -= count × frequency + (count > 0) × presence`), over the
///    last `penaltyWindow` tokens of prompt and completion;
/// 2. top-k, 3. top-p (nucleus), 4. min-p — each on the probabilities at
///    temperature 1 of the candidates that survived the previous stage;
/// 5. temperature, 6. a draw from the softmax of what remains.
/// Temperature 0 picks the highest penalised logit (greedy; ties to the lowest id).
public struct GenerationOptions: Sendable, Equatable {
    /// 0 = greedy.
    public var temperature: Double = 1
    /// Keep the `topK` most likely tokens; 0 = off.
    public var topK: Int = 0
    /// Keep the smallest set of most likely tokens whose probability reaches `topP`; 1 = off.
    public var topP: Double = 1
    /// Drop tokens less likely than `minP` × the most likely one; 0 = off.
    public var minP: Double = 0
    /// 1 = off.
    public var repetitionPenalty: Double = 1
    /// 0 = off.
    public var frequencyPenalty: Double = 0
    /// 0 = off.
    public var presencePenalty: Double = 0
    /// Tokens of recent context the penalties look at.
    public var penaltyWindow: Int = 64
    /// Tokens to generate at most per sample.
    public var maxTokens: Int = 256
    /// Generation stops before any of these strings; the text excludes it.
    public var stopStrings: [String] = []
    /// Generation stops at these tokens (the engine adds the model's end-of-turn tokens).
    public var stopTokens: Set<Int> = []
    /// Sample `i` of a request draws from `SplitMix64(seed: seed &+ i)`.
    public var seed: UInt64 = 0
    /// Alternatives reported per position besides the chosen token (0 = chosen only).
    public var topLogprobs: Int = 0

    public init(temperature: Double = 1, topK: Int = 0, topP: Double = 1, minP: Double = 0,
                repetitionPenalty: Double = 1, frequencyPenalty: Double = 0, presencePenalty: Double = 0,
                penaltyWindow: Int = 64, maxTokens: Int = 256, stopStrings: [String] = [], stopTokens: Set<Int> = [],
                seed: UInt64 = 0, topLogprobs: Int = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        self.penaltyWindow = penaltyWindow
        self.maxTokens = maxTokens
        self.stopStrings = stopStrings
        self.stopTokens = stopTokens
        self.seed = seed
        self.topLogprobs = topLogprobs
    }

    /// Resolves backend-neutral parameters: a nil knob means "off".
    public init(_ parameters: SamplingParameters, seed: UInt64 = 0) {
        self.init(temperature: parameters.temperature, topK: parameters.topK ?? 0, topP: parameters.topP ?? 1,
                  minP: parameters.minP ?? 0, repetitionPenalty: parameters.repetitionPenalty ?? 1,
                  frequencyPenalty: parameters.frequencyPenalty ?? 0, presencePenalty: parameters.presencePenalty ?? 0,
                  maxTokens: parameters.maxTokens, stopStrings: parameters.stop, seed: seed,
                  topLogprobs: parameters.logprobs ?? 0)
    }

    /// Greedy decoding (temperature 0).
    public static var greedy: GenerationOptions { GenerationOptions(temperature: 0) }

    /// Throws on out-of-range values, naming the parameter.
    public func validate() throws(EngineError) {
        func check(_ ok: Bool, _ name: String, _ value: Any, _ expected: String) throws(EngineError) {
            if !ok { throw .invalidParameter(name: name, value: "\(value)", expected: expected) }
        }
        try check(temperature >= 0 && temperature.isFinite, "temperature", temperature, "a finite number ≥ 0")
        try check(topK >= 0, "topK", topK, "≥ 0 (0 = off)")
        try check(topP > 0 && topP <= 1, "topP", topP, "in (0, 1]")
        try check(minP >= 0 && minP <= 1, "minP", minP, "in [0, 1]")
        try check(repetitionPenalty > 0 && repetitionPenalty.isFinite, "repetitionPenalty", repetitionPenalty, "> 0 (1 = off)")
        try check(frequencyPenalty.isFinite, "frequencyPenalty", frequencyPenalty, "a finite number")
        try check(presencePenalty.isFinite, "presencePenalty", presencePenalty, "a finite number")
        try check(penaltyWindow >= 0, "penaltyWindow", penaltyWindow, "≥ 0")
        try check(maxTokens >= 0, "maxTokens", maxTokens, "≥ 0")
        try check(topLogprobs >= 0 && topLogprobs <= 20, "topLogprobs", topLogprobs, "0 to 20")
        try check(!stopStrings.contains(""), "stopStrings", stopStrings, "non-empty strings")
    }
}
