import Foundation

/// Writes a report's files into one folder: `report.html`, `report.json`, `curves.csv`,
/// `solve_rates.csv` and `runs.csv`.
public enum ReportFiles {
    /// The file names, in the order they are written.
    public static let names = ["report.html", "report.json", "curves.csv", "solve_rates.csv", "runs.csv"]

    /// Creates `folder` if needed and writes every file, replacing older ones.
    /// - Returns: the URLs written, in the order of ``names``.
    /// - Throws: ``ReportError`` when encoding or writing fails.
    @discardableResult
    public static func write(_ input: ReportInput, to folder: URL) throws -> [URL] {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ReportError.writeFailed(path: folder.path, reason: error.localizedDescription)
        }
        let contents = [
            HTMLReport.render(input), try ReportTables.json(input), ReportTables.csv(input),
            ReportTables.solveRatesCSV(input), ReportTables.runsCSV(input),
        ]
        var written: [URL] = []
        for (name, text) in zip(names, contents) {
            let url = folder.appendingPathComponent(name)
            do {
                try Data(text.utf8).write(to: url, options: .atomic)
            } catch {
                throw ReportError.writeFailed(path: url.path, reason: error.localizedDescription)
            }
            written.append(url)
        }
        return written
    }
}
