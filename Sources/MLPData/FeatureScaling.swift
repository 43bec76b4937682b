/// A per-feature transformation of inputs, applied once after loading.
///
/// Fit a standardization on the training set only and apply the same statistics to the test
/// set (and to data the model later predicts on), so no test information leaks into training.
public enum FeatureScaling: Sendable, Equatable {
    /// Features unchanged.
    case none
    /// x' = x · factor (e.g. 1/255 for 8-bit pixels).
    case constant(Float)
    /// x' = (x − mean) / std per feature; a feature whose std is 0 is divided by 1 instead,
    /// so a constant feature becomes 0 rather than NaN. One entry per feature.
    case standardize(mean: [Float], std: [Float])

    /// The mean and population standard deviation (dividing by N, as scikit-learn's
    /// `StandardScaler` does) of each feature over all rows of `data`.
    ///
    /// Computed in `Double` in two passes (mean, then squared deviations), which stays
    /// accurate where the one-pass Σx² − N·mean² formula cancels.
    public static func fitStandardization(to data: Dataset) -> FeatureScaling {
        let (n, i) = (data.count, data.inputCount)
        var mean = [Double](repeating: 0, count: i)
        var variance = [Double](repeating: 0, count: i)
        guard n > 0 else { return .standardize(mean: [Float](repeating: 0, count: i), std: [Float](repeating: 0, count: i)) }
        data.features.withUnsafeBufferPointer { x in
            for row in 0..<n {
                for feature in 0..<i { mean[feature] += Double(x[row * i + feature]) }
            }
            for feature in 0..<i { mean[feature] /= Double(n) }
            for row in 0..<n {
                for feature in 0..<i {
                    let deviation = Double(x[row * i + feature]) - mean[feature]
                    variance[feature] += deviation * deviation
                }
            }
        }
        return .standardize(
            mean: mean.map { Float($0) }, std: variance.map { Float(($0 / Double(n)).squareRoot()) })
    }

    /// Scales `data.features` in place.
    public func apply(to data: inout Dataset) {
        switch self {
        case .none:
            return
        case .constant(let factor):
            precondition(factor.isFinite, "a scaling factor must be finite")
            data.features.withUnsafeMutableBufferPointer { x in
                for index in x.indices { x[index] *= factor }
            }
        case .standardize(let mean, let std):
            let i = data.inputCount
            precondition(mean.count == i && std.count == i, "standardization has one mean and std per feature")
            let divisor = std.map { $0 == 0 ? Float(1) : $0 }
            data.features.withUnsafeMutableBufferPointer { x in
                for row in 0..<data.count {
                    for feature in 0..<i {
                        x[row * i + feature] = (x[row * i + feature] - mean[feature]) / divisor[feature]
                    }
                }
            }
        }
    }
}
