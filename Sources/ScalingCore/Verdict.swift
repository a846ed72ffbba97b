/// The result of checking one sample: what was compared, and what came of it.
///
/// Outcomes are never confused with each other: a timeout is not a failure and a
/// sandbox error is not the program's fault, so reports can count them apart.
public struct Verdict: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable, Hashable, CaseIterable {
        /// The answer is equivalent to the reference, or every test ran to the end and passed.
        case passed
        /// The answer differs, or a test failed.
        case failed
        /// The check (or the program) did not finish within its time limit.
        case timeout
        /// The program died by a signal (a segfault, a CPU or memory limit's kill). A limit the program's
        /// language reports as an error it could handle (Python's MemoryError, a refused fork) fails it instead.
        case crashed
        /// The checker itself could not run (sandbox missing, out of resources); the sample is not to blame.
        case sandboxError
        /// The checker could not decide (no answer found, an expression it cannot compare).
        case unknown
    }

    public var outcome: Outcome
    /// The span of the completion that was compared (the extracted answer, the program run).
    public var extracted: String?
    /// Why: the failing assertion, the signal, the limit hit, the extraction rule used.
    public var detail: String?

    public init(_ outcome: Outcome, extracted: String? = nil, detail: String? = nil) {
        self.outcome = outcome
        self.extracted = extracted
        self.detail = detail
    }

    /// True only for `.passed`: every other outcome counts as not solved.
    public var isCorrect: Bool { outcome == .passed }
}

/// Checks a completion against a problem's reference.
///
/// Implementations must return within their own time limit and never throw away
/// other checks when one misbehaves: a stuck check returns `.timeout` or `.unknown`.
public protocol Verifier: Sendable {
    /// A short name for reports and the run store (`math`, `python-tests`, `exact`).
    var name: String { get }
    func verify(_ completion: String, for problem: Problem) async -> Verdict
}
