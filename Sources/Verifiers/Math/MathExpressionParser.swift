/// Reads normalised LaTeX (or plain `sqrt(2)/2` notation) into a `MathExpression`.
///
/// Recursive descent with a depth limit and a step budget, so deeply nested or huge
/// input fails fast as `tooLarge`/`timeLimit` instead of exhausting the stack. Conventions:
/// juxtaposition multiplies (`2\sqrt{3}`, `3x`), `\frac12` is ½, an integer directly before
/// a fraction of integers is a mixed number (`2\frac{1}{2}` = 5/2, MATH's convention),
/// `0.\overline{3}` is ⅓, `x_1` is one symbol, `\sin x` applies to the following product.
struct MathExpressionParser {
    enum Token: Equatable {
        case number(String)
        case letter(String)
        /// A LaTeX command (`frac`, `pi`) or a bare known word (`sqrt`, `sin`).
        case command(String)
        case symbol(Character)
        /// `\\` (matrix row separator).
        case rowSeparator
    }

    static let maximumTokens = 600
    static let maximumDepth = 100
    static let functionWords: Set<String> = ["sqrt", "sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos",
                                             "arctan", "sinh", "cosh", "tanh", "ln", "log", "exp", "pi"]

    private var tokens: [Token]
    private var position = 0
    private var depth = 0
    private let budget: MathBudget

    init(_ text: String, budget: MathBudget) throws(MathCheckFailure) {
        self.budget = budget
        self.tokens = try Self.tokenize(text, budget: budget)
    }

    // MARK: - Tokens

    static func tokenize(_ text: String, budget: MathBudget) throws(MathCheckFailure) -> [Token] {
        let chars = Array(text)
        var tokens: [Token] = []
        var i = 0
        while i < chars.count {
            try budget.step()
            if tokens.count > maximumTokens { throw .tooLarge("more than \(maximumTokens) tokens") }
            let c = chars[i]
            if c == " " || c == "\n" || c == "\t" { i += 1; continue }
            if c.isASCII && c.isNumber || (c == "." && i + 1 < chars.count && chars[i + 1].isASCII && chars[i + 1].isNumber) {
                var j = i
                var sawPoint = false
                while j < chars.count, (chars[j].isASCII && chars[j].isNumber) || (chars[j] == "." && !sawPoint) {
                    if chars[j] == "." {
                        // A point not followed by a digit ends the number unless a repeating block follows.
                        let next = j + 1 < chars.count ? chars[j + 1] : " "
                        if !(next.isASCII && next.isNumber) && next != "\\" { break }
                        sawPoint = true
                    }
                    j += 1
                }
                tokens.append(.number(String(chars[i..<j])))
                i = j
                continue
            }
            if c.isASCII && c.isLetter {
                var j = i
                while j < chars.count, chars[j].isASCII, chars[j].isLetter { j += 1 }
                let word = String(chars[i..<j])
                if word.count == 1 {
                    tokens.append(.letter(word))
                } else if functionWords.contains(word.lowercased()) {
                    tokens.append(.command(word.lowercased()))
                } else if word.count == 2 {
                    tokens.append(.letter(String(word.first!))); tokens.append(.letter(String(word.last!)))
                } else {
                    throw .text  // "Monday", "even": words, not a product of variables
                }
                i = j
                continue
            }
            if c == "\\" {
                guard i + 1 < chars.count else { throw .unsupported("lone backslash") }
                let next = chars[i + 1]
                if next.isASCII && next.isLetter {
                    var j = i + 1
                    while j < chars.count, chars[j].isASCII, chars[j].isLetter { j += 1 }
                    let name = String(chars[(i + 1)..<j])
                    tokens.append(.command(name))
                    i = j
                    if name == "begin" || name == "end" {
                        // The environment name (and an array's column spec) is read raw, not as letters.
                        for _ in 0..<(name == "begin" ? 2 : 1) {
                            guard i < chars.count, chars[i] == "{" else { break }
                            var k = i + 1
                            while k < chars.count, chars[k] != "}" { k += 1 }
                            guard k < chars.count else { throw .unsupported("unclosed environment name") }
                            tokens.append(.command("env:" + String(chars[(i + 1)..<k])))
                            i = k + 1
                        }
                    }
                } else if next == "\\" {
                    tokens.append(.rowSeparator); i += 2
                } else if next == "{" || next == "}" {
                    tokens.append(.command(String(next))); i += 2
                } else if next == "|" {
                    tokens.append(.symbol("|")); i += 2
                } else {
                    i += 2  // spacing commands (`\,` `\!`) and escapes that carry no meaning here
                }
                continue
            }
            switch c {
            case "π": tokens.append(.command("pi"))
            case "∞": tokens.append(.command("infty"))
            case "√": tokens.append(.command("sqrt"))
            case "×", "·", "⋅": tokens.append(.symbol("*"))
            case "÷": tokens.append(.symbol("/"))
            case "−", "–": tokens.append(.symbol("-"))
            case "∪": tokens.append(.command("cup"))
            case "≤": tokens.append(.command("le"))
            case "≥": tokens.append(.command("ge"))
            case "θ": tokens.append(.command("theta"))
            default:
                guard "+-*/^_()[]{},=!|&<>':".contains(c) else { throw .unsupported("character \(c)") }
                tokens.append(.symbol(c))
            }
            i += 1
        }
        return tokens
    }

    // MARK: - Grammar

    /// The whole answer, with `a \pm b` expanded into the two answers `a + b, a - b`
    /// (inside a set or list, into two elements).
    mutating func parseAnswer() throws(MathCheckFailure) -> MathExpression {
        let expression = try parseAnswerWithPlusMinus()
        let alternatives = try Self.expandPlusMinus(expression, budget: budget)
        return alternatives.count == 1 ? alternatives[0] : .list(alternatives)
    }

    /// Every reading of `e` with each `\pm` taken as `+` and as `-` (at most 16).
    static func expandPlusMinus(_ e: MathExpression, budget: MathBudget) throws(MathCheckFailure) -> [MathExpression] {
        try budget.step()
        func pairs(_ a: MathExpression, _ b: MathExpression, _ make: (MathExpression, MathExpression) -> [MathExpression])
            throws(MathCheckFailure) -> [MathExpression] {
            let left = try expandPlusMinus(a, budget: budget)
            let right = try expandPlusMinus(b, budget: budget)
            guard left.count * right.count <= 16 else { throw .tooLarge("too many \\pm") }
            return left.flatMap { x in right.flatMap { y in make(x, y) } }
        }
        func single(_ items: [MathExpression]) throws(MathCheckFailure) -> [MathExpression] {
            var out: [MathExpression] = []
            for item in items {
                let alternatives = try expandPlusMinus(item, budget: budget)
                guard alternatives.count == 1 else { throw .unsupported("\\pm inside a tuple, interval or matrix") }
                out.append(alternatives[0])
            }
            return out
        }
        switch e {
        case .function(let name, let args) where (name == "pm" || name == "mp") && args.count == 2:
            return try pairs(args[0], args[1]) { [.add($0, $1), .subtract($0, $1)] }
        case .add(let a, let b): return try pairs(a, b) { [.add($0, $1)] }
        case .subtract(let a, let b): return try pairs(a, b) { [.subtract($0, $1)] }
        case .multiply(let a, let b): return try pairs(a, b) { [.multiply($0, $1)] }
        case .divide(let a, let b): return try pairs(a, b) { [.divide($0, $1)] }
        case .power(let a, let b): return try pairs(a, b) { [.power($0, $1)] }
        case .negate(let a): return try expandPlusMinus(a, budget: budget).map { .negate($0) }
        case .function(let name, let args):
            if args.count == 1 { return try expandPlusMinus(args[0], budget: budget).map { .function(name, [$0]) } }
            return [.function(name, try single(args))]
        case .list(let items), .set(let items):
            var out: [MathExpression] = []
            for item in items { out += try expandPlusMinus(item, budget: budget) }
            guard out.count <= 64 else { throw .tooLarge("too many \\pm") }
            if case .set = e { return [.set(out)] }
            return [.list(out)]
        case .bracket(let open, let items, let close): return [.bracket(open: open, try single(items), close: close)]
        case .union(let items): return [.union(try single(items))]
        case .equation(let a, let b): return [.equation(try single([a])[0], try single([b])[0])]
        case .matrix(let rows):
            var out: [[MathExpression]] = []
            for row in rows { out.append(try single(row)) }
            return [.matrix(out)]
        case .number, .symbol, .pi, .infinity: return [e]
        }
    }

    /// The whole answer: a list, a union, an equation or an expression.
    private mutating func parseAnswerWithPlusMinus() throws(MathCheckFailure) -> MathExpression {
        guard !tokens.isEmpty else { throw .unsupported("empty answer") }
        var items = [try parseUnion()]
        while peek == .symbol(",") {
            position += 1
            items.append(try parseUnion())
        }
        guard position == tokens.count else { throw .unsupported("unexpected \(describe(tokens[position]))") }
        return items.count == 1 ? items[0] : .list(items)
    }

    private var peek: Token? { position < tokens.count ? tokens[position] : nil }

    private func describe(_ token: Token) -> String {
        switch token {
        case .number(let n): "number \(n)"
        case .letter(let l): "symbol \(l)"
        case .command(let c): "\\\(c)"
        case .symbol(let s): "'\(s)'"
        case .rowSeparator: "\\\\"
        }
    }

    /// The token as it was written, for symbol names such as `x_{12}`.
    private func spelling(_ token: Token) -> String {
        switch token {
        case .number(let n): n
        case .letter(let l): l
        case .command(let c): "\\" + c
        case .symbol(let s): String(s)
        case .rowSeparator: "\\\\"
        }
    }

    private mutating func expect(_ token: Token) throws(MathCheckFailure) {
        guard peek == token else {
            throw .unsupported("expected \(describe(token)), found \(peek.map(describe) ?? "end")")
        }
        position += 1
    }

    private mutating func enter() throws(MathCheckFailure) {
        depth += 1
        if depth > Self.maximumDepth { throw .tooLarge("nesting deeper than \(Self.maximumDepth)") }
        try budget.step()
    }

    private mutating func parseUnion() throws(MathCheckFailure) -> MathExpression {
        var parts = [try parseRelation()]
        while peek == .command("cup") {
            position += 1
            parts.append(try parseRelation())
        }
        return parts.count == 1 ? parts[0] : .union(parts)
    }

    private mutating func parseRelation() throws(MathCheckFailure) -> MathExpression {
        let left = try parseSum()
        if peek == .command("in"), case .symbol = left {
            // `x \in [2, 5]`: membership read like `x = [2, 5]`.
            position += 1
            var parts = [try parseSum()]
            while peek == .command("cup") { position += 1; parts.append(try parseSum()) }
            return .equation(left, parts.count == 1 ? parts[0] : .union(parts))
        }
        if peek == .symbol("=") {
            position += 1
            let right = try parseSum()
            if peek == .symbol("=") { throw .unsupported("chained equations") }
            return .equation(left, right)
        }
        if let first = inequalitySign() {
            let middle = try parseSum()
            if let second = inequalitySign() {
                let right = try parseSum()
                return try Self.interval(chain: left, first, middle, second, right)
            }
            return try Self.interval(left, first, middle)
        }
        if let p = peek, case .command(let c) = p, ["neq", "ne"].contains(c) { throw .unsupported("\\\(c)") }
        return left
    }

    /// The direction of an inequality sign at the cursor, consumed: `<`, `\le`, `>`, `\geq`, `≤`…
    private mutating func inequalitySign() -> InequalitySign? {
        let sign: InequalitySign?
        switch peek {
        case .symbol("<")?, .command("lt")?: sign = InequalitySign(less: true, strict: true)
        case .symbol(">")?, .command("gt")?: sign = InequalitySign(less: false, strict: true)
        case .command("le")?, .command("leq")?, .command("leqslant")?: sign = InequalitySign(less: true, strict: false)
        case .command("ge")?, .command("geq")?, .command("geqslant")?: sign = InequalitySign(less: false, strict: false)
        default: sign = nil
        }
        guard var sign else { return nil }
        position += 1
        // `<=` and `>=` written with two characters.
        if peek == .symbol("=") { position += 1; sign.strict = false }
        return sign
    }

    struct InequalitySign {
        /// True for `<`/`≤` (left below right).
        var less: Bool
        var strict: Bool
    }

    /// `x > 2`, `2 \le x`, `|x| < 1` as the interval (or union) they describe. The variable must
    /// stand alone on one side and the bound must not mention it; anything else is unsupported.
    static func interval(_ left: MathExpression, _ sign: InequalitySign, _ right: MathExpression) throws(MathCheckFailure) -> MathExpression {
        // Put the variable on the left: `2 < x` is `x > 2`.
        var (variable, bound, less) = (left, right, sign.less)
        if case .symbol = right, !isVariable(left) { (variable, bound, less) = (right, left, !sign.less) }
        let infinity = MathExpression.infinity, minusInfinity = MathExpression.negate(.infinity)
        if case .symbol(let name) = variable, !bound.mentions(name) {
            let closed: Character = sign.strict ? "(" : "["
            return less ? .bracket(open: "(", [minusInfinity, bound], close: sign.strict ? ")" : "]")
                        : .bracket(open: closed, [bound, infinity], close: ")")
        }
        // `|x| < c`: between -c and c; `|x| > c`: outside them.
        if case .function("abs", let args) = variable, args.count == 1, case .symbol(let name) = args[0], !bound.mentions(name) {
            let negative = MathExpression.negate(bound)
            if less {
                return sign.strict ? .bracket(open: "(", [negative, bound], close: ")") : .bracket(open: "[", [negative, bound], close: "]")
            }
            return .union([.bracket(open: "(", [minusInfinity, negative], close: sign.strict ? ")" : "]"),
                           .bracket(open: sign.strict ? "(" : "[", [bound, infinity], close: ")")])
        }
        throw .unsupported("inequality not in one variable")
    }

    /// `2 \le x < 5` (or `5 > x \ge 2`) as the interval [2, 5).
    static func interval(chain low: MathExpression, _ first: InequalitySign, _ middle: MathExpression,
                         _ second: InequalitySign, _ high: MathExpression) throws(MathCheckFailure) -> MathExpression {
        guard first.less == second.less, case .symbol(let name) = middle, !low.mentions(name), !high.mentions(name) else {
            throw .unsupported("chained inequality")
        }
        let (lower, lowerStrict, upper, upperStrict) = first.less ? (low, first.strict, high, second.strict)
                                                                  : (high, second.strict, low, first.strict)
        return .bracket(open: lowerStrict ? "(" : "[", [lower, upper], close: upperStrict ? ")" : "]")
    }

    private static func isVariable(_ e: MathExpression) -> Bool {
        if case .symbol = e { return true }
        if case .function("abs", let args) = e, args.count == 1, case .symbol = args[0] { return true }
        return false
    }

    private mutating func parseSum() throws(MathCheckFailure) -> MathExpression {
        try enter(); defer { depth -= 1 }
        var value = try parseTerm()
        while let p = peek {
            if p == .symbol("+") { position += 1; value = .add(value, try parseTerm()) }
            else if p == .symbol("-") { position += 1; value = .subtract(value, try parseTerm()) }
            else if p == .command("pm") || p == .command("mp") {
                position += 1
                value = .function(p == .command("pm") ? "pm" : "mp", [value, try parseTerm()])
            }
            else { break }
        }
        return value
    }

    private mutating func parseTerm() throws(MathCheckFailure) -> MathExpression {
        try enter(); defer { depth -= 1 }
        if peek == .symbol("-") { position += 1; return .negate(try parseTerm()) }
        if peek == .symbol("+") { position += 1; return try parseTerm() }
        if peek == .command("pm") {
            position += 1
            return .function("pm", [.number(.zero, decimal: false), try parseTerm()])
        }
        var value = try parsePower()
        while let p = peek {
            try budget.step()
            if p == .symbol("*") || p == .command("cdot") || p == .command("times") {
                position += 1; value = .multiply(value, try parsePower())
            } else if p == .symbol("/") || p == .command("div") {
                position += 1; value = .divide(value, try parsePower())
            } else if startsImplicitFactor(p) {
                value = .multiply(value, try parsePower())
            } else {
                break
            }
        }
        return value
    }

    private func startsImplicitFactor(_ token: Token) -> Bool {
        switch token {
        case .number, .letter: true
        case .symbol(let s): s == "("
        case .command(let c):
            c == "frac" || c == "sqrt" || c == "pi" || c == "binom" || c == "begin" || Self.functionCommands.contains(c)
                || Self.greekLetters.contains(c)
        case .rowSeparator: false
        }
    }

    /// A letter or a Greek-letter command: part of a trig function's argument (`\sin 2\theta`).
    static func isVariableToken(_ token: Token) -> Bool {
        switch token {
        case .letter: true
        case .command(let c): greekLetters.contains(c)
        default: false
        }
    }

    static let greekLetters: Set<String> = ["alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta",
                                            "theta", "vartheta", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma",
                                            "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta",
                                            "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega"]

    static let functionCommands: Set<String> = ["sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan",
                                                "sinh", "cosh", "tanh", "ln", "log", "exp"]

    private mutating func parsePower() throws(MathCheckFailure) -> MathExpression {
        try enter(); defer { depth -= 1 }
        let base = try parsePostfix()
        if peek == .symbol("^") {
            position += 1
            let exponent = try parseExponent()
            return .power(base, exponent)
        }
        return base
    }

    /// `^{…}`, `^2` (LaTeX takes one character: `x^23` is x²·3), `^-1`, `^\frac12`.
    private mutating func parseExponent() throws(MathCheckFailure) -> MathExpression {
        try enter(); defer { depth -= 1 }
        if peek == .symbol("{") { return try parseBraced() }
        if peek == .symbol("-") { position += 1; return .negate(try parseExponent()) }
        if case .number(let n)? = peek, n.count > 1 {
            splitFirstCharacter(of: n)
        }
        return try parsePostfix()
    }

    /// Replaces the current number token by its first digit followed by the rest (`\frac12`, `x^23`).
    private mutating func splitFirstCharacter(of number: String) {
        let first = String(number.prefix(1))
        let rest = String(number.dropFirst())
        tokens[position] = .number(first)
        tokens.insert(.number(rest), at: position + 1)
    }

    private mutating func parseBraced() throws(MathCheckFailure) -> MathExpression {
        try expect(.symbol("{"))
        let inner = try parseSum()
        try expect(.symbol("}"))
        return inner
    }

    /// A command's argument: `{…}` or a single token (`\frac12`, `\sqrt2`, `\sqrt x`).
    private mutating func parseArgument() throws(MathCheckFailure) -> MathExpression {
        try enter(); defer { depth -= 1 }
        if peek == .symbol("{") { return try parseBraced() }
        if case .number(let n)? = peek, n.count > 1, !n.hasPrefix(".") { splitFirstCharacter(of: n) }
        return try parsePrimary()
    }

    private mutating func parsePostfix() throws(MathCheckFailure) -> MathExpression {
        var value = try parsePrimary()
        while peek == .symbol("!") {
            position += 1
            value = .function("factorial", [value])
        }
        return value
    }

    private mutating func parsePrimary() throws(MathCheckFailure) -> MathExpression {
        try enter(); defer { depth -= 1 }
        guard let token = peek else { throw .unsupported("answer ends early") }
        position += 1
        switch token {
        case .number(let text):
            return try parseNumber(text)
        case .letter(let name):
            var symbol = name
            if peek == .symbol("_") {
                position += 1
                symbol += "_" + (try rawSubscript())
            }
            return .symbol(symbol)
        case .symbol("("), .symbol("["):
            return try parseBracket(open: token == .symbol("(") ? "(" : "[")
        case .symbol("{"):
            // Plain braces group; with commas inside they read as a list.
            var items = [try parseUnion()]
            while peek == .symbol(",") { position += 1; items.append(try parseUnion()) }
            try expect(.symbol("}"))
            return items.count == 1 ? items[0] : .list(items)
        case .symbol("|"):
            let inner = try parseSum()
            try expect(.symbol("|"))
            return .function("abs", [inner])
        case .command("{"):
            var items: [MathExpression] = []
            if peek != .command("}") {
                items.append(try parseUnion())
                // Set-builder `\{x \mid x > 2\}` (or `|`, `:`): the set its condition describes.
                if case .symbol(let name)? = items.first, peek == .command("mid") || peek == .symbol("|") || peek == .symbol(":") {
                    position += 1
                    let condition = try parseUnion()
                    try expect(.command("}"))
                    return try Self.setDescribed(by: condition, variable: name)
                }
                while peek == .symbol(",") { position += 1; items.append(try parseUnion()) }
            }
            try expect(.command("}"))
            return .set(items)
        case .command(let name):
            return try parseCommand(name)
        default:
            throw .unsupported(describe(token))
        }
    }

    /// The set a set-builder condition on `variable` describes: an interval or union (from
    /// inequalities), or the set after `\in`.
    static func setDescribed(by condition: MathExpression, variable: String) throws(MathCheckFailure) -> MathExpression {
        switch condition {
        case .bracket, .union: return condition
        case .equation(.symbol(let name), let set) where name == variable:
            switch set {
            case .bracket, .union, .set: return set
            default: break
            }
        default: break
        }
        throw .unsupported("set-builder condition")
    }

    private mutating func rawSubscript() throws(MathCheckFailure) -> String {
        if peek == .symbol("{") {
            position += 1
            var text = ""
            while let p = peek, p != .symbol("}") {
                try budget.step()
                text += spelling(p)
                position += 1
            }
            try expect(.symbol("}"))
            return text
        }
        guard let p = peek else { throw .unsupported("subscript missing") }
        if case .number(let n) = p, n.count > 1 { splitFirstCharacter(of: n) }
        position += 1
        return spelling(tokens[position - 1])
    }

    private mutating func parseNumber(_ text: String) throws(MathCheckFailure) -> MathExpression {
        var digits = text
        var repeating: String? = nil
        if peek == .command("overline") {
            // 0.1\overline{6}: the block under the bar repeats forever.
            position += 1
            var block = ""
            if peek == .symbol("{") {
                position += 1
                while case .number(let n)? = peek { block += n; position += 1 }
                try expect(.symbol("}"))
            } else if case .number(let n)? = peek {
                block = String(n.prefix(1)); position += 1
            }
            guard !block.isEmpty, block.allSatisfy(\.isNumber) else { throw .unsupported("\\overline") }
            if digits.hasSuffix(".") { digits.removeLast() }
            repeating = block
        }
        let isDecimal = digits.contains(".")
        guard var value = MathRational(decimal: Substring(digits)) else {
            throw .tooLarge("number \(text.prefix(40)) too long to hold exactly")
        }
        if let block = repeating {
            // x = digits + 0.000…(block)(block)… = digits + block / ((10^k − 1)·10^places).
            let places = digits.split(separator: ".", omittingEmptySubsequences: false).dropFirst().first?.count ?? 0
            guard let blockValue = MathRational(decimal: Substring(block)),
                  let nines = MathRational(10)!.power(block.count)?.subtracting(.one),
                  let scale = MathRational(10)!.power(places),
                  let denominator = nines.multiplying(scale),
                  let fraction = blockValue.dividing(by: denominator),
                  let total = value.adding(fraction) else { throw .tooLarge("repeating decimal") }
            return .number(total, decimal: false)
        }
        // Mixed number: an integer directly followed by a fraction of integers.
        if !isDecimal, peek == .command("frac"), let fraction = try mixedFraction() {
            guard let total = value.adding(fraction) else { throw .tooLarge("mixed number") }
            value = total
            return .number(value, decimal: false)
        }
        return .number(value, decimal: isDecimal)
    }

    /// If `\frac{a}{b}` with integer a, b follows, consumes it and returns a/b (a proper fraction only).
    private mutating func mixedFraction() throws(MathCheckFailure) -> MathRational? {
        let saved = (tokens, position)
        position += 1
        let numerator = try? parseArgument()
        let denominator = try? parseArgument()
        if case .number(let n, false)? = numerator, case .number(let d, false)? = denominator,
           n.isInteger, d.isInteger, n.numerator >= 0, d.numerator > n.numerator,
           let fraction = n.dividing(by: d) {
            return fraction
        }
        (tokens, position) = saved
        return nil
    }

    private mutating func parseBracket(open: Character) throws(MathCheckFailure) -> MathExpression {
        var items = [try parseUnion()]
        while peek == .symbol(",") {
            position += 1
            items.append(try parseUnion())
        }
        guard case .symbol(let close)? = peek, close == ")" || close == "]" else {
            throw .unsupported("unclosed bracket")
        }
        position += 1
        if items.count == 1 {
            if open == "(" && close == ")" { return items[0] }
            if open == "[" && close == "]" { return items[0] }
            throw .unsupported("half-open single element")
        }
        return .bracket(open: open, items, close: close)
    }

    private mutating func parseCommand(_ name: String) throws(MathCheckFailure) -> MathExpression {
        switch name {
        case "frac", "cfrac":
            let numerator = try parseArgument()
            let denominator = try parseArgument()
            return .divide(numerator, denominator)
        case "sqrt":
            if peek == .symbol("[") {
                position += 1
                let index = try parseSum()
                try expect(.symbol("]"))
                return .function("root", [index, try parseArgument()])
            }
            if peek == .symbol("(") { position += 1; return .function("sqrt", [try parseBracketInner()]) }
            return .function("sqrt", [try parseArgument()])
        case "pi": return .pi
        case "infty", "infinity": return .infinity
        case "emptyset", "varnothing": return .set([])
        case "binom":
            return .function("binom", [try parseArgument(), try parseArgument()])
        case "begin":
            return try parseMatrix()
        case _ where Self.greekLetters.contains(name):
            // `\theta`, `\alpha`: variables (case-sensitive: `\Phi` is not `\phi`).
            return .symbol("\\" + name)
        case "mathbb", "in", "notin", "cap", "setminus", "vec", "hat", "angle",
             "to", "rightarrow", "approx", "sim", "equiv", "mid", "perp", "parallel", "cdots", "ldots", "dots":
            throw .unsupported("\\\(name)")
        default:
            if Self.functionCommands.contains(name) { return try parseFunction(name) }
            throw .unsupported("\\\(name)")
        }
    }

    private mutating func parseBracketInner() throws(MathCheckFailure) -> MathExpression {
        let inner = try parseSum()
        try expect(.symbol(")"))
        return inner
    }

    /// `\sin x`, `\sin(2x)`, `\sin^2 x`, `\log_2 8`, `\ln{x}`.
    private mutating func parseFunction(_ name: String) throws(MathCheckFailure) -> MathExpression {
        var base: MathExpression? = nil
        if name == "log", peek == .symbol("_") {
            position += 1
            base = try parseArgument()
        }
        var outerPower: MathExpression? = nil
        if peek == .symbol("^") {
            position += 1
            outerPower = try parseExponent()
            if outerPower == .negate(.number(.one, decimal: false)) { throw .unsupported("\\\(name)^{-1}") }
        }
        let argument: MathExpression
        if peek == .symbol("(") {
            position += 1
            argument = try parseBracketInner()
        } else if peek == .symbol("{") {
            argument = try parseBraced()
        } else {
            // The argument runs over the following product of factors: \sin 2x = sin(2x).
            var value = try parsePower()
            while let p = peek, Self.isVariableToken(p) { value = .multiply(value, try parsePower()) }
            argument = value
        }
        var result: MathExpression
        switch name {
        case "log": result = .function("log", [base ?? .symbol("log-base"), argument])
        default: result = .function(name, [argument])
        }
        if let outerPower { result = .power(result, outerPower) }
        return result
    }

    /// `\begin{pmatrix} a & b \\ c & d \end{pmatrix}` (also bmatrix, matrix, array with a column spec).
    private mutating func parseMatrix() throws(MathCheckFailure) -> MathExpression {
        guard case .command(let tag)? = peek, tag.hasPrefix("env:") else { throw .unsupported("\\begin without a name") }
        position += 1
        let environment = String(tag.dropFirst(4))
        guard ["pmatrix", "bmatrix", "matrix", "array", "Bmatrix", "smallmatrix"].contains(environment) else {
            throw .unsupported("environment \(environment)")
        }
        if environment == "array", case .command(let spec)? = peek, spec.hasPrefix("env:") { position += 1 }
        var rows: [[MathExpression]] = [[]]
        while true {
            try budget.step()
            guard let p = peek else { throw .unsupported("unterminated matrix") }
            if p == .command("end") {
                position += 1
                if case .command(let tag)? = peek, tag.hasPrefix("env:") { position += 1 }
                break
            }
            rows[rows.count - 1].append(try parseSum())
            if peek == .symbol("&") { position += 1; continue }
            if peek == .rowSeparator {
                position += 1
                if peek == .command("end") { continue }
                rows.append([]); continue
            }
        }
        guard let width = rows.first?.count, width > 0, rows.allSatisfy({ $0.count == width }) else {
            throw .unsupported("ragged matrix")
        }
        return .matrix(rows)
    }
}
