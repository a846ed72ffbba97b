import Foundation

/// Everything that can go wrong choosing or synthesising an answer.
public enum AggregationError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// A strategy spec names no known strategy.
    case unknownStrategy(name: String, known: [String])
    /// A spec's parameter is not one the strategy takes, or its value does not parse.
    case invalidParameter(strategy: String, parameter: String, value: String, expected: String)
    /// The strategy needs something the context lacks (a verifier, proposers, log-probabilities).
    case missingRequirement(strategy: String, what: String, hint: String)
    /// A provider call failed outright.
    case providerFailed(model: String, step: String, underlying: String)
    /// An aggregator prompt plus its generation budget does not fit the model's context.
    case contextOverflow(step: String, promptTokens: Int, maxTokens: Int, limit: Int, hint: String)

    public var description: String {
        switch self {
        case .unknownStrategy(let name, let known):
            return "Unknown strategy '\(name)'. Known strategies: \(known.joined(separator: ", "))."
        case .invalidParameter(let strategy, let parameter, let value, let expected):
            return "Strategy '\(strategy)': parameter '\(parameter)' = '\(value)' is not valid; expected \(expected)."
        case .missingRequirement(let strategy, let what, let hint):
            return "Strategy '\(strategy)' needs \(what). \(hint)"
        case .providerFailed(let model, let step, let underlying):
            return "Model \(model) failed during \(step): \(underlying)"
        case .contextOverflow(let step, let promptTokens, let maxTokens, let limit, let hint):
            return "The aggregator prompt of \(step) is \(promptTokens) tokens; with \(maxTokens) tokens to generate it "
                + "exceeds the model's context of \(limit) tokens. \(hint)"
        }
    }

    public var errorDescription: String? { description }
}
