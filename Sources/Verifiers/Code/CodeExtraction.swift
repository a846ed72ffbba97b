/// Finds the program in a completion: chat models wrap code in markdown fences and
/// add prose; completion models continue the prompt with bare code.
public enum CodeExtraction {
    /// The code of a completion and whether it came from a fence.
    public struct Extracted: Sendable, Hashable {
        public var code: String
        public var fromFence: Bool

        public init(code: String, fromFence: Bool) {
            self.code = code
            self.fromFence = fromFence
        }
    }

    /// Languages whose fences count as Python (an unlabelled fence counts too).
    static let pythonLabels: Set<String> = ["", "python", "python3", "py", "py3"]

    /// The Python code in `completion`.
    ///
    /// With fences: the first Python (or unlabelled) block that defines `entryPoint`,
    /// else the first such block. Without fences, or with an unclosed fence: the text
    /// as is (minus an opening fence line), since a completion model's continuation is code.
    public static func python(from completion: String, entryPoint: String? = nil) -> Extracted {
        let blocks = fencedBlocks(in: completion).filter { pythonLabels.contains($0.label.lowercased()) }
        if !blocks.isEmpty {
            if let entryPoint, let defining = blocks.first(where: { defines(entryPoint, in: $0.code) }) {
                return Extracted(code: defining.code, fromFence: true)
            }
            return Extracted(code: blocks[0].code, fromFence: true)
        }
        // An unclosed fence (generation stopped at max tokens): take what follows it.
        var lines = completion.split(separator: "\n", omittingEmptySubsequences: false)
        if let first = lines.firstIndex(where: { $0.trimmingPrefixWhitespace.hasPrefix("```") }),
           pythonLabels.contains(String(lines[first].trimmingPrefixWhitespace.dropFirst(3)).trimmed.lowercased()) {
            lines.removeSubrange(...first)
            return Extracted(code: lines.joined(separator: "\n"), fromFence: true)
        }
        return Extracted(code: completion, fromFence: false)
    }

    /// True when `code` has a top-level `def name(` (or `async def`).
    public static func defines(_ name: String, in code: String) -> Bool {
        for line in code.split(separator: "\n") {
            for prefix in ["def ", "async def "] where line.hasPrefix(prefix) {
                let rest = line.dropFirst(prefix.count).trimmingPrefixWhitespace
                if rest.hasPrefix(name) && rest.dropFirst(name.count).trimmingPrefixWhitespace.hasPrefix("(") { return true }
            }
        }
        return false
    }

    /// The top-level import lines of `code` (so a prefix's imports survive when the
    /// completion redefines the function the prefix started).
    static func importLines(of code: String) -> [String] {
        code.split(separator: "\n").map(String.init).filter { $0.hasPrefix("import ") || ($0.hasPrefix("from ") && $0.contains(" import ")) }
    }

    struct Block {
        var label: String
        var code: String
    }

    /// Closed ``` fences (three or more backticks, closed by a line of at least as many).
    static func fencedBlocks(in text: String) -> [Block] {
        var blocks: [Block] = []
        var current: (label: String, fence: Int, lines: [Substring])?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let stripped = line.trimmingPrefixWhitespace
            let ticks = stripped.prefix { $0 == "`" }.count
            if var open = current {
                if ticks >= open.fence && stripped.dropFirst(ticks).trimmed.isEmpty {
                    blocks.append(Block(label: open.label, code: open.lines.joined(separator: "\n")))
                    current = nil
                } else {
                    open.lines.append(line)
                    current = open
                }
            } else if ticks >= 3 {
                let label = String(stripped.dropFirst(ticks)).trimmed.split(separator: " ").first.map(String.init) ?? ""
                current = (label, ticks, [])
            }
        }
        return blocks
    }
}

extension StringProtocol {
    fileprivate var trimmingPrefixWhitespace: SubSequence { self[(firstIndex { !$0.isWhitespace } ?? endIndex)...] }
    fileprivate var trimmed: String {
        String(trimmingPrefixWhitespace.reversed().drop { $0.isWhitespace }.reversed())
    }
}
