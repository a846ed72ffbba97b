import Foundation

/// Which verifier grades a run: one Quorum builds by name (what `--verifier` takes), or a
/// library caller's own `Verifier`, named by its `name`.
///
/// A run's configuration stores the name (`math`, `python-tests`, `exact`, or the custom
/// name), so configurations written when this was a string read back, and hash, unchanged.
/// `Verifiers` builds the built-in ones (`makeVerifier()`).
public enum VerifierKind: Sendable, Hashable, CustomStringConvertible {
    /// The final answer against the reference answer by mathematical equivalence (`MathVerifier`).
    case math
    /// The problem's unit tests, run in the code sandbox (`PythonTestsVerifier`).
    case pythonTests
    /// The completion equals the reference answer after trimming (`ExactMatchVerifier`).
    case exact
    /// A verifier of the caller's own, by its `Verifier.name` (never a built-in name:
    /// `init(name:)` maps those to their cases).
    case custom(String)

    /// The verifiers Quorum builds by name, in the order help texts list them.
    public static let builtIn: [VerifierKind] = [.math, .pythonTests, .exact]

    /// The stored and typed name.
    public var name: String {
        switch self {
        case .math: "math"
        case .pythonTests: "python-tests"
        case .exact: "exact"
        case .custom(let name): name
        }
    }

    /// The kind with this stored name: a built-in one, else `.custom(name)`. For names a
    /// user typed, where only built-in verifiers exist, use `init(parsing:)`.
    public init(name: String) {
        self = Self.builtIn.first { $0.name == name } ?? .custom(name)
    }

    /// The built-in verifier a user named.
    /// - Throws: `ScalingCoreError.unknownVerifier`, which lists the valid names.
    public init(parsing name: String) throws(ScalingCoreError) {
        guard let kind = Self.builtIn.first(where: { $0.name == name }) else { throw .unknownVerifier(name: name) }
        self = kind
    }

    /// The default for a data set: its tests when it has them, else the math answer check.
    public static func `default`(for problems: [Problem]) -> VerifierKind {
        problems.first?.reference.tests != nil ? .pythonTests : .math
    }

    /// The built-in names, for messages and help: `math, python-tests, exact`.
    public static var builtInNames: String { builtIn.map(\.name).joined(separator: ", ") }

    public var description: String { name }
}

extension VerifierKind: Codable {
    /// Stored as its name: every name reads back (an unknown one as `.custom`), so no
    /// stored run is lost.
    public init(from decoder: any Decoder) throws {
        self.init(name: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// ScalingCore's errors: input that names something Quorum does not have.
public enum ScalingCoreError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A verifier name that is not one Quorum builds.
    case unknownVerifier(name: String)

    public var description: String {
        switch self {
        case .unknownVerifier(let name):
            "Unknown verifier '\(name)'. Use one of: \(VerifierKind.builtInNames)."
        }
    }

    public var errorDescription: String? { description }
}
