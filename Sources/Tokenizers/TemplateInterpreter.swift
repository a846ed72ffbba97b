#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Variables of one Jinja scope. A `for` body gets a fresh child scope on every iteration, so a
/// `set` inside a loop does not survive it (that is what `namespace()` is for); `if` has no scope.
final class TemplateScope {
    var variables: [String: TemplateValue]
    let parent: TemplateScope?

    init(_ variables: [String: TemplateValue] = [:], parent: TemplateScope? = nil) {
        self.variables = variables
        self.parent = parent
    }

    func lookup(_ name: String) -> TemplateValue? {
        variables[name] ?? parent?.lookup(name)
    }

    /// The scope that defines `name`, for `set ns.attribute = ...`.
    func owner(of name: String) -> TemplateScope? {
        variables[name] != nil ? self : parent?.owner(of: name)
    }
}

/// Evaluates a parsed template the way Jinja 2 (as HF transformers sets it up) does.
struct TemplateInterpreter {
    private enum Flow { case normal, breakLoop, continueLoop }

    static let globalFunctions: Set<String> = ["range", "namespace", "raise_exception", "strftime_now", "dict"]

    private var macros: [String: (parameters: [(name: String, defaultValue: TemplateExpression?)], body: [TemplateNode])] = [:]
    private let root: TemplateScope
    private var macroDepth = 0

    init(variables: [String: TemplateValue]) {
        root = TemplateScope(variables)
    }

    mutating func render(_ nodes: [TemplateNode]) throws(TokenizerError) -> String {
        var out = ""
        _ = try execute(nodes, root, &out)
        return out
    }

    // MARK: Statements

    private mutating func execute(_ nodes: [TemplateNode], _ scope: TemplateScope, _ out: inout String) throws(TokenizerError) -> Flow {
        for node in nodes {
            switch node {
            case .text(let s):
                out += s
            case .output(let e):
                out += try evaluate(e, scope).text
            case .conditional(let branches, let otherwise):
                var taken = false
                for branch in branches where try evaluate(branch.condition, scope).isTruthy {
                    taken = true
                    let flow = try execute(branch.body, scope, &out)
                    if flow != .normal { return flow }
                    break
                }
                if !taken {
                    let flow = try execute(otherwise, scope, &out)
                    if flow != .normal { return flow }
                }
            case .loop(let targets, let iterableExpression, let filter, let body, let otherwise, let line):
                let iterable = try evaluate(iterableExpression, scope)
                var items = try iterate(iterable, line: line)
                if let filter {
                    var kept: [TemplateValue] = []
                    for item in items {
                        let probe = TemplateScope(parent: scope)
                        try bind(targets, item, in: probe, line: line)
                        if try evaluate(filter, probe).isTruthy { kept.append(item) }
                    }
                    items = kept
                }
                if items.isEmpty {
                    let flow = try execute(otherwise, scope, &out)
                    if flow != .normal { return flow }
                    continue
                }
                for (index, item) in items.enumerated() {
                    let iteration = TemplateScope(parent: scope)
                    try bind(targets, item, in: iteration, line: line)
                    var loop = TemplateObject()
                    loop["index"] = .integer(index + 1)
                    loop["index0"] = .integer(index)
                    loop["revindex"] = .integer(items.count - index)
                    loop["revindex0"] = .integer(items.count - index - 1)
                    loop["first"] = .boolean(index == 0)
                    loop["last"] = .boolean(index == items.count - 1)
                    loop["length"] = .integer(items.count)
                    if index > 0 { loop["previtem"] = items[index - 1] }
                    if index + 1 < items.count { loop["nextitem"] = items[index + 1] }
                    iteration.variables["loop"] = .object(loop)
                    let flow = try execute(body, iteration, &out)
                    if flow == .breakLoop { break }
                }
            case .assign(let targets, let attribute, let valueExpression, let line):
                let value = try evaluate(valueExpression, scope)
                if let attribute {
                    guard let owner = scope.owner(of: targets[0]), case .object(var object) = owner.variables[targets[0]]! else {
                        throw .templateRender(message: "cannot set attribute '\(attribute)' of '\(targets[0])', which is not a namespace", line: line)
                    }
                    object[attribute] = value
                    owner.variables[targets[0]] = .object(object)
                } else {
                    try bind(targets, value, in: scope, line: line)
                }
            case .assignBlock(let name, let body):
                var captured = ""
                _ = try execute(body, scope, &captured)
                scope.variables[name] = .string(captured)
            case .macro(let name, let parameters, let body):
                macros[name] = (parameters, body)
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    private func bind(_ targets: [String], _ value: TemplateValue, in scope: TemplateScope, line: Int) throws(TokenizerError) {
        if targets.count == 1 {
            scope.variables[targets[0]] = value
            return
        }
        let items = try iterate(value, line: line)
        guard items.count == targets.count else {
            throw .templateRender(message: "cannot unpack \(items.count) values into \(targets.count) names (\(targets.joined(separator: ", ")))", line: line)
        }
        for (name, item) in zip(targets, items) { scope.variables[name] = item }
    }

    /// What `for` iterates: list items, dict keys, string characters; nothing for undefined.
    private func iterate(_ value: TemplateValue, line: Int) throws(TokenizerError) -> [TemplateValue] {
        switch value {
        case .array(let a): return a
        case .object(let o): return o.keys.map { .string($0) }
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        default: throw .templateRender(message: "cannot iterate over a \(value.typeName)", line: line)
        }
    }

    // MARK: Expressions

    private mutating func evaluate(_ expression: TemplateExpression, _ scope: TemplateScope) throws(TokenizerError) -> TemplateValue {
        switch expression {
        case .literal(let v):
            return v
        case .list(let items):
            var out: [TemplateValue] = []
            for item in items { out.append(try evaluate(item, scope)) }
            return .array(out)
        case .dictionary(let pairs):
            var object = TemplateObject()
            for (k, v) in pairs {
                let key = try evaluate(k, scope)
                object[key.text] = try evaluate(v, scope)
            }
            return .object(object)
        case .variable(let name, _):
            return scope.lookup(name) ?? .undefined
        case .attribute(let base, let name, let line):
            let value = try evaluate(base, scope)
            if case .undefined = value {
                throw .templateRender(message: "cannot read attribute '\(name)' of an undefined value", line: line)
            }
            return value[name]
        case .subscriptAccess(let base, let keyExpression, let line):
            let value = try evaluate(base, scope)
            let key = try evaluate(keyExpression, scope)
            return try item(of: value, key, line: line)
        case .slice(let base, let start, let stop, let step, let line):
            let value = try evaluate(base, scope)
            func bound(_ e: TemplateExpression?) throws(TokenizerError) -> Int? {
                guard let e else { return nil }
                let v = try evaluate(e, scope)
                if case .none = v { return nil }
                guard case .integer(let i) = v else { throw .templateRender(message: "slice indices must be integers", line: line) }
                return i
            }
            return try slice(value, try bound(start), try bound(stop), try bound(step), line: line)
        case .call(let callee, let arguments, let keywords, let line):
            var args: [TemplateValue] = []
            for a in arguments { args.append(try evaluate(a, scope)) }
            var kwargs: [(String, TemplateValue)] = []
            for (k, v) in keywords { kwargs.append((k, try evaluate(v, scope))) }
            switch callee {
            case .attribute(let base, let method, _):
                let receiver = try evaluate(base, scope)
                return try callMethod(receiver, method, args, kwargs, line: line)
            case .variable(let name, _):
                if let macro = macros[name] { return try callMacro(name, macro, args, kwargs, line: line) }
                return try callGlobal(name, args, kwargs, line: line)
            default:
                throw .templateRender(message: "this expression cannot be called", line: line)
            }
        case .filter(let base, let name, let arguments, let keywords, let line):
            let value = try evaluate(base, scope)
            var args: [TemplateValue] = []
            for a in arguments { args.append(try evaluate(a, scope)) }
            var kwargs: [(String, TemplateValue)] = []
            for (k, v) in keywords { kwargs.append((k, try evaluate(v, scope))) }
            return try applyFilter(name, value, args, kwargs, line: line)
        case .test(let base, let name, let arguments, let negated, let line):
            if name == "defined" || name == "undefined", case .variable(let v, _) = base,
               scope.lookup(v) == nil, Self.globalFunctions.contains(v) || macros[v] != nil {
                return .boolean((name == "defined") != negated)
            }
            let value = try evaluate(base, scope)
            var args: [TemplateValue] = []
            for a in arguments { args.append(try evaluate(a, scope)) }
            return .boolean(try applyTest(name, value, args, line: line) != negated)
        case .unary(let op, let operand, let line):
            let value = try evaluate(operand, scope)
            switch op {
            case "not": return .boolean(!value.isTruthy)
            case "-":
                switch value {
                case .integer(let i): return .integer(0 &- i)
                case .double(let d): return .double(-d)
                default: throw .templateRender(message: "bad operand type for unary -: \(value.typeName)", line: line)
                }
            default: return value
            }
        case .binary(let op, let leftExpression, let rightExpression, let line):
            let left = try evaluate(leftExpression, scope)
            if op == "and" { return left.isTruthy ? try evaluate(rightExpression, scope) : left }
            if op == "or" { return left.isTruthy ? left : try evaluate(rightExpression, scope) }
            let right = try evaluate(rightExpression, scope)
            return try binary(op, left, right, line: line)
        case .conditional(let value, let condition, let otherwise):
            if try evaluate(condition, scope).isTruthy { return try evaluate(value, scope) }
            return try otherwise.map { e throws(TokenizerError) in try evaluate(e, scope) } ?? .undefined
        }
    }

    private func item(of value: TemplateValue, _ key: TemplateValue, line: Int) throws(TokenizerError) -> TemplateValue {
        switch (value, key) {
        case (.undefined, _):
            throw .templateRender(message: "cannot index an undefined value with \(key.repr)", line: line)
        case (.array(let a), .integer(let i)):
            let index = i < 0 ? a.count + i : i
            return a.indices.contains(index) ? a[index] : .undefined
        case (.string(let s), .integer(let i)):
            let scalars = Array(s.unicodeScalars)
            let index = i < 0 ? scalars.count + i : i
            return scalars.indices.contains(index) ? .string(String(scalars[index])) : .undefined
        case (.object(let o), _):
            return o[key.text] ?? .undefined
        default:
            return .undefined
        }
    }

    private func slice(_ value: TemplateValue, _ start: Int?, _ stop: Int?, _ step: Int?, line: Int) throws(TokenizerError) -> TemplateValue {
        let step = step ?? 1
        guard step != 0 else { throw .templateRender(message: "slice step cannot be zero", line: line) }
        func indices(_ count: Int) -> [Int] {
            // Python's slice.indices.
            func clamp(_ v: Int?, _ defaultValue: Int, low: Int, high: Int) -> Int {
                guard var v else { return defaultValue }
                if v < 0 { v += count }
                return min(max(v, low), high)
            }
            if step > 0 {
                let a = clamp(start, 0, low: 0, high: count), b = clamp(stop, count, low: 0, high: count)
                return a < b ? Array(stride(from: a, to: b, by: step)) : []
            }
            let a = clamp(start, count - 1, low: -1, high: count - 1), b = clamp(stop, -1, low: -1, high: count - 1)
            return a > b ? Array(stride(from: a, to: b, by: step)) : []
        }
        switch value {
        case .array(let a): return .array(indices(a.count).map { a[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in indices(scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        case .undefined: throw .templateRender(message: "cannot slice an undefined value", line: line)
        default: throw .templateRender(message: "cannot slice a \(value.typeName)", line: line)
        }
    }

    private func binary(_ op: String, _ left: TemplateValue, _ right: TemplateValue, line: Int) throws(TokenizerError) -> TemplateValue {
        func unsupported() -> TokenizerError {
            .templateRender(message: "unsupported operand types for \(op): \(left.typeName) and \(right.typeName)", line: line)
        }
        switch op {
        case "==": return .boolean(left == right)
        case "!=": return .boolean(left != right)
        case "<", "<=", ">", ">=":
            let order: Int
            if let a = left.number, let b = right.number {
                order = a < b ? -1 : a > b ? 1 : 0
            } else if case .string(let a) = left, case .string(let b) = right {
                let x = Array(a.unicodeScalars).map(\.value), y = Array(b.unicodeScalars).map(\.value)
                order = x.lexicographicallyPrecedes(y) ? -1 : x == y ? 0 : 1
            } else {
                throw unsupported()
            }
            switch op {
            case "<": return .boolean(order < 0)
            case "<=": return .boolean(order <= 0)
            case ">": return .boolean(order > 0)
            default: return .boolean(order >= 0)
            }
        case "in", "not in":
            let found: Bool
            switch right {
            case .string(let s):
                guard case .string(let needle) = left else { throw unsupported() }
                found = needle.isEmpty || s.contains(needle)
            case .array(let a): found = a.contains(left)
            case .object(let o): found = o[left.text] != nil && { if case .string = left { true } else { false } }()
            case .undefined: found = false
            default: throw unsupported()
            }
            return .boolean(op == "in" ? found : !found)
        case "~":
            return .string(left.text + right.text)
        case "+":
            switch (left, right) {
            case (.string(let a), .string(let b)): return .string(a + b)
            case (.array(let a), .array(let b)): return .array(a + b)
            case (.undefined, _), (_, .undefined):
                throw .templateRender(message: "cannot add an undefined value (+ of \(left.typeName) and \(right.typeName))", line: line)
            default: return try arithmetic(op, left, right, unsupported)
            }
        case "*":
            switch (left, right) {
            case (.string(let s), .integer(let n)), (.integer(let n), .string(let s)):
                try checkSize(s.utf8.count, times: n, line: line)
                return .string(String(repeating: s, count: max(0, n)))
            case (.array(let a), .integer(let n)), (.integer(let n), .array(let a)):
                try checkSize(a.count, times: n, line: line)
                return .array(Array([[TemplateValue]](repeating: a, count: max(0, n)).joined()))
            default: return try arithmetic(op, left, right, unsupported)
            }
        default:
            return try arithmetic(op, left, right, unsupported)
        }
    }

    /// Python number arithmetic: integers stay integers except for `/`.
    private func arithmetic(_ op: String, _ left: TemplateValue, _ right: TemplateValue,
                            _ unsupported: () -> TokenizerError) throws(TokenizerError) -> TemplateValue {
        guard let a = left.number, let b = right.number else { throw unsupported() }
        let integers: (Int, Int)? = {
            switch (left, right) {
            case (.integer(let x), .integer(let y)): (x, y)
            case (.integer(let x), .boolean(let y)): (x, y ? 1 : 0)
            case (.boolean(let x), .integer(let y)): (x ? 1 : 0, y)
            case (.boolean(let x), .boolean(let y)): (x ? 1 : 0, y ? 1 : 0)
            default: nil
            }
        }()
        if (op == "/" || op == "//" || op == "%") && b == 0 { throw .templateRender(message: "division by zero", line: 0) }
        switch op {
        case "+": if let (x, y) = integers { return .integer(x &+ y) } else { return .double(a + b) }
        case "-": if let (x, y) = integers { return .integer(x &- y) } else { return .double(a - b) }
        case "*": if let (x, y) = integers { return .integer(x &* y) } else { return .double(a * b) }
        case "/": return .double(a / b)
        case "//":
            if let (x, y) = integers {
                guard !(x == Int.min && y == -1) else { return .integer(Int.min) }
                let q = x / y
                return .integer((x % y != 0) && ((x < 0) != (y < 0)) ? q - 1 : q)
            }
            return .double((a / b).rounded(.down))
        case "%":
            if let (x, y) = integers {
                guard y != -1 else { return .integer(0) }
                let r = x % y
                return .integer(r != 0 && (r < 0) != (y < 0) ? r + y : r)
            }
            let r = a.truncatingRemainder(dividingBy: b)
            return .double(r != 0 && (r < 0) != (b < 0) ? r + b : r)
        case "**":
            if let (x, y) = integers, y >= 0 {
                // Square-and-multiply, wrapping on overflow rather than trapping.
                var result = 1, base = x, exponent = y
                while exponent > 0 {
                    if exponent & 1 == 1 { result = result &* base }
                    base = base &* base
                    exponent >>= 1
                }
                return .integer(result)
            }
            return .double(pow(a, b))
        default:
            throw unsupported()
        }
    }

    // MARK: Calls

    /// Guards against templates that would build absurdly large values (`'x' * 10**12`).
    private func checkSize(_ count: Int, times: Int, line: Int) throws(TokenizerError) {
        let (total, overflow) = count.multipliedReportingOverflow(by: max(0, times))
        guard !overflow, total <= 10_000_000 else {
            throw .templateRender(message: "a value of more than 10 million elements", line: line)
        }
    }

    private mutating func callMacro(_ name: String, _ macro: (parameters: [(name: String, defaultValue: TemplateExpression?)], body: [TemplateNode]),
                                    _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)], line: Int) throws(TokenizerError) -> TemplateValue {
        guard macroDepth < 64 else {
            throw .templateRender(message: "macro '\(name)' calls itself more than 64 deep", line: line)
        }
        macroDepth += 1
        defer { macroDepth -= 1 }
        let scope = TemplateScope(parent: root)
        for (index, parameter) in macro.parameters.enumerated() {
            if index < args.count {
                scope.variables[parameter.name] = args[index]
            } else if let keyword = kwargs.first(where: { $0.0 == parameter.name }) {
                scope.variables[parameter.name] = keyword.1
            } else if let defaultValue = parameter.defaultValue {
                scope.variables[parameter.name] = try evaluate(defaultValue, scope)
            } else {
                scope.variables[parameter.name] = .undefined
            }
        }
        var out = ""
        _ = try execute(macro.body, scope, &out)
        return .string(out)
    }

    private func callGlobal(_ name: String, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)], line: Int) throws(TokenizerError) -> TemplateValue {
        switch name {
        case "raise_exception":
            throw .templateRaised(message: args.first?.text ?? "")
        case "namespace", "dict":
            var object = TemplateObject()
            if case .object(let initial)? = args.first { object = initial }
            for (k, v) in kwargs { object[k] = v }
            return .object(object)
        case "range":
            let ints = args.compactMap { v -> Int? in if case .integer(let i) = v { i } else { nil } }
            guard ints.count == args.count, (1...3).contains(ints.count) else {
                throw .templateRender(message: "range() takes 1 to 3 integers", line: line)
            }
            let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints[1], ints.count == 3 ? ints[2] : 1)
            guard step != 0 else { throw .templateRender(message: "range() step must not be zero", line: line) }
            let span = step > 0 ? Double(stop) - Double(start) : Double(start) - Double(stop)
            try checkSize(Int(max(0, min(span / Double(step.magnitude), 1e15))), times: 1, line: line)
            return .array(stride(from: start, to: stop, by: step).map { .integer($0) })
        case "strftime_now":
            return .string(Self.formatNow(args.first?.text ?? "%Y-%m-%d"))
        default:
            throw .templateRender(message: "unknown function '\(name)'", line: line)
        }
    }

    private static func formatNow(_ format: String) -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 256)
        let n = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func callMethod(_ receiver: TemplateValue, _ method: String, _ args: [TemplateValue],
                            _ kwargs: [(String, TemplateValue)], line: Int) throws(TokenizerError) -> TemplateValue {
        func argument(_ index: Int, _ name: String) -> TemplateValue? {
            index < args.count ? args[index] : kwargs.first { $0.0 == name }?.1
        }
        switch receiver {
        case .string(let s):
            switch method {
            case "strip": return .string(pythonStrip(s, chars: argument(0, "chars"), leading: true, trailing: true))
            case "lstrip": return .string(pythonStrip(s, chars: argument(0, "chars"), leading: true, trailing: false))
            case "rstrip": return .string(pythonStrip(s, chars: argument(0, "chars"), leading: false, trailing: true))
            case "upper": return .string(s.uppercased())
            case "lower": return .string(s.lowercased())
            case "title": return .string(pythonTitle(s))
            case "capitalize": return .string(pythonCapitalize(s))
            case "startswith", "endswith":
                let candidates: [TemplateValue]
                switch argument(0, "prefix") {
                case .array(let a)?: candidates = a
                case let v?: candidates = [v]
                case nil: throw .templateRender(message: "\(method)() needs an argument", line: line)
                }
                return .boolean(candidates.contains { c in
                    method == "startswith" ? s.unicodeScalars.starts(with: c.text.unicodeScalars)
                        : s.unicodeScalars.reversed().starts(with: c.text.unicodeScalars.reversed())
                })
            case "split":
                let separator = argument(0, "sep")
                var maxSplit = -1
                if case .integer(let m)? = argument(1, "maxsplit") { maxSplit = m }
                return .array(pythonSplit(s, separator: separator.flatMap { if case .string(let x) = $0 { x } else { nil } }, maxSplit: maxSplit)
                    .map { .string($0) })
            case "replace":
                guard let old = argument(0, "old")?.text, let new = argument(1, "new")?.text else {
                    throw .templateRender(message: "replace() needs two arguments", line: line)
                }
                return .string(pythonReplace(s, old, new))
            case "join":
                guard let items = argument(0, "iterable") else { throw .templateRender(message: "join() needs an argument", line: line) }
                return .string(try iterate(items, line: line).map(\.text).joined(separator: s))
            case "find":
                guard let needle = argument(0, "sub")?.text else { throw .templateRender(message: "find() needs an argument", line: line) }
                let hay = Array(s.unicodeScalars), n = Array(needle.unicodeScalars)
                if n.isEmpty { return .integer(0) }
                if hay.count >= n.count {
                    for i in 0...(hay.count - n.count) where Array(hay[i..<(i + n.count)]) == n { return .integer(i) }
                }
                return .integer(-1)
            case "isdigit": return .boolean(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType == .decimal })
            case "isspace": return .boolean(!s.isEmpty && s.unicodeScalars.allSatisfy(isPythonSpace))
            default: break
            }
        case .object(let o):
            switch method {
            case "items": return .array(o.entries.map { .array([.string($0.key), $0.value]) })
            case "keys": return .array(o.keys.map { .string($0) })
            case "values": return .array(o.entries.map(\.value))
            case "get": return o[argument(0, "key")?.text ?? ""] ?? argument(1, "default") ?? .none
            default: break
            }
        case .undefined:
            throw .templateRender(message: "cannot call method '\(method)' of an undefined value", line: line)
        default:
            break
        }
        throw .templateRender(message: "unsupported method '\(method)()' on a \(receiver.typeName)", line: line)
    }

    // MARK: Filters

    private func applyFilter(_ name: String, _ value: TemplateValue, _ args: [TemplateValue],
                             _ kwargs: [(String, TemplateValue)], line: Int) throws(TokenizerError) -> TemplateValue {
        func argument(_ index: Int, _ key: String) -> TemplateValue? {
            index < args.count ? args[index] : kwargs.first { $0.0 == key }?.1
        }
        switch name {
        case "trim":
            return .string(pythonStrip(value.text, chars: argument(0, "chars"), leading: true, trailing: true))
        case "length", "count":
            switch value {
            case .string(let s): return .integer(s.unicodeScalars.count)
            case .array(let a): return .integer(a.count)
            case .object(let o): return .integer(o.count)
            case .undefined: return .integer(0)
            default: throw .templateRender(message: "a \(value.typeName) has no length", line: line)
            }
        case "tojson":
            var indent: Int?
            if case .integer(let i)? = argument(0, "indent") { indent = i }
            return .string(value.json(indent: indent))
        case "string": return .string(value.text)
        case "upper": return .string(value.text.uppercased())
        case "lower": return .string(value.text.lowercased())
        case "capitalize": return .string(pythonCapitalize(value.text))
        case "title": return .string(pythonTitle(value.text))
        case "safe": return value
        case "e", "escape":
            var out = ""
            for c in value.text {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&#34;"
                case "'": out += "&#39;"
                default: out.append(c)
                }
            }
            return .string(out)
        case "list": return .array(try iterate(value, line: line))
        case "first", "last":
            let items = try iterate(value, line: line)
            return (name == "first" ? items.first : items.last) ?? .undefined
        case "reverse":
            if case .string(let s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .array(try iterate(value, line: line).reversed())
        case "join":
            var items = try iterate(value, line: line)
            if let attribute = argument(1, "attribute")?.text { items = items.map { $0[attribute] } }
            return .string(items.map(\.text).joined(separator: argument(0, "d")?.text ?? ""))
        case "default", "d":
            let fallback = argument(0, "default_value") ?? .string("")
            let useFalsy = argument(1, "boolean")?.isTruthy ?? false
            if case .undefined = value { return fallback }
            return useFalsy && !value.isTruthy ? fallback : value
        case "items":
            guard case .object(let o) = value else {
                if case .undefined = value { return .array([]) }
                throw .templateRender(message: "items needs a dict, got a \(value.typeName)", line: line)
            }
            return .array(o.entries.map { .array([.string($0.key), $0.value]) })
        case "int":
            switch value {
            case .integer: return value
            case .double(let d): return .integer(Int(exactly: d.rounded(.towardZero)) ?? 0)
            case .boolean(let b): return .integer(b ? 1 : 0)
            case .string(let s):
                return .integer(Int(s.trimmingSpaces()) ?? Double(s.trimmingSpaces()).flatMap { Int(exactly: $0.rounded(.towardZero)) } ?? 0)
            default: return .integer(0)
            }
        case "float":
            switch value {
            case .string(let s): return .double(Double(s.trimmingSpaces()) ?? 0)
            default: return .double(value.number ?? 0)
            }
        case "abs":
            switch value {
            case .integer(let i): return .integer(i == Int.min ? i : abs(i))
            case .double(let d): return .double(abs(d))
            default: throw .templateRender(message: "abs needs a number, got a \(value.typeName)", line: line)
            }
        case "unique":
            var seen: [TemplateValue] = []
            for item in try iterate(value, line: line) where !seen.contains(item) { seen.append(item) }
            return .array(seen)
        case "indent":
            var width = 4
            if case .integer(let w)? = argument(0, "width") { width = w }
            let first = argument(1, "first")?.isTruthy ?? false
            let blank = argument(2, "blank")?.isTruthy ?? false
            let pad = String(repeating: " ", count: width)
            let lines = value.text.split(separator: "\n", omittingEmptySubsequences: false)
            return .string(lines.enumerated().map { i, l in
                (i == 0 && !first) || (!blank && l.allSatisfy { $0 == " " || $0 == "\t" }) ? String(l) : pad + l
            }.joined(separator: "\n"))
        case "selectattr", "rejectattr":
            guard let attribute = argument(0, "attribute")?.text else {
                throw .templateRender(message: "\(name) needs an attribute name", line: line)
            }
            let select = name == "selectattr"
            var out: [TemplateValue] = []
            for item in try iterate(value, line: line) {
                let field = item[attribute]
                let passed = args.count > 1
                    ? try applyTest(args[1].text, field, Array(args.dropFirst(2)), line: line)
                    : field.isTruthy
                if passed == select { out.append(item) }
            }
            return .array(out)
        case "select", "reject":
            let select = name == "select"
            var out: [TemplateValue] = []
            for item in try iterate(value, line: line) {
                let passed = args.isEmpty ? item.isTruthy : try applyTest(args[0].text, item, Array(args.dropFirst()), line: line)
                if passed == select { out.append(item) }
            }
            return .array(out)
        case "map":
            let items = try iterate(value, line: line)
            if let attribute = kwargs.first(where: { $0.0 == "attribute" })?.1.text {
                let fallback = kwargs.first { $0.0 == "default" }?.1
                return .array(items.map { item in
                    let v = item[attribute]
                    if case .undefined = v, let fallback { return fallback }
                    return v
                })
            }
            guard let filterName = args.first?.text else { throw .templateRender(message: "map needs a filter or attribute=", line: line) }
            var out: [TemplateValue] = []
            for item in items { out.append(try applyFilter(filterName, item, Array(args.dropFirst()), [], line: line)) }
            return .array(out)
        case "sum":
            var total: TemplateValue = .integer(0)
            for item in try iterate(value, line: line) { total = try binary("+", total, item, line: line) }
            return total
        case "replace":
            guard let old = argument(0, "old")?.text, let new = argument(1, "new")?.text else {
                throw .templateRender(message: "replace needs two arguments", line: line)
            }
            return .string(pythonReplace(value.text, old, new))
        default:
            throw .templateRender(message: "unsupported filter '\(name)'", line: line)
        }
    }

    // MARK: Tests

    private func applyTest(_ name: String, _ value: TemplateValue, _ args: [TemplateValue], line: Int) throws(TokenizerError) -> Bool {
        func argument() throws(TokenizerError) -> TemplateValue {
            guard let a = args.first else { throw .templateRender(message: "test '\(name)' needs an argument", line: line) }
            return a
        }
        switch name {
        case "defined": if case .undefined = value { return false } else { return true }
        case "undefined": if case .undefined = value { return true } else { return false }
        case "none": if case .none = value { return true } else { return false }
        case "boolean": if case .boolean = value { return true } else { return false }
        case "true": return value == .boolean(true) && { if case .boolean = value { true } else { false } }()
        case "false": return value == .boolean(false) && { if case .boolean = value { true } else { false } }()
        case "string": if case .string = value { return true } else { return false }
        case "mapping": if case .object = value { return true } else { return false }
        case "integer": if case .integer = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "number":
            switch value { case .integer, .double, .boolean: return true; default: return false }
        case "iterable":
            switch value { case .array, .object, .string: return true; default: return false }
        case "sequence":
            switch value { case .array, .object, .string: return true; default: return false }
        case "callable": return false
        case "even", "odd":
            guard case .integer(let i) = value else { throw .templateRender(message: "test '\(name)' needs an integer", line: line) }
            return (i % 2 == 0) == (name == "even")
        case "divisibleby":
            guard case .integer(let i) = value, case .integer(let d) = try argument(), d != 0 else {
                throw .templateRender(message: "divisibleby needs integers", line: line)
            }
            return i % d == 0
        case "eq", "equalto", "==": return value == (try argument())
        case "ne", "!=": return value != (try argument())
        case "lt", "lessthan", "<": return try binary("<", value, try argument(), line: line).isTruthy
        case "le", "<=": return try binary("<=", value, try argument(), line: line).isTruthy
        case "gt", "greaterthan", ">": return try binary(">", value, try argument(), line: line).isTruthy
        case "ge", ">=": return try binary(">=", value, try argument(), line: line).isTruthy
        case "in": return try binary("in", value, try argument(), line: line).isTruthy
        case "lower": return value.text == value.text.lowercased()
        case "upper": return value.text == value.text.uppercased()
        default:
            throw .templateRender(message: "unsupported test '\(name)'", line: line)
        }
    }
}

// MARK: Python string helpers

/// Python's `str.isspace` characters.
func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
    s.properties.isWhitespace || (0x1C...0x1F).contains(s.value)
}

func pythonStrip(_ s: String, chars: TemplateValue?, leading: Bool, trailing: Bool) -> String {
    let set: Set<Unicode.Scalar>?
    if case .string(let c)? = chars { set = Set(c.unicodeScalars) } else { set = nil }
    func strip(_ u: Unicode.Scalar) -> Bool { set.map { $0.contains(u) } ?? isPythonSpace(u) }
    var scalars = Array(s.unicodeScalars)[...]
    if leading { while let f = scalars.first, strip(f) { scalars = scalars.dropFirst() } }
    if trailing { while let l = scalars.last, strip(l) { scalars = scalars.dropLast() } }
    return String(String.UnicodeScalarView(scalars))
}

func pythonSplit(_ s: String, separator: String?, maxSplit: Int) -> [String] {
    guard let separator, !separator.isEmpty else {
        // Runs of whitespace, no empty strings.
        var parts: [String] = []
        var current = String.UnicodeScalarView()
        var scalars = Array(s.unicodeScalars)[...]
        while let first = scalars.first, isPythonSpace(first) { scalars = scalars.dropFirst() }
        while let u = scalars.first {
            scalars = scalars.dropFirst()
            if isPythonSpace(u) {
                if !current.isEmpty { parts.append(String(current)); current = String.UnicodeScalarView() }
                while let f = scalars.first, isPythonSpace(f) { scalars = scalars.dropFirst() }
                if maxSplit >= 0 && parts.count == maxSplit, !scalars.isEmpty {
                    parts.append(String(String.UnicodeScalarView(scalars)))
                    return parts
                }
            } else {
                current.append(u)
            }
        }
        if !current.isEmpty { parts.append(String(current)) }
        return parts
    }
    var parts: [String] = []
    let hay = Array(s.unicodeScalars), needle = Array(separator.unicodeScalars)
    var start = 0, i = 0
    while i + needle.count <= hay.count {
        if (maxSplit < 0 || parts.count < maxSplit) && Array(hay[i..<(i + needle.count)]) == needle {
            parts.append(String(String.UnicodeScalarView(hay[start..<i])))
            i += needle.count
            start = i
        } else {
            i += 1
        }
    }
    parts.append(String(String.UnicodeScalarView(hay[start...])))
    return parts
}

func pythonReplace(_ s: String, _ old: String, _ new: String) -> String {
    guard !old.isEmpty else { return s }
    let hay = Array(s.unicodeScalars), needle = Array(old.unicodeScalars)
    var out = String.UnicodeScalarView()
    var i = 0
    while i < hay.count {
        if i + needle.count <= hay.count && Array(hay[i..<(i + needle.count)]) == needle {
            out.append(contentsOf: new.unicodeScalars)
            i += needle.count
        } else {
            out.append(hay[i])
            i += 1
        }
    }
    return String(out)
}

func pythonCapitalize(_ s: String) -> String {
    guard let first = s.first else { return s }
    return String(first).uppercased() + s.dropFirst().lowercased()
}

func pythonTitle(_ s: String) -> String {
    var out = ""
    var previousIsLetter = false
    for c in s {
        out += previousIsLetter ? String(c).lowercased() : String(c).uppercased()
        previousIsLetter = c.isLetter
    }
    return out
}

private extension String {
    func trimmingSpaces() -> String { pythonStrip(self, chars: nil, leading: true, trailing: true) }
}
