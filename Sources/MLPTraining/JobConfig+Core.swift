import MLPConfig
import MLPCore
import MLPData
import MLPRuntime

/// Translation of the validated configuration into the numeric and data types.
extension ModelConfig {
    public var network: Network {
        let slope = Float(leakySlope)
        func map(_ name: ActivationName) -> Activation {
            switch name {
            case .sigmoid: return .sigmoid
            case .tanh: return .tanh
            case .relu: return .relu
            case .leakyRelu: return .leakyRelu(slope: slope)
            case .identity: return .identity
            case .softmax: return .softmax
            }
        }
        return Network(sizes: layers, hiddenActivation: map(activation), outputActivation: map(outputActivation),
                       loss: loss == .crossEntropy ? .crossEntropy : .squaredError)
    }
}

extension DataSourceConfig {
    public var spec: DataSourceSpec {
        let labelColumn: LabelColumn
        switch label {
        case .first: labelColumn = .first
        case .last: labelColumn = .last
        case .none: labelColumn = .none
        case .index(let i): labelColumn = .index(i)
        }
        let headerMode: CSVHeader
        switch header {
        case .auto: headerMode = .auto
        case .present: headerMode = .present
        case .absent: headerMode = .absent
        }
        return DataSourceSpec(path: path, format: format.flatMap(DataFormat.init(rawValue:)), labelsPath: labels,
                              header: headerMode, delimiter: delimiter.utf8.first ?? UInt8(ascii: ","),
                              label: labelColumn, targetColumns: targets)
    }
}

extension TrainConfig {
    public var optimizerKind: MLPCore.OptimizerKind {
        switch optimizer.kind {
        case .sgd: return .sgd(momentum: Float(optimizer.momentum), nesterov: optimizer.nesterov)
        case .adam: return .adam(beta1: Float(optimizer.beta1), beta2: Float(optimizer.beta2), epsilon: Float(optimizer.epsilon))
        }
    }

    public var learningRateSchedule: LearningRateSchedule {
        let kind: LearningRateSchedule.Kind
        switch schedule.kind {
        case .constant: kind = .constant
        case .step: kind = .step(stepEpochs: schedule.stepEpochs, gamma: schedule.gamma)
        case .cosine: kind = .cosine(minimum: schedule.minLearningRate)
        }
        return LearningRateSchedule(base: optimizer.learningRate, kind: kind, warmupSteps: schedule.warmupSteps)
    }
}

extension ParallelConfig {
    public var settings: ParallelSettings {
        let placement: ParallelSettings.Placement
        if let cpus { placement = .cpus(cpus) } else {
            switch self.placement {
            case .numa: placement = .numa
            case .compact: placement = .compact
            case .none: placement = .none
            }
        }
        let count: ParallelSettings.ThreadCount
        switch threads {
        case .auto: count = .auto
        case .count(let n): count = .count(n)
        }
        return ParallelSettings(threads: count, placement: placement, smt: smt, fanIn: fanIn)
    }
}

extension ParallelConfig.Reduction {
    /// Whether a process with these workers shares its minibatch (`Trainer`'s `sharedBatch`):
    /// `auto` does when all its workers are on one NUMA node (or unplaced). Under mpirun the
    /// ranks exchange tree nodes, so a process in a group always uses the tree.
    public func sharesBatch(placement: PlacementPlan, inGroup: Bool) -> Bool {
        guard !inGroup else { return false }
        switch self {
        case .shared: return true
        case .tree: return false
        case .auto: return Set(placement.workers.compactMap(\.numaNode)).count <= 1
        }
    }
}

extension RankReduction {
    public init(_ configured: ParallelConfig.RankReduction) {
        switch configured {
        case .deterministic: self = .deterministic
        case .allreduce: self = .allreduce
        }
    }
}
