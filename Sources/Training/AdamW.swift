import Foundation
import Kernels

/// Learning rate over steps: linear warmup, then constant or cosine decay to a floor.
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    public enum Shape: String, Sendable, Codable, CaseIterable { case constant, cosine }
    public var peak: Double
    public var warmupSteps: Int
    public var totalSteps: Int
    public var shape: Shape
    /// The cosine's end, as a fraction of `peak`.
    public var minimumFraction: Double

    public init(peak: Double, warmupSteps: Int = 0, totalSteps: Int, shape: Shape = .cosine, minimumFraction: Double = 0.1) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.shape = shape
        self.minimumFraction = minimumFraction
    }

    /// The rate at 0-based `step`.
    public func rate(at step: Int) -> Double {
        if step < warmupSteps { return peak * Double(step + 1) / Double(warmupSteps) }
        switch shape {
        case .constant: return peak
        case .cosine:
            let span = max(1, totalSteps - warmupSteps)
            let progress = min(1, Double(step - warmupSteps) / Double(span))
            let floor = peak * minimumFraction
            return floor + (peak - floor) * 0.5 * (1 + cos(Double.pi * progress))
        }
    }
}

/// AdamW (decoupled weight decay; Loshchilov and Hutter), with gradient clipping by
/// global norm, over one `ParameterArena`:
///
///     m = β1·m + (1−β1)·g,   v = β2·v + (1−β2)·g²
///     θ −= lr · ( m/(1−β1ᵗ) / (sqrt(v/(1−β2ᵗ)) + ε)  +  wd·θ )
///
/// Norm vectors (`1 × C` tensors) get no weight decay, as is usual for LLM fine-tuning.
/// The moments live in two arenas of the parameters' layout (16 bytes per parameter with
/// the weights and gradients).
public final class AdamW: @unchecked Sendable {
    public struct Settings: Sendable, Equatable, Codable {
        public var beta1: Double = 0.9
        public var beta2: Double = 0.999
        public var epsilon: Double = 1e-8
        public var weightDecay: Double = 0.0
        /// Gradients are scaled down to this global L2 norm when larger; nil never clips.
        public var clipNorm: Double? = 1.0
        public init() {}
    }

    public let settings: Settings
    public let firstMoment: ParameterArena
    public let secondMoment: ParameterArena
    /// Steps taken (the `t` of the bias corrections).
    public private(set) var stepCount = 0

    public init(layout: ParameterLayout, settings: Settings = Settings()) {
        self.settings = settings
        firstMoment = ParameterArena(layout: layout)
        secondMoment = ParameterArena(layout: layout)
    }

    /// Restores the step count of a checkpoint (the moments are restored by copying).
    public func restore(stepCount: Int) { self.stepCount = stepCount }

    /// The global L2 norm of `gradients` (Double sum, tensor by tensor in layout order).
    public static func globalNorm(_ gradients: ParameterArena) -> Double {
        var sum = 0.0
        for tensor in gradients.layout.tensors {
            let g = gradients[tensor]
            var partial: Float = 0
            for i in 0..<tensor.count { partial += g[i] * g[i] }
            sum += Double(partial)
        }
        return sum.squareRoot()
    }

    /// One update of `parameters` from `gradients` at learning rate `rate`; returns the
    /// gradient norm before clipping. Deterministic: each tensor's elements are updated
    /// independently in a fixed order of operations.
    @discardableResult
    public func step(parameters: ParameterArena, gradients: ParameterArena, rate: Double, pool: WorkerPool? = nil) -> Double {
        let norm = Self.globalNorm(gradients)
        stepCount += 1
        let s = settings
        let clip = s.clipNorm.map { norm > $0 && norm > 0 ? $0 / norm : 1 } ?? 1
        let b1 = Float(s.beta1), b2 = Float(s.beta2), eps = Float(s.epsilon)
        let inverseCorrection1 = Float(1 / (1 - pow(s.beta1, Double(stepCount))))
        let inverseCorrection2 = Float(1 / (1 - pow(s.beta2, Double(stepCount))))
        let lr = Float(rate), scale = Float(clip)
        let tensors = parameters.layout.tensors
        let m = firstMoment, v = secondMoment
        Matmul.run(tensors.count, pool) { t in
            let tensor = tensors[t]
            let decay = tensor.rows == 1 ? 0 : Float(s.weightDecay)
            let theta = parameters[tensor], g = gradients[tensor], mt = m[tensor], vt = v[tensor]
            for i in 0..<tensor.count {
                let gi = g[i] * scale
                mt[i] = b1 * mt[i] + (1 - b1) * gi
                vt[i] = b2 * vt[i] + (1 - b2) * gi * gi
                let mHat = mt[i] * inverseCorrection1, vHat = vt[i] * inverseCorrection2
                theta[i] -= lr * (mHat / (vHat.squareRoot() + eps) + decay * theta[i])
            }
        }
        return norm
    }
}
