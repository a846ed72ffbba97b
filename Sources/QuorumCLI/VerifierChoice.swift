import ArgumentParser
import ScalingCore
import Verifiers

/// The verifiers the CLI offers by name, shared by `run` and `verify`.
enum VerifierChoice {
    static let names = ["math", "python-tests", "exact"]

    /// The default for a data set: its tests when it has them, else the math answer check.
    static func defaultName(for problems: [Problem]) -> String {
        problems.first?.reference.tests != nil ? "python-tests" : "math"
    }

    static func make(_ name: String) throws -> any Verifier {
        switch name {
        case "math": return MathVerifier()
        case "python-tests": return PythonTestsVerifier(sandbox: try Sandbox())
        case "exact": return ExactMatchVerifier()
        default: throw ValidationError("Unknown verifier '\(name)'. Use \(names.joined(separator: ", ")).")
        }
    }
}
