import ScalingCore
import Verifiers

/// The verifiers offered by name, the same for `quorum run`, `quorum verify` and a
/// `RunSpecification`; a run stores the name.
public enum VerifierChoice {
    public static let names = ["math", "python-tests", "exact"]

    /// The default for a data set: its tests when it has them, else the math answer check.
    public static func defaultName(for problems: [Problem]) -> String {
        problems.first?.reference.tests != nil ? "python-tests" : "math"
    }

    public static func make(_ name: String) throws -> any Verifier {
        switch name {
        case "math": return MathVerifier()
        case "python-tests": return PythonTestsVerifier(sandbox: try Sandbox())
        case "exact": return ExactMatchVerifier()
        default: throw QuorumKitError.invalidSpecification(field: "verifier", message: "'\(name)' is not a verifier; use \(names.joined(separator: ", "))")
        }
    }
}
