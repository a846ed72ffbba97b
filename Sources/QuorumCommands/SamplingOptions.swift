import ArgumentParser
import ScalingCore

/// How to sample, the same options with the same defaults in every command that samples
/// (`run`, `ask`, `generate`, `bench sample`): ScalingCore's `SamplingParameters`, whose
/// defaults they are; an option left out is "off".
struct SamplingOptions: ParsableArguments {
    @Option(help: "Sampling temperature (0 = greedy).")
    var temperature: Double = SamplingParameters().temperature

    @Option(name: .customLong("top-k"), help: "Sample only from the k most likely tokens (default: off).")
    var topK: Int?

    @Option(name: .customLong("top-p"), help: "Nucleus sampling: the smallest set of tokens whose probability reaches this (default: off).")
    var topP: Double?

    @Option(name: .customLong("min-p"), help: "Drop tokens less likely than this fraction of the most likely one (default: off).")
    var minP: Double?

    @Option(name: .customLong("repetition-penalty"), help: "CTRL-style repetition penalty, > 0 (default: off).")
    var repetitionPenalty: Double?

    @Option(name: .customLong("frequency-penalty"), help: "OpenAI-style frequency penalty (default: off).")
    var frequencyPenalty: Double?

    @Option(name: .customLong("presence-penalty"), help: "OpenAI-style presence penalty (default: off).")
    var presencePenalty: Double?

    @Option(name: .customLong("max-tokens"), help: "Tokens to generate at most per sample.")
    var maxTokens: Int = SamplingParameters().maxTokens

    @Option(name: .customLong("stop"), parsing: .singleValue, help: "A stop string (repeatable).")
    var stop: [String] = []

    func validate() throws {
        guard temperature >= 0 && temperature.isFinite else { throw ValidationError("--temperature must be 0 (greedy) or more.") }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1.") }
        if let topK, topK < 0 { throw ValidationError("--top-k must be 0 (off) or more.") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1].") }
        if let minP, !(minP >= 0 && minP <= 1) { throw ValidationError("--min-p must be in [0, 1].") }
        if let repetitionPenalty, !(repetitionPenalty > 0 && repetitionPenalty.isFinite) {
            throw ValidationError("--repetition-penalty must be more than 0 (1 = off).")
        }
        if stop.contains("") { throw ValidationError("--stop needs a non-empty string.") }
    }

    /// The parameters the options describe.
    var parameters: SamplingParameters {
        SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP,
                           repetitionPenalty: repetitionPenalty, frequencyPenalty: frequencyPenalty,
                           presencePenalty: presencePenalty, maxTokens: maxTokens, stop: stop)
    }
}
