// Vectorised row dequantisation for the formats of the default model (Q8_0, Q4_1).
// Each is checked bit for bit against the scalar reference in `LegacyQuants.swift`
// (`DequantizeSIMDTests`): the products are exact in float32 (see there), so the SIMD
// lanes compute exactly what the scalar loop does.

extension Q8_0 {
    /// Writes the block's 32 weights with two 16-lane conversions (same values as
    /// `dequantize(block:into:)`).
    @inline(__always)
    public static func dequantizeSIMD(block: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let d = SIMD16<Float>(repeating: scale(block))
        let quants0 = block.loadUnaligned(fromByteOffset: quantsOffset, as: SIMD16<Int8>.self)
        let quants1 = block.loadUnaligned(fromByteOffset: quantsOffset &+ 16, as: SIMD16<Int8>.self)
        let out = UnsafeMutableRawPointer(destination)
        out.storeBytes(of: SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: quants0)) * d, as: SIMD16<Float>.self)
        out.storeBytes(of: SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: quants1)) * d,
                       toByteOffset: 64, as: SIMD16<Float>.self)
    }
}

extension Q4_1 {
    /// Writes the block's 32 weights: low nibbles to lanes 0-15, high nibbles to 16-31
    /// (same values as `dequantize(block:into:)`).
    @inline(__always)
    public static func dequantizeSIMD(block: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>) {
        let d = SIMD16<Float>(repeating: scale(block)), m = SIMD16<Float>(repeating: minimum(block))
        let packed = block.loadUnaligned(fromByteOffset: quantsOffset, as: SIMD16<UInt8>.self)
        let low = SIMD16<Int32>(truncatingIfNeeded: packed & 0x0F)
        let high = SIMD16<Int32>(truncatingIfNeeded: packed &>> 4)
        let out = UnsafeMutableRawPointer(destination)
        out.storeBytes(of: SIMD16<Float>(low) * d + m, as: SIMD16<Float>.self)
        out.storeBytes(of: SIMD16<Float>(high) * d + m, toByteOffset: 64, as: SIMD16<Float>.self)
    }
}

/// Converts `count` weights like `dequantize(_:from:count:into:)`, taking vectorised
/// paths where there is one (Q8_0, Q4_1) and the reference elsewhere.
///
/// The results are bit-identical to the reference (tested), so callers such as the
/// engine's matrix-vector products can use this one and tests can use either.
/// - Throws: as `dequantize(_:from:count:into:)`.
public func dequantizeFast(
    _ type: GGMLType, from source: UnsafeRawPointer, count: Int,
    into destination: UnsafeMutablePointer<Float>
) throws(TensorCoreError) {
    switch type {
    case .q8_0 where count >= 0 && count % Q8_0.weightsPerBlock == 0:
        for b in 0..<count / Q8_0.weightsPerBlock {
            Q8_0.dequantizeSIMD(block: source + b &* Q8_0.bytesPerBlock, into: destination + b &* Q8_0.weightsPerBlock)
        }
    case .q4_1 where count >= 0 && count % Q4_1.weightsPerBlock == 0:
        for b in 0..<count / Q4_1.weightsPerBlock {
            Q4_1.dequantizeSIMD(block: source + b &* Q4_1.bytesPerBlock, into: destination + b &* Q4_1.weightsPerBlock)
        }
    default:
        try dequantize(type, from: source, count: count, into: destination)
    }
}
