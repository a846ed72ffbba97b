import Foundation

/// Every number of a report as CSV (long format, one row per value) and JSON (the input itself).
///
/// Numbers are written in Swift's shortest round-trip form (`0.1`, `1.5e+15`), so reading a
/// cell back with `Double(_:)` or Python's `float` gives the exact input value. Missing values
/// are empty cells. Text cells follow RFC 4180: quoted when they hold a comma, quote or newline.
public enum ReportTables {
    /// The curves in long format: `run,curve,kind,k,value,lower,upper,flops`, one row per point,
    /// runs and curves in input order, points by k. `flops` is the point's own FLOPs when given,
    /// else the run's total scaled by k/n (as the FLOPs chart uses), else empty.
    public static func csv(_ input: ReportInput) -> String {
        var rows = [["run", "curve", "kind", "k", "value", "lower", "upper", "flops"]]
        for run in input.runs {
            for curve in run.curves {
                for point in curve.points.sorted(by: { $0.k < $1.k }) {
                    rows.append([
                        run.id, curve.name, curve.kind.rawValue, String(point.k), number(point.value),
                        number(point.lower), number(point.upper), number(ReportCharts.flops(of: point, run: run)),
                    ])
                }
            }
        }
        return table(rows)
    }

    /// Per-problem solve rates: `run,problem,solve_rate`, problems numbered from 0 in input order.
    public static func solveRatesCSV(_ input: ReportInput) -> String {
        var rows = [["run", "problem", "solve_rate"]]
        for run in input.runs {
            for (index, rate) in run.solveRates.enumerated() { rows.append([run.id, String(index), number(rate)]) }
        }
        return table(rows)
    }

    /// One row per run: identity, size, cost and fit: `run,label,model,dataset,problems,
    /// samples_per_problem,prompt_tokens,completion_tokens,seconds,flops,dollars,fit_a,fit_b,
    /// fit_r2,fit_rmse,k_for_50,k_for_90` (the k columns empty when the law never gets there).
    public static func runsCSV(_ input: ReportInput) -> String {
        var rows = [[
            "run", "label", "model", "dataset", "problems", "samples_per_problem", "prompt_tokens", "completion_tokens",
            "seconds", "flops", "dollars", "fit_a", "fit_b", "fit_r2", "fit_rmse", "k_for_50", "k_for_90",
        ]]
        for run in input.runs {
            let cost = run.cost, fit = run.fit
            rows.append([
                run.id, run.label, run.model, run.dataset, String(run.problemCount), String(run.samplesPerProblem),
                cost.promptTokens.map(String.init) ?? "", cost.completionTokens.map(String.init) ?? "",
                number(cost.seconds), number(cost.flops), number(cost.dollars),
                number(fit?.a), number(fit?.b), number(fit?.rSquared), number(fit?.rootMeanSquareError),
                number(fit?.target(0.5)?.k), number(fit?.target(0.9)?.k),
            ])
        }
        return table(rows)
    }

    /// The input as pretty JSON with sorted keys and ISO 8601 dates. Non-finite numbers, which
    /// JSON cannot hold, are written as the strings "NaN", "Infinity" and "-Infinity"
    /// (``decode(_:)`` reads them back).
    public static func json(_ input: ReportInput) throws -> String {
        do {
            let data = try encoder.encode(input)
            return String(decoding: data, as: UTF8.self) + "\n"
        } catch {
            throw ReportError.encodingFailed(reason: "\(error)")
        }
    }

    /// Reads a report input from JSON written by ``json(_:)``.
    /// - Parameter path: shown in the error message, e.g. the file's path.
    public static func decode(_ data: Data, path: String = "<data>") throws -> ReportInput {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            return try decoder.decode(ReportInput.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ReportError.decodingFailed(path: path, reason: "missing key '\(key.stringValue)' at \(codingPath(context))")
        } catch let DecodingError.typeMismatch(type, context) {
            throw ReportError.decodingFailed(path: path, reason: "expected \(type) at \(codingPath(context))")
        } catch let DecodingError.valueNotFound(type, context) {
            throw ReportError.decodingFailed(path: path, reason: "expected \(type) at \(codingPath(context)), found null")
        } catch let DecodingError.dataCorrupted(context) {
            throw ReportError.decodingFailed(path: path, reason: "\(context.debugDescription) at \(codingPath(context))")
        } catch {
            throw ReportError.decodingFailed(path: path, reason: "\(error)")
        }
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    static func codingPath(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return path.isEmpty ? "the top level" : path
    }

    /// Shortest text that reads back as the same `Double`; empty for `nil`.
    static func number(_ value: Double?) -> String {
        guard let value else { return "" }
        return "\(value)"   // Swift prints the shortest round-trip representation ("nan", "inf" when not finite)
    }

    /// Rows joined as RFC 4180 CSV with CRLF-free `\n` line ends.
    static func table(_ rows: [[String]]) -> String {
        rows.map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
