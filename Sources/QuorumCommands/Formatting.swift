import Foundation

/// Writes a line to standard error (progress and diagnostics stay off stdout,
/// so stdout can be piped).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// `98.4 MB`: decimal units, as download sizes are usually quoted.
func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000, unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

/// `134.5M`, `7.2B`: parameter counts as model cards write them.
func formatCount(_ n: Int) -> String {
    switch n {
    case 1_000_000_000...: String(format: "%.1fB", Double(n) / 1e9)
    case 1_000_000...: String(format: "%.1fM", Double(n) / 1e6)
    case 1_000...: String(format: "%.1fk", Double(n) / 1e3)
    default: "\(n)"
    }
}

/// Left-aligned columns separated by two spaces; the first row is the header.
func formatTable(_ rows: [[String]]) -> String {
    let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in
        rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
    }
    return rows.map { row in
        row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}
