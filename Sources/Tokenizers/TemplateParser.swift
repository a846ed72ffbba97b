/// The syntax tree of a chat template: the Jinja subset chat templates use.
indirect enum TemplateNode: Sendable {
    case text(String)
    case output(TemplateExpression)
    case conditional(branches: [(condition: TemplateExpression, body: [TemplateNode])], otherwise: [TemplateNode])
    case loop(targets: [String], iterable: TemplateExpression, filter: TemplateExpression?, body: [TemplateNode],
              otherwise: [TemplateNode], line: Int)
    case assign(targets: [String], attribute: String?, value: TemplateExpression, line: Int)
    case assignBlock(name: String, body: [TemplateNode])
    case macro(name: String, parameters: [(name: String, defaultValue: TemplateExpression?)], body: [TemplateNode])
    case breakLoop, continueLoop
}

indirect enum TemplateExpression: Sendable {
    case literal(TemplateValue)
    case list([TemplateExpression])
    case dictionary([(TemplateExpression, TemplateExpression)])
    case variable(String, line: Int)
    case attribute(TemplateExpression, String, line: Int)
    case subscriptAccess(TemplateExpression, TemplateExpression, line: Int)
    case slice(TemplateExpression, start: TemplateExpression?, stop: TemplateExpression?, step: TemplateExpression?, line: Int)
    case call(TemplateExpression, arguments: [TemplateExpression], keywords: [(String, TemplateExpression)], line: Int)
    case filter(TemplateExpression, name: String, arguments: [TemplateExpression], keywords: [(String, TemplateExpression)], line: Int)
    case test(TemplateExpression, name: String, arguments: [TemplateExpression], negated: Bool, line: Int)
    case unary(String, TemplateExpression, line: Int)
    case binary(String, TemplateExpression, TemplateExpression, line: Int)
    case conditional(TemplateExpression, condition: TemplateExpression, otherwise: TemplateExpression?)
}

/// A recursive-descent parser with Jinja's operator precedence (jinja2/parser.py): conditional
/// expression < `or` < `and` < `not` < comparisons and `in` < `+ -` < `~` < `* / // %` < `**`
/// < unary `-` < filters, tests, calls, attributes and subscripts.
struct TemplateParser {
    typealias Token = TemplateLexer.Token
    private let tokens: [Token]
    private var p = 0
    private var depth = 0

    init(tokens: [Token]) { self.tokens = tokens }

    private var current: Token { tokens[p] }

    private func error(_ message: String, _ token: Token? = nil) -> TokenizerError {
        let t = token ?? current
        return .templateSyntax(message: message, line: t.line, column: t.column)
    }

    private func describe(_ kind: TemplateLexer.TokenKind) -> String {
        switch kind {
        case .text: "text"
        case .name(let n): "'\(n)'"
        case .string(let s): "string '\(s)'"
        case .integer(let i): "\(i)"
        case .double(let d): "\(d)"
        case .symbol(let s): "'\(s)'"
        case .blockStart: "'{%'"
        case .blockEnd: "'%}'"
        case .variableStart: "'{{'"
        case .variableEnd: "'}}'"
        case .end: "the end of the template"
        }
    }

    private mutating func advance() -> Token {
        let t = tokens[p]
        if p < tokens.count - 1 { p += 1 }
        return t
    }

    private func isSymbol(_ s: String) -> Bool { current.kind == .symbol(s) }
    private func isName(_ s: String) -> Bool { current.kind == .name(s) }

    private mutating func expectSymbol(_ s: String) throws(TokenizerError) {
        guard isSymbol(s) else { throw error("expected '\(s)', found \(describe(current.kind))") }
        _ = advance()
    }

    private mutating func expectName() throws(TokenizerError) -> String {
        guard case .name(let n) = current.kind else { throw error("expected a name, found \(describe(current.kind))") }
        _ = advance()
        return n
    }

    private mutating func expectBlockEnd() throws(TokenizerError) {
        guard current.kind == .blockEnd else { throw error("expected '%}', found \(describe(current.kind))") }
        _ = advance()
    }

    // MARK: Statements

    mutating func parseTemplate() throws(TokenizerError) -> [TemplateNode] {
        let (body, stop) = try parseBody(until: [])
        if let stop { throw error("unexpected '{% \(stop) %}'") }
        return body
    }

    /// Parses nodes until a block tag whose name is in `terminators` (returned, with `p` on its name)
    /// or the end of the template (nil).
    private mutating func parseBody(until terminators: Set<String>) throws(TokenizerError) -> ([TemplateNode], String?) {
        guard depth < 200 else { throw error("blocks nested more than 200 deep") }
        depth += 1
        defer { depth -= 1 }
        var nodes: [TemplateNode] = []
        while true {
            let token = current
            switch token.kind {
            case .end:
                return (nodes, nil)
            case .text(let s):
                _ = advance()
                nodes.append(.text(s))
            case .variableStart:
                _ = advance()
                let e = try parseExpression()
                guard current.kind == .variableEnd else { throw error("expected '}}', found \(describe(current.kind))") }
                _ = advance()
                nodes.append(.output(e))
            case .blockStart:
                _ = advance()
                let nameToken = current
                let name = try expectName()
                if terminators.contains(name) {
                    p -= 1
                    return (nodes, name)
                }
                nodes.append(try parseStatement(name, nameToken))
            default:
                throw error("unexpected \(describe(token.kind))")
            }
        }
    }

    /// Consumes `{% name` that `parseBody` stopped at (p is on the name).
    private mutating func consumeTerminator() { _ = advance() }

    private mutating func parseStatement(_ name: String, _ nameToken: Token) throws(TokenizerError) -> TemplateNode {
        switch name {
        case "if":
            var branches: [(TemplateExpression, [TemplateNode])] = []
            var condition = try parseExpression()
            try expectBlockEnd()
            while true {
                let (body, stop) = try parseBody(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                guard let stop else { throw error("'{% if %}' without '{% endif %}'", nameToken) }
                consumeTerminator()
                switch stop {
                case "elif":
                    condition = try parseExpression()
                    try expectBlockEnd()
                case "else":
                    try expectBlockEnd()
                    let (otherwise, end) = try parseBody(until: ["endif"])
                    guard end != nil else { throw error("'{% if %}' without '{% endif %}'", nameToken) }
                    consumeTerminator()
                    try expectBlockEnd()
                    return .conditional(branches: branches, otherwise: otherwise)
                default:
                    try expectBlockEnd()
                    return .conditional(branches: branches, otherwise: [])
                }
            }
        case "for":
            var targets = [try expectName()]
            while isSymbol(",") { _ = advance(); targets.append(try expectName()) }
            guard isName("in") else { throw error("expected 'in' in for loop, found \(describe(current.kind))") }
            _ = advance()
            let iterable = try parseTernaryFree()
            var filter: TemplateExpression?
            if isName("if") { _ = advance(); filter = try parseTernaryFree() }
            if isName("recursive") { throw error("recursive for loops are not supported") }
            try expectBlockEnd()
            let (body, stop) = try parseBody(until: ["else", "endfor"])
            guard let stop else { throw error("'{% for %}' without '{% endfor %}'", nameToken) }
            consumeTerminator()
            try expectBlockEnd()
            var otherwise: [TemplateNode] = []
            if stop == "else" {
                let (elseBody, end) = try parseBody(until: ["endfor"])
                guard end != nil else { throw error("'{% for %}' without '{% endfor %}'", nameToken) }
                consumeTerminator()
                try expectBlockEnd()
                otherwise = elseBody
            }
            return .loop(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: nameToken.line)
        case "set":
            var targets = [try expectName()]
            var attribute: String?
            if isSymbol(".") { _ = advance(); attribute = try expectName() }
            while isSymbol(",") { _ = advance(); targets.append(try expectName()) }
            if current.kind == .blockEnd, targets.count == 1, attribute == nil {
                _ = advance()
                let (body, stop) = try parseBody(until: ["endset"])
                guard stop != nil else { throw error("'{% set %}' block without '{% endset %}'", nameToken) }
                consumeTerminator()
                try expectBlockEnd()
                return .assignBlock(name: targets[0], body: body)
            }
            try expectSymbol("=")
            let value = try parseExpression()
            try expectBlockEnd()
            return .assign(targets: targets, attribute: attribute, value: value, line: nameToken.line)
        case "macro":
            let macroName = try expectName()
            try expectSymbol("(")
            var parameters: [(String, TemplateExpression?)] = []
            while !isSymbol(")") {
                let parameter = try expectName()
                var defaultValue: TemplateExpression?
                if isSymbol("=") { _ = advance(); defaultValue = try parseExpression() }
                parameters.append((parameter, defaultValue))
                if isSymbol(",") { _ = advance() } else { break }
            }
            try expectSymbol(")")
            try expectBlockEnd()
            let (body, stop) = try parseBody(until: ["endmacro"])
            guard stop != nil else { throw error("'{% macro %}' without '{% endmacro %}'", nameToken) }
            consumeTerminator()
            try expectBlockEnd()
            return .macro(name: macroName, parameters: parameters, body: body)
        case "break", "continue":
            try expectBlockEnd()
            return name == "break" ? .breakLoop : .continueLoop
        case "generation":
            // HF's `{% generation %}` marks assistant text for training masks; it renders its body.
            try expectBlockEnd()
            let (body, stop) = try parseBody(until: ["endgeneration"])
            guard stop != nil else { throw error("'{% generation %}' without '{% endgeneration %}'", nameToken) }
            consumeTerminator()
            try expectBlockEnd()
            return .conditional(branches: [(.literal(.boolean(true)), body)], otherwise: [])
        default:
            throw error("unsupported tag '{% \(name) %}'", nameToken)
        }
    }

    // MARK: Expressions

    mutating func parseExpression() throws(TokenizerError) -> TemplateExpression {
        // Nesting is bounded so a hostile template cannot overflow the stack.
        guard depth < 200 else { throw error("expressions nested more than 200 deep") }
        depth += 1
        defer { depth -= 1 }
        let value = try parseOr()
        guard isName("if") else { return value }
        _ = advance()
        let condition = try parseOr()
        var otherwise: TemplateExpression?
        if isName("else") { _ = advance(); otherwise = try parseExpression() }
        return .conditional(value, condition: condition, otherwise: otherwise)
    }

    /// An expression without a trailing `x if c` (for-loop iterables, whose `if` is a filter).
    private mutating func parseTernaryFree() throws(TokenizerError) -> TemplateExpression { try parseOr() }

    private mutating func parseOr() throws(TokenizerError) -> TemplateExpression {
        var left = try parseAnd()
        while isName("or") {
            let line = advance().line
            left = .binary("or", left, try parseAnd(), line: line)
        }
        return left
    }

    private mutating func parseAnd() throws(TokenizerError) -> TemplateExpression {
        var left = try parseNot()
        while isName("and") {
            let line = advance().line
            left = .binary("and", left, try parseNot(), line: line)
        }
        return left
    }

    private mutating func parseNot() throws(TokenizerError) -> TemplateExpression {
        if isName("not") {
            guard depth < 200 else { throw error("expressions nested more than 200 deep") }
            depth += 1
            defer { depth -= 1 }
            let line = advance().line
            return .unary("not", try parseNot(), line: line)
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(TokenizerError) -> TemplateExpression {
        var left = try parseAdditive()
        while true {
            let line = current.line
            if case .symbol(let s) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(s) {
                _ = advance()
                left = .binary(s, left, try parseAdditive(), line: line)
            } else if isName("in") {
                _ = advance()
                left = .binary("in", left, try parseAdditive(), line: line)
            } else if isName("not"), p + 1 < tokens.count, tokens[p + 1].kind == .name("in") {
                _ = advance(); _ = advance()
                left = .binary("not in", left, try parseAdditive(), line: line)
            } else {
                return left
            }
        }
    }

    private mutating func parseAdditive() throws(TokenizerError) -> TemplateExpression {
        var left = try parseConcatenation()
        while case .symbol(let s) = current.kind, s == "+" || s == "-" {
            let line = advance().line
            left = .binary(s, left, try parseConcatenation(), line: line)
        }
        return left
    }

    private mutating func parseConcatenation() throws(TokenizerError) -> TemplateExpression {
        var left = try parseMultiplicative()
        while isSymbol("~") {
            let line = advance().line
            left = .binary("~", left, try parseMultiplicative(), line: line)
        }
        return left
    }

    private mutating func parseMultiplicative() throws(TokenizerError) -> TemplateExpression {
        var left = try parsePower()
        while case .symbol(let s) = current.kind, ["*", "/", "//", "%"].contains(s) {
            let line = advance().line
            left = .binary(s, left, try parsePower(), line: line)
        }
        return left
    }

    private mutating func parsePower() throws(TokenizerError) -> TemplateExpression {
        var left = try parseUnary()
        while isSymbol("**") {
            let line = advance().line
            left = .binary("**", left, try parseUnary(), line: line)
        }
        return left
    }

    private mutating func parseUnary() throws(TokenizerError) -> TemplateExpression {
        var node: TemplateExpression
        if case .symbol(let s) = current.kind, s == "-" || s == "+" {
            let line = advance().line
            node = .unary(s, try parseUnaryOperand(), line: line)
        } else {
            node = try parsePostfix(try parsePrimary())
        }
        return try parseFiltersAndTests(node)
    }

    private mutating func parseUnaryOperand() throws(TokenizerError) -> TemplateExpression {
        if case .symbol(let s) = current.kind, s == "-" || s == "+" {
            guard depth < 200 else { throw error("expressions nested more than 200 deep") }
            depth += 1
            defer { depth -= 1 }
            let line = advance().line
            return .unary(s, try parseUnaryOperand(), line: line)
        }
        return try parsePostfix(try parsePrimary())
    }

    private mutating func parsePrimary() throws(TokenizerError) -> TemplateExpression {
        let token = advance()
        switch token.kind {
        case .name(let n):
            switch n {
            case "true", "True": return .literal(.boolean(true))
            case "false", "False": return .literal(.boolean(false))
            case "none", "None": return .literal(.none)
            default: return .variable(n, line: token.line)
            }
        case .string(var s):
            // Adjacent string literals concatenate, as in Python.
            while case .string(let more) = current.kind { s += more; _ = advance() }
            return .literal(.string(s))
        case .integer(let i): return .literal(.integer(i))
        case .double(let d): return .literal(.double(d))
        case .symbol("("):
            if isSymbol(")") { _ = advance(); return .list([]) }
            let first = try parseExpression()
            if isSymbol(",") {
                var items = [first]
                while isSymbol(",") {
                    _ = advance()
                    if isSymbol(")") { break }
                    items.append(try parseExpression())
                }
                try expectSymbol(")")
                return .list(items)   // tuples behave as lists here
            }
            try expectSymbol(")")
            return first
        case .symbol("["):
            var items: [TemplateExpression] = []
            while !isSymbol("]") {
                items.append(try parseExpression())
                if isSymbol(",") { _ = advance() } else { break }
            }
            try expectSymbol("]")
            return .list(items)
        case .symbol("{"):
            var pairs: [(TemplateExpression, TemplateExpression)] = []
            while !isSymbol("}") {
                let key = try parseExpression()
                try expectSymbol(":")
                pairs.append((key, try parseExpression()))
                if isSymbol(",") { _ = advance() } else { break }
            }
            try expectSymbol("}")
            return .dictionary(pairs)
        default:
            throw error("unexpected \(describe(token.kind)) in an expression", token)
        }
    }

    private mutating func parseArguments() throws(TokenizerError) -> ([TemplateExpression], [(String, TemplateExpression)]) {
        try expectSymbol("(")
        var arguments: [TemplateExpression] = []
        var keywords: [(String, TemplateExpression)] = []
        while !isSymbol(")") {
            if case .name(let n) = current.kind, p + 1 < tokens.count, tokens[p + 1].kind == .symbol("=") {
                _ = advance(); _ = advance()
                keywords.append((n, try parseExpression()))
            } else {
                arguments.append(try parseExpression())
            }
            if isSymbol(",") { _ = advance() } else { break }
        }
        try expectSymbol(")")
        return (arguments, keywords)
    }

    private mutating func parsePostfix(_ base: TemplateExpression) throws(TokenizerError) -> TemplateExpression {
        var node = base
        while true {
            let line = current.line
            if isSymbol(".") {
                _ = advance()
                if case .integer(let i) = current.kind {
                    _ = advance()
                    node = .subscriptAccess(node, .literal(.integer(i)), line: line)
                } else {
                    node = .attribute(node, try expectName(), line: line)
                }
            } else if isSymbol("[") {
                _ = advance()
                var start: TemplateExpression?
                if !isSymbol(":") { start = try parseExpression() }
                if isSymbol(":") {
                    _ = advance()
                    var stop: TemplateExpression?, step: TemplateExpression?
                    if !isSymbol("]") && !isSymbol(":") { stop = try parseExpression() }
                    if isSymbol(":") {
                        _ = advance()
                        if !isSymbol("]") { step = try parseExpression() }
                    }
                    try expectSymbol("]")
                    node = .slice(node, start: start, stop: stop, step: step, line: line)
                } else {
                    try expectSymbol("]")
                    node = .subscriptAccess(node, start!, line: line)
                }
            } else if isSymbol("(") {
                let (arguments, keywords) = try parseArguments()
                node = .call(node, arguments: arguments, keywords: keywords, line: line)
            } else {
                return node
            }
        }
    }

    private mutating func parseFiltersAndTests(_ base: TemplateExpression) throws(TokenizerError) -> TemplateExpression {
        var node = base
        while true {
            let line = current.line
            if isSymbol("|") {
                _ = advance()
                var name = try expectName()
                while isSymbol(".") { _ = advance(); name += "." + (try expectName()) }
                var arguments: [TemplateExpression] = [], keywords: [(String, TemplateExpression)] = []
                if isSymbol("(") { (arguments, keywords) = try parseArguments() }
                node = .filter(node, name: name, arguments: arguments, keywords: keywords, line: line)
            } else if isName("is") {
                _ = advance()
                var negated = false
                if isName("not") { _ = advance(); negated = true }
                let name: String
                switch current.kind {
                case .name(let n): name = n; _ = advance()
                case .symbol(let s) where ["==", "!=", "<", "<=", ">", ">="].contains(s): name = s; _ = advance()
                default: throw error("expected a test name after 'is', found \(describe(current.kind))")
                }
                var arguments: [TemplateExpression] = []
                if isSymbol("(") {
                    arguments = try parseArguments().0
                } else {
                    // `is divisibleby 3`, `is equalto 'x'`: one argument without parentheses.
                    switch current.kind {
                    case .string, .integer, .double: arguments = [try parsePrimary()]
                    case .name(let n) where !["and", "or", "else", "if", "in", "not", "is"].contains(n):
                        arguments = [try parsePostfix(try parsePrimary())]
                    default: break
                    }
                }
                node = .test(node, name: name, arguments: arguments, negated: negated, line: line)
            } else {
                return node
            }
        }
    }
}
