#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ScalingCore

/// A value met while evaluating: exact when rational arithmetic sufficed, else a double.
enum MathValue: Sendable {
    case exact(MathRational)
    case real(Double)

    var doubleValue: Double {
        switch self {
        case .exact(let r): r.doubleValue
        case .real(let d): d
        }
    }
}

/// A three-way answer: equal, not equal, or undecided with the reason.
enum MathTruth: Equatable {
    case yes
    case no
    case unknown(String)
}

/// Compares two parsed answers structurally, then numerically (exactly where it can, at
/// random points when there are variables); records the name of the rule that decided.
struct MathComparer {
    let budget: MathBudget
    var rule = "equal"
    static let maximumElements = 64
    static let exponentLimit = 10_000

    init(budget: MathBudget) { self.budget = budget }

    mutating func equal(_ a: MathExpression, _ b: MathExpression) throws(MathCheckFailure) -> MathTruth {
        try budget.step()
        // `\frac12 \begin{pmatrix}1 & 2\end{pmatrix}`: the factor multiplies every entry.
        if let m = Self.distributedFactor(a) { return try equal(m, b) }
        if let m = Self.distributedFactor(b) { return try equal(a, m) }
        switch (a, b) {
        case (.set(let x), .set(let y)), (.list(let x), .set(let y)), (.set(let x), .list(let y)):
            // Sets: a repeated element is the same set (`\{1, 2, 2\}` = `\{1, 2\}`).
            rule = "same set"
            return try sameSet(x, y)
        case (.list(let x), .list(let y)), (.union(let x), .union(let y)):
            rule = "order-free elements"
            return try unordered(x, y)
        case (.set(let x), _) where x.count == 1 && b.isScalar:
            return try equal(x[0], b)
        case (_, .set(let y)) where y.count == 1 && a.isScalar:
            return try equal(a, y[0])
        case (.bracket(let o1, let x, let c1), .bracket(let o2, let y, let c2)):
            guard o1 == o2, c1 == c2 else { rule = "brackets differ (open/closed ends)"; return .no }
            rule = "ordered elements"
            return try ordered(x, y)
        case (.matrix(let x), .matrix(let y)):
            guard x.count == y.count, x.first?.count == y.first?.count else { rule = "matrix shapes differ"; return .no }
            rule = "matrix elements"
            return try ordered(x.flatMap { $0 }, y.flatMap { $0 })
        case (.matrix(let x), .bracket("(", let y, ")")), (.bracket("(", let y, ")"), .matrix(let x)):
            // A column or row vector written as a tuple.
            let flat = x.flatMap { $0 }
            guard x.count == 1 || x.first?.count == 1, flat.count == y.count else { rule = "vector lengths differ"; return .no }
            rule = "vector elements"
            return try ordered(flat, y)
        case (.equation(let l1, let r1), .equation(let l2, let r2)):
            return try equations(l1, r1, l2, r2)
        case (.equation(let l, let r), _) where !isEquation(b) && Self.namesVariables(l):
            let t = try equal(r, b); rule = "equation's right side (x = … prefix)"; return t
        case (_, .equation(let l, let r)) where !isEquation(a) && Self.namesVariables(l):
            let t = try equal(a, r); rule = "equation's right side (x = … prefix)"; return t
        default:
            guard a.isScalar, b.isScalar else { rule = "different kinds of answer"; return .no }
            return try scalars(a, b)
        }
    }

    /// `x` or `(x, y)`: the left side of an answer written as `x = 5` or `(x, y) = (3, 5)`.
    static func namesVariables(_ e: MathExpression) -> Bool {
        switch e {
        case .symbol: true
        case .bracket("(", let items, ")"): items.allSatisfy { if case .symbol = $0 { true } else { false } }
        default: false
        }
    }

    /// A scalar times a matrix (either order) as the matrix of products; nil for anything else.
    static func distributedFactor(_ e: MathExpression) -> MathExpression? {
        switch e {
        case .multiply(let factor, .matrix(let rows)) where factor.isScalar,
             .multiply(.matrix(let rows), let factor) where factor.isScalar:
            return .matrix(rows.map { row in row.map { entry in MathExpression.multiply(factor, entry) } })
        default:
            return nil
        }
    }

    /// Equal as sets: every element of each side equals some element of the other.
    private mutating func sameSet(_ x: [MathExpression], _ y: [MathExpression]) throws(MathCheckFailure) -> MathTruth {
        guard x.count <= Self.maximumElements, y.count <= Self.maximumElements else {
            throw .tooLarge("more than \(Self.maximumElements) elements")
        }
        let saved = rule
        for (from, to) in [(x, y), (y, x)] {
            for p in from {
                var matched = false
                var undecided: String? = nil
                for q in to {
                    let t = try equal(p, q)
                    if t == .yes { matched = true; break }
                    if case .unknown(let why) = t { undecided = why }
                }
                if !matched {
                    if let undecided { return .unknown(undecided) }
                    rule = "an element has no match"
                    return .no
                }
            }
        }
        rule = saved
        return .yes
    }

    private func isEquation(_ e: MathExpression) -> Bool {
        if case .equation = e { return true }
        return false
    }

    private mutating func ordered(_ x: [MathExpression], _ y: [MathExpression]) throws(MathCheckFailure) -> MathTruth {
        guard x.count == y.count else { rule = "element counts differ"; return .no }
        let saved = rule
        var undecided: String? = nil
        for (p, q) in zip(x, y) {
            switch try equal(p, q) {
            case .yes: continue
            case .no: rule = "element differs"; return .no
            case .unknown(let why): undecided = why
            }
        }
        rule = saved
        if let undecided { return .unknown(undecided) }
        return .yes
    }

    private mutating func unordered(_ x: [MathExpression], _ y: [MathExpression]) throws(MathCheckFailure) -> MathTruth {
        guard x.count == y.count else { rule = "element counts differ"; return .no }
        guard x.count <= Self.maximumElements else { throw .tooLarge("more than \(Self.maximumElements) elements") }
        let saved = rule
        var used = [Bool](repeating: false, count: y.count)
        var undecided: String? = nil
        for p in x {
            var matched = false
            for (j, q) in y.enumerated() where !used[j] {
                let t = try equal(p, q)
                if t == .yes { used[j] = true; matched = true; break }
                if case .unknown(let why) = t { undecided = why }
            }
            if !matched {
                if let undecided { return .unknown(undecided) }
                rule = "an element has no match"
                return .no
            }
        }
        rule = saved
        return .yes
    }

    private mutating func equations(_ l1: MathExpression, _ r1: MathExpression,
                                    _ l2: MathExpression, _ r2: MathExpression) throws(MathCheckFailure) -> MathTruth {
        if try equal(l1, l2) == .yes, try equal(r1, r2) == .yes { rule = "equation sides"; return .yes }
        if try equal(l1, r2) == .yes, try equal(r1, l2) == .yes { rule = "equation sides swapped"; return .yes }
        guard l1.isScalar, r1.isScalar, l2.isScalar, r2.isScalar else { rule = "equations differ"; return .no }
        // Same equation with terms moved: (l1 − r1) ≡ ±(l2 − r2).
        let d1 = MathExpression.subtract(l1, r1)
        let d2 = MathExpression.subtract(l2, r2)
        if try scalars(d1, d2) == .yes || (try scalars(d1, .subtract(r2, l2))) == .yes {
            rule = "equation rearranged"
            return .yes
        }
        // Same solution set when one side, moved to zero, is a constant multiple of the other
        // (`2y = 4x + 6` and `y = 2x + 3`): the constant is read off one point, then checked at all.
        if let k = try ratioAtAPoint(d2, d1), try scalars(.multiply(.number(k, decimal: false), d1), d2) == .yes {
            rule = "equation scaled"
            return .yes
        }
        rule = "equations differ"
        return .no
    }

    /// `a / b` at the first random point where both are exact and `b` is not zero; nil if none.
    private func ratioAtAPoint(_ a: MathExpression, _ b: MathExpression) throws(MathCheckFailure) -> MathRational? {
        var symbols = Set<String>()
        a.collectSymbols(into: &symbols)
        b.collectSymbols(into: &symbols)
        var generator = SplitMix64(seed: 0x5CA1E)
        for _ in 0..<8 {
            var point: [String: MathRational] = [:]
            for name in symbols.sorted() { point[name] = generator.nextRational() }
            guard case .exact(let x)? = try? evaluate(a, point), case .exact(let y)? = try? evaluate(b, point),
                  y != .zero, let k = x.dividing(by: y), k != .zero else { continue }
            return k
        }
        return nil
    }

    // MARK: - Numbers and expressions

    private mutating func scalars(_ a: MathExpression, _ b: MathExpression) throws(MathCheckFailure) -> MathTruth {
        var symbols = Set<String>()
        a.collectSymbols(into: &symbols)
        b.collectSymbols(into: &symbols)
        if symbols.isEmpty {
            rule = "numeric value"
            let x: MathValue, y: MathValue
            do throws(MathCheckFailure) {
                x = try evaluate(a, [:])
                y = try evaluate(b, [:])
            } catch {
                switch error {
                case .overflow: return .unknown("number too large to compare exactly")
                case .undefined: return .unknown("value undefined")
                case .notScalar: return .unknown("not a number")
                case .text, .unsupported, .tooLarge, .timeLimit: throw error
                }
            }
            return same(x, y, decimalPolicy: (a.containsDecimal, b.containsDecimal))
        }
        if a.canonical == b.canonical {
            rule = "same expression up to the order of sums and products"
            return .yes
        }
        if symbols.contains("i") { return try complexScalars(a, b, variables: symbols.subtracting(["i"]).sorted()) }
        rule = "equal at random points"
        let names = symbols.sorted()
        var generator = SplitMix64(seed: 0x5EED_0F_0A7)
        var agreed = 0
        var domainMismatches = 0
        for _ in 0..<16 where agreed < 6 {
            var point: [String: MathRational] = [:]
            for name in names { point[name] = generator.nextRational() }
            let x: MathValue?, y: MathValue?
            do throws(MathCheckFailure) {
                x = try definedValue(a, point)
                y = try definedValue(b, point)
            } catch {
                switch error {
                case .notScalar: return .unknown("not a number")
                case .undefined, .overflow: continue   // too large: try another point
                case .text, .unsupported, .tooLarge, .timeLimit: throw error
                }
            }
            guard let x, let y else {
                // Defined on one side only: ln(x²) vs 2 ln x at x < 0. One such point is
                // forgiven (a removable hole like (x²−4)/(x−2) at 2); two mean different domains.
                if (x == nil) != (y == nil) { domainMismatches += 1 }
                if domainMismatches >= 2 { rule = "defined on different domains"; return .no }
                continue
            }
            switch same(x, y, decimalPolicy: (false, false)) {
            case .yes: agreed += 1
            case .no: rule = "differ at a random point"; return .no
            case .unknown(let why): return .unknown(why)
            }
        }
        return agreed >= 3 ? .yes : .unknown("too few points where both sides are defined")
    }

    // MARK: - Complex numbers

    /// `i` is the imaginary unit: both sides are evaluated as complex numbers (in double
    /// precision, under the same relative 1e-12 as real irrational values) at random real
    /// values of the other variables; equal only if at least 3 points agree and none differs.
    private mutating func complexScalars(_ a: MathExpression, _ b: MathExpression, variables: [String]) throws(MathCheckFailure) -> MathTruth {
        rule = variables.isEmpty ? "complex value" : "complex values at random points"
        var generator = SplitMix64(seed: 0xC0_4D_1E)
        var agreed = 0
        for _ in 0..<(variables.isEmpty ? 1 : 12) where agreed < 6 {
            var point: [String: MathRational] = [:]
            for name in variables { point[name] = generator.nextRational() }
            let x: Complex, y: Complex
            do throws(MathCheckFailure) {
                x = try complexValue(a, point)
                y = try complexValue(b, point)
            } catch {
                switch error {
                case .undefined, .overflow: continue
                case .notScalar: return .unknown("cannot evaluate as a complex number")
                case .text, .unsupported, .tooLarge, .timeLimit: throw error
                }
            }
            let scale = max(x.magnitude, y.magnitude)
            guard (x - y).magnitude <= 1e-12 * scale + 1e-15 else { rule = "complex values differ"; return .no }
            agreed += 1
        }
        if variables.isEmpty { return agreed == 1 ? .yes : .unknown("value undefined") }
        return agreed >= 3 ? .yes : .unknown("too few points where both sides are defined")
    }

    struct Complex {
        var re: Double
        var im: Double
        var magnitude: Double { (re * re + im * im).squareRoot() }
        static func + (p: Complex, q: Complex) -> Complex { Complex(re: p.re + q.re, im: p.im + q.im) }
        static func - (p: Complex, q: Complex) -> Complex { Complex(re: p.re - q.re, im: p.im - q.im) }
        static func * (p: Complex, q: Complex) -> Complex {
            Complex(re: p.re * q.re - p.im * q.im, im: p.re * q.im + p.im * q.re)
        }
        /// Principal square root.
        var squareRoot: Complex {
            let m = magnitude
            let r = ((m + re) / 2).squareRoot()
            let s = ((m - re) / 2).squareRoot()
            return Complex(re: r, im: im < 0 ? -s : s)
        }
    }

    private func complexValue(_ e: MathExpression, _ point: [String: MathRational]) throws(MathCheckFailure) -> Complex {
        try budget.step()
        func real(_ d: Double) throws(MathCheckFailure) -> Complex {
            if d.isNaN || d.isInfinite { throw .undefined }
            return Complex(re: d, im: 0)
        }
        switch e {
        case .number(let r, _): return Complex(re: r.doubleValue, im: 0)
        case .symbol("i"): return Complex(re: 0, im: 1)
        case .symbol(let name):
            guard let v = point[name] else { throw .notScalar }
            return Complex(re: v.doubleValue, im: 0)
        case .pi: return Complex(re: Double.pi, im: 0)
        case .add(let p, let q): return try complexValue(p, point) + complexValue(q, point)
        case .subtract(let p, let q): return try complexValue(p, point) - complexValue(q, point)
        case .multiply(let p, let q): return try complexValue(p, point) * complexValue(q, point)
        case .negate(let p):
            let v = try complexValue(p, point)
            return Complex(re: -v.re, im: -v.im)
        case .divide(let p, let q):
            let n = try complexValue(p, point), d = try complexValue(q, point)
            let norm = d.re * d.re + d.im * d.im
            if norm == 0 { throw .undefined }
            let product = n * Complex(re: d.re, im: -d.im)
            return Complex(re: product.re / norm, im: product.im / norm)
        case .power(let p, let q):
            let base = try complexValue(p, point), exponent = try complexValue(q, point)
            guard exponent.im == 0 else { throw .notScalar }
            if base.im == 0, base.re >= 0 { return try real(pow(base.re, exponent.re)) }
            guard exponent.re == exponent.re.rounded(), abs(exponent.re) <= 64 else { throw .notScalar }
            var result = Complex(re: 1, im: 0)
            for _ in 0..<Int(abs(exponent.re)) { result = result * base }
            if exponent.re < 0 {
                let norm = result.re * result.re + result.im * result.im
                if norm == 0 { throw .undefined }
                result = Complex(re: result.re / norm, im: -result.im / norm)
            }
            return result
        case .function("sqrt", let args) where args.count == 1:
            return try complexValue(args[0], point).squareRoot
        case .function("abs", let args) where args.count == 1:
            return Complex(re: try complexValue(args[0], point).magnitude, im: 0)
        case .function(let name, let args):
            // Other functions only of real arguments, by the real evaluator.
            var values: [MathValue] = []
            for arg in args {
                let v = try complexValue(arg, point)
                guard v.im == 0 else { throw .notScalar }
                if v.re == v.re.rounded(), abs(v.re) < 1e15, let r = MathRational(Int128(v.re)) { values.append(.exact(r)) }
                else { values.append(.real(v.re)) }
            }
            return try real(try function(name, values).doubleValue)
        default:
            throw .notScalar
        }
    }

    /// The value at `point`, or nil where the expression is undefined there.
    private func definedValue(_ e: MathExpression, _ point: [String: MathRational]) throws(MathCheckFailure) -> MathValue? {
        do throws(MathCheckFailure) {
            return try evaluate(e, point)
        } catch {
            if case .undefined = error { return nil }
            throw error
        }
    }

    /// Equal as numbers, under the tolerance policy in `MathEquivalence`'s documentation.
    private func same(_ x: MathValue, _ y: MathValue, decimalPolicy: (Bool, Bool)) -> MathTruth {
        if case .exact(let p) = x, case .exact(let q) = y { return p == q ? .yes : .no }
        // A written decimal is exact: it never stands for an irrational value.
        if case .exact = x, case .real = y, decimalPolicy.0 { return .no }
        if case .real = x, case .exact = y, decimalPolicy.1 { return .no }
        let u = x.doubleValue, v = y.doubleValue
        if u.isNaN || v.isNaN { return .unknown("value undefined") }
        if u.isInfinite || v.isInfinite { return (u == v) ? .yes : .no }
        let scale = max(abs(u), abs(v))
        return abs(u - v) <= 1e-12 * scale + 1e-15 ? .yes : .no
    }

    private func evaluate(_ e: MathExpression, _ point: [String: MathRational]) throws(MathCheckFailure) -> MathValue {
        try budget.step()
        switch e {
        case .number(let r, _): return .exact(r)
        case .symbol(let name):
            guard let v = point[name] else { throw .notScalar }
            return .exact(v)
        case .pi: return .real(Double.pi)
        case .infinity: return .real(Double.infinity)
        case .add(let a, let b):
            return try combine(try evaluate(a, point), try evaluate(b, point), { $0.adding($1) }, +)
        case .subtract(let a, let b):
            return try combine(try evaluate(a, point), try evaluate(b, point), { $0.subtracting($1) }, -)
        case .multiply(let a, let b):
            return try combine(try evaluate(a, point), try evaluate(b, point), { $0.multiplying($1) }, *)
        case .divide(let a, let b):
            let divisor = try evaluate(b, point)
            if divisor.doubleValue == 0 { throw .undefined }
            return try combine(try evaluate(a, point), divisor, { $0.dividing(by: $1) }, /)
        case .negate(let a):
            switch try evaluate(a, point) {
            case .exact(let r): guard let n = r.negated else { throw .overflow }; return .exact(n)
            case .real(let d): return .real(-d)
            }
        case .power(let a, let b):
            return try power(try evaluate(a, point), try evaluate(b, point))
        case .function(let name, let args):
            let values = try args.map { (arg) throws(MathCheckFailure) -> MathValue in try evaluate(arg, point) }
            return try function(name, values)
        default:
            throw .notScalar
        }
    }

    private func combine(_ x: MathValue, _ y: MathValue, _ exact: (MathRational, MathRational) -> MathRational?,
                         _ real: (Double, Double) -> Double) throws(MathCheckFailure) -> MathValue {
        if case .exact(let p) = x, case .exact(let q) = y {
            guard let r = exact(p, q) else { throw .overflow }
            return .exact(r)
        }
        return try checked(real(x.doubleValue, y.doubleValue))
    }

    private func checked(_ d: Double) throws(MathCheckFailure) -> MathValue {
        if d.isNaN { throw .undefined }
        return .real(d)
    }

    private func power(_ base: MathValue, _ exponent: MathValue) throws(MathCheckFailure) -> MathValue {
        if case .exact(let e) = exponent {
            if case .exact(let b) = base {
                if b == .zero && e.numerator <= 0 { throw .undefined }
                if e.isInteger {
                    if b == .zero || b == .one { return .exact(b) }
                    if b == MathRational(-1)! { return .exact(e.numerator % 2 == 0 ? .one : b) }
                    guard e.numerator.magnitude <= Self.exponentLimit, let r = b.power(Int(e.numerator)) else { throw .overflow }
                    return .exact(r)
                }
                // Rational exponent p/q: exact when the q-th root is rational (8^(2/3) = 4).
                if e.denominator <= 64, e.numerator.magnitude <= Self.exponentLimit,
                   let root = b.exactRoot(Int(e.denominator)), let r = root.power(Int(e.numerator)) {
                    return .exact(r)
                }
                if b.numerator < 0 {
                    // Real odd roots of negatives: (−8)^(1/3) = −2.
                    guard e.denominator % 2 == 1 else { throw .undefined }
                    let magnitude = pow(-b.doubleValue, e.doubleValue)
                    return try checked(e.numerator % 2 == 0 ? magnitude : -magnitude)
                }
            }
            if e.isInteger, base.doubleValue < 0 {
                return try checked(pow(base.doubleValue, e.doubleValue))
            }
        }
        let b = base.doubleValue
        if b < 0 { throw .undefined }
        return try checked(pow(b, exponent.doubleValue))
    }

    private func function(_ name: String, _ v: [MathValue]) throws(MathCheckFailure) -> MathValue {
        func real(_ f: (Double) -> Double) throws(MathCheckFailure) -> MathValue {
            guard v.count == 1 else { throw .notScalar }
            return try checked(f(v[0].doubleValue))
        }
        switch name {
        case "sqrt":
            guard v.count == 1 else { throw .notScalar }
            if v[0].doubleValue < 0 { throw .undefined }
            if case .exact(let r) = v[0], let root = r.exactRoot(2) { return .exact(root) }
            return .real(v[0].doubleValue.squareRoot())
        case "root":
            guard v.count == 2, case .exact(let index) = v[0], index.isInteger, index.numerator >= 2, index.numerator <= 64 else {
                throw .undefined
            }
            return try power(v[1], .exact(MathRational(1, index.numerator)!))
        case "abs":
            guard v.count == 1 else { throw .notScalar }
            if case .exact(let r) = v[0] { return .exact(r.numerator < 0 ? r.negated! : r) }
            return .real(abs(v[0].doubleValue))
        case "factorial":
            guard v.count == 1, case .exact(let n) = v[0], n.isInteger, n.numerator >= 0 else { throw .undefined }
            guard n.numerator <= 33 else { throw .overflow }
            var r = MathRational.one
            if n.numerator >= 2 {
                for k in 2...Int(n.numerator) { guard let next = r.multiplying(MathRational(Int128(k))!) else { throw .overflow }; r = next }
            }
            return .exact(r)
        case "binom":
            guard v.count == 2, case .exact(let n) = v[0], case .exact(let k) = v[1], n.isInteger, k.isInteger,
                  n.numerator >= 0, k.numerator >= 0 else { throw .undefined }
            if k.numerator > n.numerator { return .exact(.zero) }
            let kk = min(k.numerator, n.numerator - k.numerator)
            guard kk <= 200 else { throw .overflow }
            var r = MathRational.one
            var i: Int128 = 1
            while i <= kk {
                guard let m = r.multiplying(MathRational(n.numerator - kk + i)!), let d = m.dividing(by: MathRational(i)!) else {
                    throw .overflow
                }
                r = d
                i += 1
            }
            return .exact(r)
        case "log":
            guard v.count == 2 else { throw .notScalar }
            let base = v[0].doubleValue, x = v[1].doubleValue
            guard base > 0, base != 1, x > 0 else { throw .undefined }
            return try checked(naturalLog(x) / naturalLog(base))
        case "ln": return try real { $0 > 0 ? naturalLog($0) : .nan }
        case "exp": return try real { exp($0) }
        case "sin": return try real { sin($0) }
        case "cos": return try real { cos($0) }
        case "tan": return try real { tan($0) }
        case "sec": return try real { 1 / cos($0) }
        case "csc": return try real { 1 / sin($0) }
        case "cot": return try real { cos($0) / sin($0) }
        case "arcsin": return try real { asin($0) }
        case "arccos": return try real { acos($0) }
        case "arctan": return try real { atan($0) }
        case "sinh": return try real { sinh($0) }
        case "cosh": return try real { cosh($0) }
        case "tanh": return try real { tanh($0) }
        default: throw .notScalar
        }
    }
}

@inline(__always) private func naturalLog(_ x: Double) -> Double { log(x) }

/// The checker's random points come from ScalingCore's `SplitMix64`, one generator per
/// check with a fixed seed, so the points are the same on every run and no state is shared.
extension SplitMix64 {
    /// A nonzero rational p/q with |p| ≤ 30 and q among small primes, so distinct
    /// polynomials rarely agree by chance and evaluation stays exact.
    mutating func nextRational() -> MathRational {
        let denominators: [Int128] = [1, 2, 3, 5, 7, 11, 13]
        var p = Int128(next() % 61) - 30
        if p == 0 { p = 17 }
        let q = denominators[Int(next() % UInt64(denominators.count))]
        return MathRational(p, q)!
    }
}
