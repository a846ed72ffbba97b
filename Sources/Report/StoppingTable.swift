import Foundation

/// Stopping rules estimated on one run's stored samples (Experiments' `StoppingAnalysis`):
/// per rule, the accuracy and the expected samples, tokens and calls per problem, with their
/// ranges across permutation seeds, beside majority vote and coverage at the same mean number
/// of samples, and majority vote over all n samples. This is how a user picks a rule before
/// deploying it (`quorum report RUN --stopping`).
public struct StoppingTable: Sendable, Codable, Equatable {
    public struct Row: Sendable, Codable, Equatable {
        /// The strategy spec (`adaptive:esc,max=32,window=5,wave=5`).
        public var rule: String
        /// Mean over seeds, and the lowest and highest seed's value.
        public var accuracy: Double
        public var accuracyRange: [Double]
        /// Expected samples per problem.
        public var samples: Double
        public var samplesRange: [Double]
        public var completionTokens: Double
        public var promptTokens: Double
        public var calls: Double
        /// Share of draws the rule stopped before the maximum.
        public var stoppedByRule: Double
        /// maj@k and pass@k at k = `samples` (linear between the neighbouring integers).
        public var majorityAtSameSamples: Double
        public var coverageAtSameSamples: Double

        public init(rule: String, accuracy: Double, accuracyRange: [Double], samples: Double, samplesRange: [Double],
                    completionTokens: Double, promptTokens: Double, calls: Double, stoppedByRule: Double,
                    majorityAtSameSamples: Double, coverageAtSameSamples: Double) {
            self.rule = rule
            self.accuracy = accuracy
            self.accuracyRange = accuracyRange
            self.samples = samples
            self.samplesRange = samplesRange
            self.completionTokens = completionTokens
            self.promptTokens = promptTokens
            self.calls = calls
            self.stoppedByRule = stoppedByRule
            self.majorityAtSameSamples = majorityAtSameSamples
            self.coverageAtSameSamples = coverageAtSameSamples
        }
    }

    public var runID: String
    public var label: String
    public var problemCount: Int
    /// n: samples stored per problem, the most any rule may draw.
    public var samplesPerProblem: Int
    /// Random orders per problem and seed, and the seeds.
    public var orders: Int
    public var seeds: [UInt64]
    /// maj@n and coverage@n over all stored samples, and what drawing all n costs per problem.
    public var majorityAtAll: Double
    public var coverageAtAll: Double
    public var completionTokensAtAll: Double
    public var rows: [Row]
    public var notes: [String]

    public init(runID: String, label: String, problemCount: Int, samplesPerProblem: Int, orders: Int, seeds: [UInt64],
                majorityAtAll: Double, coverageAtAll: Double, completionTokensAtAll: Double, rows: [Row], notes: [String] = []) {
        self.runID = runID
        self.label = label
        self.problemCount = problemCount
        self.samplesPerProblem = samplesPerProblem
        self.orders = orders
        self.seeds = seeds
        self.majorityAtAll = majorityAtAll
        self.coverageAtAll = coverageAtAll
        self.completionTokensAtAll = completionTokensAtAll
        self.rows = rows
        self.notes = notes
    }

    /// Whether a row's mean accuracy is within `points` percentage points of maj@n (or above it).
    public func matchesMajority(_ row: Row, points: Double = 0.5) -> Bool {
        row.accuracy >= majorityAtAll - points / 100 - 1e-12
    }

    /// The rule with the fewest expected samples among those within 0.5 points of maj@n.
    public var cheapestMatchingMajority: Row? {
        rows.filter { matchesMajority($0) }.min { $0.samples < $1.samples }
    }

    /// The table as GitHub Markdown (docs/RESULTS.md), one row per rule.
    public func markdown() -> String {
        var lines = [
            "Run \(runID) (\(label)): \(problemCount) problems, n = \(samplesPerProblem); maj@\(samplesPerProblem) "
                + "\(ReportFormat.percent(majorityAtAll)), coverage@\(samplesPerProblem) \(ReportFormat.percent(coverageAtAll)), "
                + "\(Int(completionTokensAtAll.rounded())) generated tokens per problem for all n. "
                + "\(orders) random orders per problem for each of \(seeds.count) seeds; ranges are the lowest and highest seed.",
            "",
            "| rule | accuracy (range) | samples (range) | saving | tokens out | calls | stopped by rule | maj@same | coverage@same | within 0.5 pt of maj@n |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in rows {
            lines.append("| `\(row.rule)` | \(percent(row.accuracy)) (\(percent(row.accuracyRange[0]))–\(percent(row.accuracyRange[1]))) "
                         + "| \(fixed(row.samples)) (\(fixed(row.samplesRange[0]))–\(fixed(row.samplesRange[1]))) "
                         + "| \(fixed(Double(samplesPerProblem) / row.samples))× | \(Int(row.completionTokens.rounded())) | \(fixed(row.calls)) "
                         + "| \(ReportFormat.percent(row.stoppedByRule)) | \(percent(row.majorityAtSameSamples)) | \(percent(row.coverageAtSameSamples)) "
                         + "| \(matchesMajority(row) ? "yes" : "no") |")
        }
        lines += notes.map { "\n- \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The table for a terminal: rules that match maj@n within 0.5 points are marked `*`.
    public func render() -> String {
        let header = ["rule", "accuracy", "acc range", "samples", "range", "saving", "tok out", "calls", "by rule", "maj@same", "cov@same"]
        var table = [header]
        for row in rows {
            table.append([(matchesMajority(row) ? "* " : "  ") + row.rule, percent(row.accuracy),
                          "\(percent(row.accuracyRange[0]))-\(percent(row.accuracyRange[1]))", fixed(row.samples),
                          "\(fixed(row.samplesRange[0]))-\(fixed(row.samplesRange[1]))", fixed(Double(samplesPerProblem) / row.samples) + "x",
                          String(Int(row.completionTokens.rounded())), fixed(row.calls), ReportFormat.percent(row.stoppedByRule),
                          percent(row.majorityAtSameSamples), percent(row.coverageAtSameSamples)])
        }
        let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        var lines = ["Stopping rules on run \(runID) (\(label)): \(problemCount) problems, n = \(samplesPerProblem), "
                     + "maj@\(samplesPerProblem) \(percent(majorityAtAll)), coverage@\(samplesPerProblem) \(percent(coverageAtAll)); "
                     + "\(orders) orders per problem x \(seeds.count) seeds"]
        for (r, cells) in table.enumerated() {
            lines.append(cells.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  "))
            if r == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        lines.append("* within 0.5 points of maj@\(samplesPerProblem). Per problem: samples, generated tokens, calls (one per wave). "
                     + "maj@same / cov@same: majority vote and coverage at the rule's mean samples.")
        if let best = cheapestMatchingMajority {
            lines.append("Cheapest within 0.5 points of maj@\(samplesPerProblem): \(best.rule), \(fixed(best.samples)) samples per problem "
                         + "(\(fixed(Double(samplesPerProblem) / best.samples))x fewer than \(samplesPerProblem)).")
        }
        lines += notes
        return lines.joined(separator: "\n")
    }

    /// Writes `stopping-RUN.md` and `stopping-RUN.json` into `folder` (created if needed).
    public static func write(_ table: StoppingTable, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(table).write(to: folder.appendingPathComponent("stopping-\(table.runID).json"), options: .atomic)
        try Data(table.markdown().utf8).write(to: folder.appendingPathComponent("stopping-\(table.runID).md"), options: .atomic)
    }

    private func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
    private func fixed(_ value: Double) -> String { String(format: "%.2f", value) }
}
