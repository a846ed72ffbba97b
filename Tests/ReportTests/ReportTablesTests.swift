import Foundation
import Report
import Testing
import TestSupport

@Suite("CSV and JSON tables")
struct ReportTablesTests {
    static let sample = SampleReport.twoRuns()
    static let hostile = EdgeCases.all.first { $0.name == "many runs and hostile labels" }!.input

    /// RFC 4180 reader for the test (quoted fields, doubled quotes, newlines inside quotes).
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var quoted = false
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" { field.append("\""); characters.removeFirst() } else { quoted = false }
                } else { field.append(character) }
            } else if character == "\"" { quoted = true }
            else if character == "," { row.append(field); field = "" }
            else if character == "\n" { row.append(field); rows.append(row); row = []; field = "" }
            else { field.append(character) }
        }
        return rows
    }

    @Test("every curve point appears in the CSV with exactly the input's numbers")
    func curvesCSVMatchesInput() throws {
        let rows = Self.parseCSV(ReportTables.csv(Self.sample))
        #expect(rows.first == ["run", "curve", "kind", "k", "value", "lower", "upper", "flops"])
        var expected: [[String]] = []
        for run in Self.sample.runs {
            for curve in run.curves {
                for point in curve.points.sorted(by: { $0.k < $1.k }) {
                    expected.append([run.id, curve.name, curve.kind.rawValue, String(point.k)])
                    let row = try #require(rows.first { $0[0] == run.id && $0[1] == curve.name && $0[3] == String(point.k) })
                    #expect(Double(row[4]) == point.value)
                    #expect(Double(row[5]) == point.lower)
                    #expect(Double(row[6]) == point.upper)
                    // No per-point FLOPs in the sample: the run's total × k / n.
                    let flops = try #require(Double(row[7]))
                    let reference = run.cost.flops! * Double(point.k) / Double(run.samplesPerProblem)
                    #expect(abs(flops - reference) <= 1e-12 * reference)
                }
            }
        }
        #expect(rows.dropFirst().map { Array($0.prefix(4)) } == expected)
    }

    @Test("solve rates and run rows in CSV equal the input")
    func otherCSVs() throws {
        let rates = Self.parseCSV(ReportTables.solveRatesCSV(Self.sample))
        #expect(rates.first == ["run", "problem", "solve_rate"])
        let expected = Self.sample.runs.flatMap { run in run.solveRates.enumerated().map { [run.id, String($0.offset), $0.element] as [Any] } }
        #expect(rates.count == expected.count + 1)
        for (row, reference) in zip(rates.dropFirst(), expected) {
            #expect(row[0] == reference[0] as! String && row[1] == reference[1] as! String)
            #expect(Double(row[2]) == reference[2] as? Double)
        }
        let runs = Self.parseCSV(ReportTables.runsCSV(Self.sample))
        #expect(runs.count == 3)
        let header = runs[0]
        for (row, run) in zip(runs.dropFirst(), Self.sample.runs) {
            func cell(_ name: String) -> String { row[header.firstIndex(of: name)!] }
            #expect(cell("run") == run.id && cell("label") == run.label)
            #expect(Int(cell("problems")) == run.problemCount && Int(cell("samples_per_problem")) == run.samplesPerProblem)
            #expect(Double(cell("flops")) == run.cost.flops && Double(cell("fit_a")) == run.fit?.a && Double(cell("fit_b")) == run.fit?.b)
            #expect(Double(cell("k_for_90")) == run.fit?.target(0.9)?.k ?? nil)
            #expect(cell("dollars") == "")
        }
    }

    @Test("Python's csv and json modules read back the same numbers, even with commas, quotes and newlines in names")
    func pythonReadsCSV() throws {
        var input = Self.hostile
        input.runs[0].id = "run, \"one\"\nsecond line"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-report-csv-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ReportFiles.write(input, to: folder)
        let script = """
        import csv, json, math, sys
        folder = sys.argv[1]
        report = json.load(open(folder + "/report.json"), parse_constant=float)
        rows = list(csv.DictReader(open(folder + "/curves.csv", newline="")))
        expected = [(run["id"], curve["name"], point) for run in report["runs"] for curve in run["curves"]
                    for point in sorted(curve["points"], key=lambda p: p["k"])]
        assert len(rows) == len(expected), (len(rows), len(expected))
        def same(cell, value):
            return cell == "" if value is None else float(cell) == float(value)
        for row, (run_id, name, point) in zip(rows, expected):
            assert row["run"] == run_id and row["curve"] == name, (row, run_id, name)
            assert int(row["k"]) == point["k"] and same(row["value"], point["value"]), (row, point)
            assert same(row["lower"], point.get("lower")) and same(row["upper"], point.get("upper")), (row, point)
        print(len(rows))
        """
        let result = try Shell.run(["python3", "-c", script, folder.path])
        let outputText = result.text
        #expect(result.status == 0, "python3: \(result.standardError)")
        let expectedRows = input.runs.flatMap(\.curves).map(\.points.count).reduce(0, +)
        #expect(outputText.trimmingCharacters(in: .whitespacesAndNewlines) == String(expectedRows))
    }

    @Test("JSON is the input with sorted keys, and decodes back to it, non-finite numbers included")
    func jsonRoundTrip() throws {
        for (name, input) in [("sample", Self.sample)] + EdgeCases.all {
            let json = try ReportTables.json(input)
            let decoded = try ReportTables.decode(Data(json.utf8))
            // NaN != NaN, so compare the re-encoded text.
            #expect(try ReportTables.json(decoded) == json, "\(name)")
            if !input.runs.contains(where: { $0.curves.contains { $0.points.contains { !$0.value.isFinite } } }) {
                #expect(decoded == input, "\(name)")
            }
        }
        let json = try ReportTables.json(Self.sample)
        // Keys of every object in order: "a" before "b" before "rSquared" in the fit, etc.
        let fitKeys = ["\"a\"", "\"b\"", "\"rSquared\"", "\"rootMeanSquareError\"", "\"targets\""]
        let positions = try fitKeys.map { try #require(json.range(of: $0)?.lowerBound) }
        #expect(positions == positions.sorted())
        #expect(json.contains("\n  \"generatedAt\" : \""))
    }

    @Test("a file that is not report JSON gives an error that names the path and the field")
    func decodeErrors() {
        #expect {
            try ReportTables.decode(Data("{\"title\": \"x\"}".utf8), path: "runs/report.json")
        } throws: { error in
            let text = "\(error)"
            return text.contains("runs/report.json") && text.contains("generatedAt")
        }
    }
}

@Suite("Report files")
struct ReportFilesTests {
    @Test("writes the five files into a new folder, and names the path when it cannot")
    func writeFiles() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-report-files-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let written = try ReportFiles.write(SampleReport.twoRuns(), to: base.appendingPathComponent("nested/report"))
        #expect(written.map(\.lastPathComponent) == ["report.html", "report.json", "curves.csv", "solve_rates.csv", "runs.csv"])
        #expect(written.allSatisfy { ((try? Data(contentsOf: $0))?.count ?? 0) > 100 })
        // A regular file where the folder should be.
        let blocker = base.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        #expect {
            try ReportFiles.write(SampleReport.twoRuns(), to: blocker.appendingPathComponent("report"))
        } throws: { error in
            "\(error)".contains(blocker.path) && "\(error)".contains("Could not write")
        }
    }
}

@Suite("Terminal table")
struct TerminalTableTests {
    static let sample = SampleReport.twoRuns()

    @Test("rows at k = 1, 2, 4, … and the largest k, with every curve's value")
    func rowsAndValues() throws {
        let text = TerminalTable.render(Self.sample, width: 100)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for run in Self.sample.runs {
            let header = try #require(lines.firstIndex { $0.hasPrefix(run.label) })
            #expect(lines[header].contains("\(run.problemCount) problems × \(run.samplesPerProblem) samples"))
            let columns = lines[header + 1].split(separator: " ").map(String.init)
            #expect(columns.first == "k" && columns.contains("coverage") && columns.contains("maj@k"))
            let ks = KPowers.upTo(run.samplesPerProblem)
            for (offset, k) in ks.enumerated() {
                let cells = lines[header + 2 + offset].split(separator: " ").map(String.init)
                #expect(cells.first == String(k))
                for (column, curve) in run.curves.enumerated() {
                    let value = curve.points.first { $0.k == k }!.value
                    #expect(cells[column + 1] == HTMLReportTests.percent(value), "k=\(k) \(curve.name)")
                }
            }
            #expect(text.contains("FLOPs"))
            #expect(text.contains("fit:  coverage ≈ exp("))
        }
    }

    @Test("no line is wider than asked; curves that do not fit are counted", arguments: [40, 60, 80, 120])
    func widthIsRespected(width: Int) {
        for input in [Self.sample] + EdgeCases.all.map(\.input) {
            let text = TerminalTable.render(input, width: width)
            #expect(text.split(separator: "\n").allSatisfy { $0.count <= width }, "width \(width): \(text)")
        }
        let narrow = TerminalTable.render(Self.sample, width: 40)
        #expect(narrow.contains("more curve"))
    }
}
