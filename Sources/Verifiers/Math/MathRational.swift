/// An exact fraction over 128-bit integers, for comparing answers without rounding.
///
/// Every operation reports overflow instead of trapping or wrapping (`nil`), so a value
/// too large to hold exactly makes the comparison `unknown` rather than approximate:
/// comparing 2^130 with 2^130 + 1 in floating point would call them equal. Answers in
/// GSM8K and MATH are far inside ±1.7e38, so a big-integer dependency buys nothing there.
struct MathRational: Sendable, Hashable, CustomStringConvertible {
    /// Numerator; carries the sign.
    public let numerator: Int128
    /// Denominator; always positive, and coprime with the numerator.
    public let denominator: Int128

    /// `numerator / denominator` in lowest terms; nil when the denominator is zero or on overflow.
    public init?(_ numerator: Int128, _ denominator: Int128 = 1) {
        guard denominator != 0, numerator != .min, denominator != .min else { return nil }
        let divisor = Self.gcd(numerator.magnitude, denominator.magnitude)
        var n = numerator / Int128(divisor)
        var d = denominator / Int128(divisor)
        if d < 0 { n = -n; d = -d }
        self.numerator = n
        self.denominator = d
    }

    public static let zero = MathRational(0)!
    public static let one = MathRational(1)!

    public var isInteger: Bool { denominator == 1 }
    public var doubleValue: Double { Double(numerator) / Double(denominator) }
    public var description: String { isInteger ? "\(numerator)" : "\(numerator)/\(denominator)" }

    static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x == 0 ? 1 : x
    }

    /// Decimal text (`12`, `0.50`, `3.`) read exactly; nil when it has too many digits to hold.
    public init?(decimal text: Substring) {
        var numerator: Int128 = 0
        var denominator: Int128 = 1
        var afterPoint = false
        for character in text {
            if character == "." { guard !afterPoint else { return nil }; afterPoint = true; continue }
            guard let digit = character.wholeNumberValue, character.isASCII else { return nil }
            let (shifted, o1) = numerator.multipliedReportingOverflow(by: 10)
            let (added, o2) = shifted.addingReportingOverflow(Int128(digit))
            guard !o1, !o2 else { return nil }
            numerator = added
            if afterPoint {
                let (d, o3) = denominator.multipliedReportingOverflow(by: 10)
                guard !o3 else { return nil }
                denominator = d
            }
        }
        self.init(numerator, denominator)
    }

    static func multiply(_ a: Int128, _ b: Int128) -> Int128? {
        let (v, o) = a.multipliedReportingOverflow(by: b)
        return o ? nil : v
    }

    static func add(_ a: Int128, _ b: Int128) -> Int128? {
        let (v, o) = a.addingReportingOverflow(b)
        return o ? nil : v
    }

    public func adding(_ other: MathRational) -> MathRational? {
        // Cross-multiply through the gcd of the denominators to keep the numbers small.
        let g = Int128(Self.gcd(denominator.magnitude, other.denominator.magnitude))
        guard let left = Self.multiply(numerator, other.denominator / g),
              let right = Self.multiply(other.numerator, denominator / g),
              let sum = Self.add(left, right),
              let d = Self.multiply(denominator / g, other.denominator) else { return nil }
        return MathRational(sum, d)
    }

    public var negated: MathRational? { MathRational(-numerator, denominator) }

    public func subtracting(_ other: MathRational) -> MathRational? {
        guard let negative = other.negated else { return nil }
        return adding(negative)
    }

    public func multiplying(_ other: MathRational) -> MathRational? {
        let g1 = Int128(Self.gcd(numerator.magnitude, other.denominator.magnitude))
        let g2 = Int128(Self.gcd(other.numerator.magnitude, denominator.magnitude))
        guard let n = Self.multiply(numerator / g1, other.numerator / g2),
              let d = Self.multiply(denominator / g2, other.denominator / g1) else { return nil }
        return MathRational(n, d)
    }

    public var reciprocal: MathRational? { numerator == 0 ? nil : MathRational(denominator, numerator) }

    public func dividing(by other: MathRational) -> MathRational? {
        guard let r = other.reciprocal else { return nil }
        return multiplying(r)
    }

    /// `self` raised to an integer power by repeated squaring; nil on overflow or 0^negative.
    public func power(_ exponent: Int) -> MathRational? {
        if exponent < 0 { return reciprocal?.power(-exponent) }
        var result = MathRational.one
        var base = self
        var e = exponent
        while e > 0 {
            if e & 1 == 1 { guard let r = result.multiplying(base) else { return nil }; result = r }
            e >>= 1
            if e > 0 { guard let b = base.multiplying(base) else { return nil }; base = b }
        }
        return result
    }

    /// The exact `root`-th root when it is rational (√(9/4) = 3/2), else nil.
    public func exactRoot(_ root: Int) -> MathRational? {
        guard root >= 1 else { return nil }
        if root == 1 { return self }
        if numerator < 0 {
            guard root % 2 == 1, let positive = negated?.exactRoot(root) else { return nil }
            return positive.negated
        }
        guard let n = Self.integerRoot(numerator, root), let d = Self.integerRoot(denominator, root) else { return nil }
        return MathRational(n, d)
    }

    /// The integer r ≥ 0 with r^root == value, if there is one.
    static func integerRoot(_ value: Int128, _ root: Int) -> Int128? {
        if value < 2 { return value >= 0 ? value : nil }
        let estimate = Int128(pow(Double(value), 1.0 / Double(root)).rounded())
        for candidate in max(0, estimate - 2)...(estimate + 2) {
            var product: Int128 = 1
            var overflow = false
            for _ in 0..<root {
                guard let p = multiply(product, candidate) else { overflow = true; break }
                product = p
                if product > value { break }
            }
            if !overflow && product == value { return candidate }
        }
        return nil
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
