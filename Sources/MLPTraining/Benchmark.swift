import Foundation
import MLPConfig
import MLPCore
import MLPData
import MLPRuntime

/// Thread-scaling measurement of the training step on synthetic examples of a config's shape:
/// the same step as `mlpd train`, with no I/O in the timed loop.
public enum Benchmark {
    public struct Result: Sendable, Codable, Equatable {
        public var threads: Int
        public var steps: Int
        public var seconds: Double
        public var examplesPerSecond: Double
        /// `Network.flopsPerTrainingExample` × examples/s.
        public var gflops: Double
        /// Relative to the first thread count measured (normally 1).
        public var speedup: Double
        public var efficiency: Double
        /// Karp–Flatt: e = (1/S − 1/p) / (1 − 1/p); nil for p = 1.
        public var serialFraction: Double?
        /// Shares of the workers' time: compute (gather, forward, backward, the worker's own tree
        /// nodes), reduction and update (fused), waiting at the barrier.
        public var computeShare: Double, reductionShare: Double, waitingShare: Double
        /// Waking all workers and meeting at one barrier, per step, in µs (median of rounds).
        public var coordinationMicroseconds: Double
    }

    /// A bench config is a job config whose data, output and epochs may be absent: they are
    /// filled in here, since the bench makes its own examples and writes no run directory.
    public static func loadConfig(path: String, overrides: [String]) throws -> JobConfig {
        try JobConfig.load(path: path, overrides: ["data.train.path=synthetic.csv", "data.test=null", "data.split=null",
                                                   "output.dir=bench", "train.epochs=1"] + overrides)
    }

    /// `count` seeded examples: inputs U(0, 1), one-hot targets of random classes.
    public static func syntheticData(network: Network, count: Int, seed: UInt64 = 1) -> Dataset {
        var random = SeededGenerator(seed: seed)
        let features = (0..<(count * network.inputCount)).map { _ in Float(random.nextUnitDouble()) }
        var targets = [Float](repeating: 0, count: count * network.outputCount)
        var labels = [Int32](repeating: 0, count: count)
        for i in 0..<count {
            let label = random.nextIndex(below: network.outputCount)
            labels[i] = Int32(label)
            targets[i * network.outputCount + label] = 1
        }
        return Dataset(features: features, targets: targets, labels: labels, inputCount: network.inputCount,
                       outputCount: network.outputCount, name: "synthetic")
    }

    /// Measures `steps` steps (after `warmup`) at each thread count, `repeats` rounds that
    /// alternate between the thread counts (so slow phases of a noisy machine hit all of them),
    /// and reports each thread count's median round.
    public static func run(config: JobConfig, threads: [Int], steps: Int, warmup: Int, repeats: Int = 3,
                           topology: Topology) throws -> [Result] {
        let network = config.model.network
        let batch = config.train.batchSize
        let data = syntheticData(network: network, count: batch * 4)
        let initial = FloatBuffer(count: network.parameterCount)
        InitializationScheme.xavier.initialize(initial, network: network, seed: 1)
        let order = Array(0..<data.count)
        let trainers = try threads.map { t -> Trainer in
            var settings = config.parallel.settings
            settings.threads = .count(t)
            let placement = try PlacementPlan.make(topology: topology, settings: settings)
            let optimizer = Optimizer(kind: config.train.optimizerKind, weightDecay: Float(config.train.optimizer.weightDecay),
                                      network: network)
            return Trainer(network: network, parameters: initial.array, optimizer: optimizer, batchSize: batch,
                           pool: WorkerPool(placement: placement), blockSize: config.parallel.blockSize,
                           fanIn: config.parallel.fanIn)
        }
        struct Round { var seconds: Double; var phases: Trainer.PhaseTimes }
        var rounds = [[Round]](repeating: [], count: threads.count)
        for (i, trainer) in trainers.enumerated() {
            for s in 0..<warmup { step(trainer, s) }
        }
        func step(_ trainer: Trainer, _ s: Int) {
            let start = (s % 4) * batch
            _ = trainer.trainStep(data, indices: order[start..<(start + batch)],
                                  learningRate: Float(config.train.optimizer.learningRate))
        }
        let clock = ContinuousClock()
        for _ in 0..<max(repeats, 1) {
            for (i, trainer) in trainers.enumerated() {
                let before = trainer.phaseSeconds
                let began = clock.now
                for s in 0..<steps { step(trainer, s) }
                let wall = seconds(clock.now - began)
                let after = trainer.phaseSeconds
                rounds[i].append(Round(seconds: wall, phases: Trainer.PhaseTimes(
                    compute: after.compute - before.compute, reduction: after.reduction - before.reduction,
                    waiting: after.waiting - before.waiting)))
            }
        }
        var results: [Result] = []
        for (i, t) in threads.enumerated() {
            let median = rounds[i].sorted { $0.seconds < $1.seconds }[rounds[i].count / 2]
            let busy = max(median.phases.total, 1e-12)
            let examplesPerSecond = Double(steps * batch) / median.seconds
            let speedup = results.first.map { examplesPerSecond / $0.examplesPerSecond * Double($0.threads) } ?? Double(t)
            let p = Double(t)
            results.append(Result(
                threads: t, steps: steps, seconds: median.seconds, examplesPerSecond: examplesPerSecond,
                gflops: examplesPerSecond * Double(network.flopsPerTrainingExample) / 1e9,
                speedup: speedup, efficiency: speedup / p,
                serialFraction: t == 1 ? nil : (1 / speedup - 1 / p) / (1 - 1 / p),
                computeShare: median.phases.compute / busy, reductionShare: median.phases.reduction / busy,
                waitingShare: median.phases.waiting / busy,
                coordinationMicroseconds: coordinationOverhead(trainers[i].pool)))
        }
        return results
    }

    /// Median over rounds of the time to wake all workers, pass one barrier and finish: the
    /// fixed cost every step pays besides its arithmetic.
    public static func coordinationOverhead(_ pool: WorkerPool, rounds: Int = 2000) -> Double {
        var samples: [Double] = []
        samples.reserveCapacity(rounds)
        let clock = ContinuousClock()
        final class BarrierOnly: WorkerTask {
            let pool: WorkerPool
            init(_ pool: WorkerPool) { self.pool = pool }
            func work(worker: Int) { pool.barrier.arriveAndWait() }
        }
        let task = BarrierOnly(pool)
        for _ in 0..<rounds {
            let start = clock.now
            pool.run(task)
            samples.append(seconds(clock.now - start) * 1e6)
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}
