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
        /// Shares of the workers' time (summed over workers): forward, backward (δ and the
        /// worker's own ∇W, ∇b tree nodes), reduction (upper tree levels), update (optimizer),
        /// waiting (at the barrier, i.e. load imbalance).
        public var forwardShare: Double, backwardShare: Double, reductionShare: Double, updateShare: Double,
                   waitingShare: Double
        /// Waking all workers and meeting at one barrier, per step, in µs (median of rounds).
        public var coordinationMicroseconds: Double
        /// The ceiling measured on the same workers in the same rounds (`Ceiling`): GFLOP/s of
        /// mlpd's GEMM kernel, one product per worker at once (median of rounds); with ranks,
        /// the sum of every rank's, measured at the same time.
        public var ceilingGflops: Double
        /// `gflops / ceilingGflops`.
        public var ceilingShare: Double
        /// MPI ranks (`mlpd bench --ranks` under mpirun), each running `threads` workers.
        public var ranks: Int = 1
        /// Share of the workers' time in the exchange between ranks (worker 0 of each rank).
        public var communicationShare: Double = 0
        /// Rank 0's time in the exchange between ranks per step, in ms (it includes waiting for
        /// the slowest rank to arrive).
        public var communicationMilliseconds: Double = 0
        /// How the process's workers combined their gradients (`parallel.reduction` resolved):
        /// `shared`, `shared/units` (some forward and δ products split by units:
        /// `SharedBatch.splitsByUnits`) or `tree`.
        public var reduction: String = "tree"
        /// All workers of all ranks: the p of speedup, efficiency and Karp–Flatt.
        public var workers: Int { threads * ranks }
    }

    /// One row of a bench: `threads` workers in each of `ranks` processes. `group` joins the
    /// ranks (nil for one); `member` is false on processes outside this row's ranks, which skip it.
    public struct Layout {
        public var threads: Int
        public var ranks: Int
        public var group: ProcessGroup?
        public var member: Bool

        public init(threads: Int, ranks: Int = 1, group: ProcessGroup? = nil, member: Bool = true) {
            (self.threads, self.ranks, self.group, self.member) = (threads, ranks, group, member)
        }
    }

    /// The whole measurement of one `mlpd bench` run.
    public struct Report: Sendable, Codable, Equatable {
        public var machine: MachineFingerprint
        /// Layer sizes s_1 … s_nl.
        public var layers: [Int]
        public var batchSize: Int
        public var flopsPerExample: Int
        public var steps: Int, warmup: Int, repeats: Int
        /// The ceiling product's shape (per worker), M × K times K × N.
        public var ceilingShape: [Int]
        public var results: [Result]
    }

    /// The machine's ceiling as mlpd sees it: its own fastest kernel (`Gemm.multiply`, packed
    /// 6 × 32 micro-kernel) on plain row-major operands, each worker multiplying its own
    /// matrices (allocated and first touched on the worker, so NUMA-local), all workers at once,
    /// on the pool's bound threads. Includes packing, as the training kernels do.
    public final class Ceiling: WorkerTask {
        /// M × K · K × N per worker: 384 = 64 register tiles of rows, K and N a few depth and
        /// column blocks (`Gemm.depthBlock`, `columnBlock`), ~0.8 GFLOP (~8 ms at 100 GFLOP/s):
        /// long enough to time with a clock, short enough to run between every round. Larger
        /// shapes (768 × 2048 × 2048) gave the same GFLOP/s within noise here.
        public static let m = 384, n = 1024, k = 1024

        final class Slot: @unchecked Sendable {
            var a: FloatBuffer?, b: FloatBuffer?, c: FloatBuffer?, scratch: FloatBuffer?
        }
        public let pool: WorkerPool
        private let slots: [Slot]

        public init(pool: WorkerPool) {
            self.pool = pool
            slots = (0..<pool.size).map { _ in Slot() }
            pool.run(self)  // allocate and first-touch on each worker, untimed
        }

        public static var flopsPerProduct: Double { 2 * Double(m) * Double(n) * Double(k) }

        /// GFLOP/s of `products` rounds of one product per worker, all workers at once.
        public func measure(products: Int = 2) -> Double {
            let clock = ContinuousClock()
            let began = clock.now
            for _ in 0..<products { pool.run(self) }
            let wall = seconds(clock.now - began)
            return Double(products * pool.size) * Self.flopsPerProduct / wall / 1e9
        }

        public func work(worker w: Int) {
            let slot = slots[w]
            if slot.a == nil {
                var random = SeededGenerator(seed: UInt64(w + 1))
                slot.a = FloatBuffer((0..<(Self.m * Self.k)).map { _ in Float(random.nextUnitDouble()) - 0.5 })
                slot.b = FloatBuffer((0..<(Self.k * Self.n)).map { _ in Float(random.nextUnitDouble()) - 0.5 })
                slot.c = FloatBuffer(count: Self.m * Self.n)
                slot.scratch = FloatBuffer(count: Gemm.scratchCount)
            }
            let (a, b, c, scratch) = (slot.a!, slot.b!, slot.c!, slot.scratch!)
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        scratch.withUnsafeMutableBufferPointer { scratch in
                            Gemm.multiply(c.baseAddress!, ldc: Self.n,
                                          StridedMatrix(a.baseAddress!, rowStride: Self.k, columnStride: 1),
                                          StridedMatrix(b.baseAddress!, rowStride: Self.n, columnStride: 1),
                                          m: Self.m, n: Self.n, k: Self.k, accumulate: false,
                                          scratch: scratch.baseAddress!)
                        }
                    }
                }
            }
        }
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
    /// and reports each thread count's median round. After each thread count's steps in a round,
    /// the same workers measure the ceiling (`Ceiling`), so every row has its own ceiling from
    /// the same cores and the same minutes.
    public static func run(config: JobConfig, threads: [Int], steps: Int, warmup: Int, repeats: Int = 3,
                           topology: Topology) throws -> Report {
        try run(config: config, layouts: threads.map { Layout(threads: $0) }, steps: steps, warmup: warmup,
                repeats: repeats, topology: topology)
    }

    /// The same over layouts of ranks × threads (`mlpd bench --ranks` under mpirun): each rank
    /// trains its part of every minibatch, and rank 0's results count. `world`, if given, is
    /// passed at each row's end so that rows do not overlap in time.
    public static func run(config: JobConfig, layouts: [Layout], steps: Int, warmup: Int, repeats: Int = 3,
                           topology: Topology, world: ProcessGroup? = nil) throws -> Report {
        let network = config.model.network
        let batch = config.train.batchSize
        let data = syntheticData(network: network, count: batch * 4)
        let initial = FloatBuffer(count: network.parameterCount)
        InitializationScheme.xavier.initialize(initial, network: network, seed: 1)
        let order = Array(0..<data.count)
        let trainers = try layouts.map { layout -> Trainer? in
            guard layout.member else { return nil }
            var settings = config.parallel.settings
            settings.threads = .count(layout.threads)
            let placement = try PlacementPlan.make(topology: topology, settings: settings)
            let optimizer = Optimizer(kind: config.train.optimizerKind, weightDecay: Float(config.train.optimizer.weightDecay),
                                      network: network)
            return Trainer(network: network, parameters: initial.array, optimizer: optimizer, batchSize: batch,
                           pool: WorkerPool(placement: placement), blockSize: config.parallel.blockSize,
                           fanIn: config.parallel.fanIn, group: layout.group,
                           rankReduction: RankReduction(config.parallel.rankReduction),
                           sharedBatch: config.parallel.reduction.sharesBatch(placement: placement,
                                                                              inGroup: (layout.group?.size ?? 1) > 1))
        }
        let ceilings = trainers.map { $0.map { Ceiling(pool: $0.pool) } }
        struct Round { var seconds: Double; var phases: Trainer.PhaseTimes; var ceiling: Double }
        var rounds = [[Round]](repeating: [], count: layouts.count)
        for trainer in trainers {
            if let trainer { for s in 0..<warmup { step(trainer, s) } }
            world?.barrier()
        }
        func step(_ trainer: Trainer, _ s: Int) {
            let start = (s % 4) * batch
            _ = trainer.trainStep(data, indices: order[start..<(start + batch)],
                                  learningRate: Float(config.train.optimizer.learningRate))
        }
        let clock = ContinuousClock()
        for _ in 0..<max(repeats, 1) {
            for (i, trainer) in trainers.enumerated() {
                defer { world?.barrier() }
                guard let trainer, let ceiling = ceilings[i] else { continue }
                let before = trainer.phaseSeconds
                let began = clock.now
                for s in 0..<steps { step(trainer, s) }
                let wall = seconds(clock.now - began)
                let phases = trainer.phaseSeconds - before
                rounds[i].append(Round(seconds: wall, phases: phases,
                                       ceiling: summed(ceiling.measure(), over: layouts[i].group)))
            }
        }
        var results: [Result] = []
        for (i, layout) in layouts.enumerated() where layout.member {
            let t = layout.threads
            let median = rounds[i].sorted { $0.seconds < $1.seconds }[rounds[i].count / 2]
            let ceilingValues = rounds[i].map(\.ceiling).sorted()
            let ceiling = ceilingValues[ceilingValues.count / 2]
            let busy = max(median.phases.total, 1e-12)
            let examplesPerSecond = Double(steps * batch) / median.seconds
            let workers = t * layout.ranks
            let speedup = results.first.map { examplesPerSecond / $0.examplesPerSecond * Double($0.workers) } ?? Double(workers)
            let p = Double(workers)
            let gflops = examplesPerSecond * Double(network.flopsPerTrainingExample) / 1e9
            results.append(Result(
                threads: t, steps: steps, seconds: median.seconds, examplesPerSecond: examplesPerSecond,
                gflops: gflops, speedup: speedup, efficiency: speedup / p,
                serialFraction: workers == 1 ? nil : (1 / speedup - 1 / p) / (1 - 1 / p),
                forwardShare: median.phases.forward / busy, backwardShare: median.phases.backward / busy,
                reductionShare: median.phases.reduction / busy, updateShare: median.phases.update / busy,
                waitingShare: median.phases.waiting / busy,
                coordinationMicroseconds: coordinationOverhead(trainers[i]!.pool),
                ceilingGflops: ceiling, ceilingShare: gflops / ceiling, ranks: layout.ranks,
                communicationShare: median.phases.communication / busy,
                communicationMilliseconds: median.phases.communication / Double(steps) * 1e3,
                reduction: trainers[i]!.shared.map { $0.splitsByUnits ? "shared/units" : "shared" } ?? "tree"))
        }
        return Report(machine: MachineFingerprint.current(topology: topology), layers: network.sizes, batchSize: batch,
                      flopsPerExample: network.flopsPerTrainingExample, steps: steps, warmup: warmup,
                      repeats: max(repeats, 1), ceilingShape: [Ceiling.m, Ceiling.k, Ceiling.n], results: results)
    }

    /// `value` added over the members of `group` (every member's own ceiling: the ranks measure
    /// theirs at the same time, each on its own cores), or `value` alone.
    static func summed(_ value: Double, over group: ProcessGroup?) -> Double {
        guard let group, group.size > 1 else { return value }
        var all = [Double](repeating: 0, count: group.size)
        all[group.rank] = value
        let counts = [Int32](repeating: 1, count: group.size), displacements = (0..<group.size).map { Int32($0) }
        counts.withUnsafeBufferPointer { c in
            displacements.withUnsafeBufferPointer { d in
                all.withUnsafeMutableBufferPointer { group.allGather($0.baseAddress!, counts: c, displacements: d) }
            }
        }
        return all.reduce(0, +)
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
