/// A parsed answer: a number or expression, or a structure of them (tuple, interval,
/// set, matrix, equation), as read from normalised LaTeX by `MathExpressionParser`.
indirect enum MathExpression: Sendable, Hashable {
    /// An exact number; `written` is true for a decimal literal (`0.5`), which the
    /// tolerance policy never accepts as an approximation of an irrational value.
    case number(MathRational, decimal: Bool)
    case symbol(String)
    case pi
    case infinity
    case add(MathExpression, MathExpression)
    case subtract(MathExpression, MathExpression)
    case multiply(MathExpression, MathExpression)
    case divide(MathExpression, MathExpression)
    case power(MathExpression, MathExpression)
    case negate(MathExpression)
    /// A named function: `sqrt`, `root` (index, radicand), `sin`… `ln`, `log` (base, x), `abs`, `factorial`, `binom`.
    case function(String, [MathExpression])
    /// `(a, b)`, `[a, b)`, … : an ordered tuple or an interval, told apart by comparison.
    case bracket(open: Character, [MathExpression], close: Character)
    /// `\{a, b\}`: order-free.
    case set([MathExpression])
    /// `a, b` with no brackets ("enter all solutions"): order-free, like a set.
    case list([MathExpression])
    /// `A \cup B`.
    case union([MathExpression])
    case equation(MathExpression, MathExpression)
    case matrix([[MathExpression]])

    /// True for a number or an arithmetic expression (something evaluation can handle).
    var isScalar: Bool {
        switch self {
        case .number, .symbol, .pi, .infinity: true
        case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .divide(let a, let b), .power(let a, let b):
            a.isScalar && b.isScalar
        case .negate(let a): a.isScalar
        case .function(_, let args): args.allSatisfy(\.isScalar)
        default: false
        }
    }

    /// Symbols the expression mentions, so random points can assign each a value.
    func collectSymbols(into set: inout Set<String>) {
        switch self {
        case .symbol(let s): set.insert(s)
        case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .divide(let a, let b),
             .power(let a, let b), .equation(let a, let b):
            a.collectSymbols(into: &set); b.collectSymbols(into: &set)
        case .negate(let a): a.collectSymbols(into: &set)
        case .function(_, let items), .bracket(_, let items, _), .set(let items), .list(let items), .union(let items):
            for i in items { i.collectSymbols(into: &set) }
        case .matrix(let rows): for r in rows { for e in r { e.collectSymbols(into: &set) } }
        case .number, .pi, .infinity: break
        }
    }

    /// The expression with the operands of every chain of `+` and of `×` flattened and sorted,
    /// so that forms differing only by commutativity and associativity are identical
    /// (`(x+1)^{300}` and `(1+x)^{300}`), with no evaluation. Equal canonical forms are equal values.
    var canonical: MathExpression {
        func operands(_ e: MathExpression, add: Bool) -> [MathExpression] {
            switch e {
            case .add(let a, let b) where add: operands(a, add: add) + operands(b, add: add)
            case .multiply(let a, let b) where !add: operands(a, add: add) + operands(b, add: add)
            default: [e.canonical]
            }
        }
        func rebuilt(_ items: [MathExpression], add: Bool) -> MathExpression {
            let sorted = items.sorted { String(describing: $0) < String(describing: $1) }
            return sorted.dropFirst().reduce(sorted[0]) { add ? .add($0, $1) : .multiply($0, $1) }
        }
        switch self {
        case .add: return rebuilt(operands(self, add: true), add: true)
        case .multiply: return rebuilt(operands(self, add: false), add: false)
        case .subtract(let a, let b): return .subtract(a.canonical, b.canonical)
        case .divide(let a, let b): return .divide(a.canonical, b.canonical)
        case .power(let a, let b): return .power(a.canonical, b.canonical)
        case .negate(let a): return .negate(a.canonical)
        case .function(let name, let args): return .function(name, args.map(\.canonical))
        default: return self
        }
    }

    /// True when the expression mentions the symbol `name`.
    func mentions(_ name: String) -> Bool {
        var symbols = Set<String>()
        collectSymbols(into: &symbols)
        return symbols.contains(name)
    }

    /// True when a written decimal (`0.5`) appears anywhere in the expression.
    var containsDecimal: Bool {
        switch self {
        case .number(_, let decimal): decimal
        case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .divide(let a, let b), .power(let a, let b):
            a.containsDecimal || b.containsDecimal
        case .negate(let a): a.containsDecimal
        case .function(_, let args): args.contains { $0.containsDecimal }
        default: false
        }
    }
}

/// Why an answer could not be read, evaluated or compared; each becomes `unknown` (or, for
/// `text`, a plain-text comparison) in `MathEquivalence`. Internal control flow: no check
/// ever throws to its caller.
enum MathCheckFailure: Error, Equatable {
    /// The answer is words ("Monday", "no solution"), not mathematics.
    case text
    /// Notation this checker does not read; the associated text says which.
    case unsupported(String)
    /// The answer or its nesting is over a size limit.
    case tooLarge(String)
    /// The deadline passed or the step budget ran out.
    case timeLimit
    /// Evaluation only: the point is outside the domain (√−1, 1/0, log 0).
    case undefined
    /// Evaluation only: a number outgrew 128-bit fractions.
    case overflow
    /// Evaluation only: not a number (a tuple inside a sum, an unassigned symbol).
    case notScalar
}

/// Bounds one check: a step budget and a wall-clock deadline, checked cooperatively in
/// every loop and recursion of parsing and evaluation. Owned by a single check (a
/// class only so nested calls share it), never shared between threads.
final class MathBudget {
    let deadline: ContinuousClock.Instant
    private var steps = 0
    /// Parse and evaluation steps allowed per check, whatever the clock says.
    static let maximumSteps = 2_000_000

    init(deadline: ContinuousClock.Instant) { self.deadline = deadline }

    func step() throws(MathCheckFailure) {
        steps += 1
        if steps > Self.maximumSteps { throw .timeLimit }
        // The clock is read on the first step and every 128th after it.
        if steps & 127 == 1, ContinuousClock.now > deadline { throw .timeLimit }
    }
}
