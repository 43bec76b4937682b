import Foundation

/// The learning rate of each step: a base schedule by epoch, times an optional linear warm-up
/// over the first steps.
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// α every step.
        case constant
        /// α · γ^⌊epoch / stepEpochs⌋.
        case step(stepEpochs: Int, gamma: Double)
        /// From α down to `minimum` along half a cosine over all steps of the run.
        case cosine(minimum: Double)
    }

    public var base: Double
    public var kind: Kind
    /// Steps of linear warm-up: step s (0-based) uses (s + 1) / warmupSteps of the rate.
    public var warmupSteps: Int

    public init(base: Double, kind: Kind = .constant, warmupSteps: Int = 0) {
        self.base = base
        self.kind = kind
        self.warmupSteps = warmupSteps
    }

    /// The rate for global step `step` (0-based), which lies in `epoch` (0-based), in a run of
    /// `totalSteps` steps.
    public func rate(step: Int, epoch: Int, totalSteps: Int) -> Double {
        var rate: Double
        switch kind {
        case .constant:
            rate = base
        case .step(let stepEpochs, let gamma):
            rate = base * pow(gamma, Double(epoch / stepEpochs))
        case .cosine(let minimum):
            let progress = totalSteps <= 1 ? 0 : Double(step) / Double(totalSteps - 1)
            rate = minimum + (base - minimum) * 0.5 * (1 + cos(Double.pi * progress))
        }
        if step < warmupSteps { rate *= Double(step + 1) / Double(warmupSteps) }
        return rate
    }
}
