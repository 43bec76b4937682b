import Dispatch
import MLPCore
import MLPData
import MLPRuntime

/// The state of one training run and its data-parallel minibatch step.
///
/// A step (see ARCHITECTURE.md, "Data flow of one training step"): the minibatch is cut into
/// blocks of `blockSize` examples and the workers take balanced runs of whole blocks
/// (`BlockTreePlan`). Then one of two reductions (`parallel.reduction`):
///
/// - shared (`SharedBatch`): the workers fill one workspace, each its rows (runs of whole
///   blocks in proportion to the workers' measured speeds, `splitRows`), run them forward
///   and δ backward (wide layers, or all with few rows per worker: units of the layer over all
///   rows from a shared counter), and take units of ∇W columns over the whole minibatch from a
///   shared counter, each summed in the canonical block tree and applied to W as it is produced;
/// - tree: each gathers its rows into its own workspace, runs forward and backward, and sums
///   its gradient nodes in the canonical block tree; the upper tree levels combine the nodes,
///   every level split over parameter slices so all workers share it; finally each worker
///   applies the optimizer to its slice.
///
/// The weights after a step are the same bytes for any number of workers and either reduction.
///
/// With a process group (MPI ranks, each with its own pool), the tree spans every rank's
/// workers: rank r runs global workers r·T ..< (r+1)·T, sums the nodes that lie inside it, and
/// the ranks exchange the rest as `rankReduction` says (`RankExchangePlan`).
public final class Trainer {
    public let network: Network
    public let parameters: FloatBuffer
    public let optimizer: Optimizer
    public let batchSize: Int
    public let blockSize: Int
    public let fanIn: Int
    public let pool: WorkerPool
    /// The other processes training this model, if any.
    public let group: ProcessGroup?
    public let rankReduction: RankReduction
    /// The process's workers share one minibatch workspace and split ∇W over parameters
    /// (`SharedBatch`), instead of each summing its own examples into tree nodes that the
    /// tree reduction combines. Nil with the tree, and always with other processes.
    let shared: SharedBatch?
    /// Steps taken so far, over all epochs.
    public private(set) var step = 0
    /// Accumulated time per phase, summed over workers (for bench and the daemon's metrics).
    public private(set) var phaseSeconds = PhaseTimes()
    /// Accumulated time per phase of each worker.
    public private(set) var workerSeconds: [PhaseTimes]

    /// Per-worker state, touched only by its own worker thread (first-touch puts its memory on
    /// the worker's NUMA node).
    final class WorkerState: @unchecked Sendable {
        var workspace: BatchWorkspace?
        var sharedScratch: SharedBatch.WorkerScratch?
        var nodeBuffers: [FloatBuffer] = []
        var nodeList: [BatchWorkspace.GradientNode] = []
        var correct = 0
        var times = PhaseTimes()
        /// When the running phase began (`lap`).
        var mark: UInt64 = 0

        /// Adds the time since the last lap to `phase`. A method, not a closure over a local
        /// clock: a closure capturing a variable, passed on, cost one allocation per step.
        func lap(_ phase: WritableKeyPath<PhaseTimes, Double>) {
            let now = DispatchTime.now().uptimeNanoseconds
            times[keyPath: phase] += Double(now &- mark) * 1e-9
            mark = now
        }
    }

    private let states: [WorkerState]
    private var plans: [Int: BlockTreePlan] = [:]
    private var exchanges: [Int: RankExchange] = [:]
    private let blockCosts: UnsafeMutableBufferPointer<Double>
    /// With `shared`: the rows of the current step worker by worker, `rowBounds[w] ..<
    /// rowBounds[w + 1]` (`splitRows`).
    private let rowBounds: UnsafeMutableBufferPointer<Int>
    /// With `shared`: each worker's forward speed, rows per second, smoothed over steps (0 until
    /// measured).
    private let rowSpeeds: UnsafeMutableBufferPointer<Double>
    private let workspaceCapacity: Int
    /// Evaluates the current parameters (shares the parameter slab).
    public private(set) lazy var evaluator = Evaluator(network: network, parameters: parameters, batchSize: batchSize)

    public init(network: Network, parameters: [Float], optimizer: Optimizer, batchSize: Int,
                pool: WorkerPool, blockSize: Int = 16, fanIn: Int = 2, group: ProcessGroup? = nil,
                rankReduction: RankReduction = .deterministic, sharedBatch: Bool = true, splitByUnits: Bool? = nil) {
        precondition(parameters.count == network.parameterCount && batchSize >= 1 && blockSize >= 1 && fanIn >= 2)
        self.network = network
        self.parameters = FloatBuffer(parameters)
        self.optimizer = optimizer
        self.batchSize = batchSize
        self.blockSize = blockSize
        self.fanIn = fanIn
        self.pool = pool
        self.group = (group?.size ?? 1) > 1 ? group : nil
        self.rankReduction = rankReduction
        states = (0..<pool.size).map { _ in WorkerState() }
        workerSeconds = Array(repeating: PhaseTimes(), count: pool.size)
        let blocks = (batchSize + blockSize - 1) / blockSize
        blockCosts = .allocate(capacity: blocks)
        rowBounds = .allocate(capacity: pool.size + 1)
        rowBounds.initialize(repeating: 0)
        rowSpeeds = .allocate(capacity: pool.size)
        rowSpeeds.initialize(repeating: 0)
        let workers = pool.size * (self.group?.size ?? 1)
        workspaceCapacity = min(batchSize, (blocks + workers - 1) / workers * blockSize)
        shared = sharedBatch && self.group == nil
            ? SharedBatch(network: network, capacity: batchSize, workers: pool.size, splitByUnits: splitByUnits) : nil
    }

    deinit {
        blockCosts.deallocate()
        rowBounds.deallocate()
        rowSpeeds.deallocate()
    }

    /// The example order of `epoch` (0-based): a permutation drawn from (seed, epoch) alone, so
    /// any epoch's order can be recomputed without replaying earlier ones (exact resume).
    public static func exampleOrder(count: Int, epoch: Int, seed: UInt64, shuffle: Bool) -> [Int] {
        guard shuffle else { return Array(0..<count) }
        var random = SeededGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1))
        return random.permutation(count: count)
    }

    public struct StepResult: Sendable {
        /// Summed cost of the batch's examples, before the update (block sums added in order).
        public var cost: Double
        /// Examples whose arg-max output equals their label (0 for regression data).
        public var correct: Int
    }

    /// Time spent per phase (seconds): forward (gather, forward pass, cost), backward (δ
    /// recursion and the worker's ∇W, ∇b: its tree nodes, or its shared units with their update),
    /// waiting (at barriers), reduction (the upper tree levels) and update (the optimizer, with
    /// the tree) — the last two interleaved chunk by chunk, each chunk's part timed separately
    /// (two clock reads per 16 KiB chunk) — and communication (exchanging with the other MPI
    /// ranks; worker 0 only, while the others wait).
    public struct PhaseTimes: Sendable, Equatable {
        public var forward = 0.0, backward = 0.0, reduction = 0.0, update = 0.0, waiting = 0.0, communication = 0.0
        /// Forward and backward: the work that scales with the examples.
        public var compute: Double { forward + backward }
        public var total: Double { forward + backward + reduction + update + waiting + communication }

        public init(forward: Double = 0, backward: Double = 0, reduction: Double = 0, update: Double = 0,
                    waiting: Double = 0, communication: Double = 0) {
            (self.forward, self.backward, self.reduction, self.update, self.waiting, self.communication) =
                (forward, backward, reduction, update, waiting, communication)
        }

        public static func += (lhs: inout PhaseTimes, rhs: PhaseTimes) {
            lhs.forward += rhs.forward
            lhs.backward += rhs.backward
            lhs.reduction += rhs.reduction
            lhs.update += rhs.update
            lhs.waiting += rhs.waiting
            lhs.communication += rhs.communication
        }

        public static func - (lhs: PhaseTimes, rhs: PhaseTimes) -> PhaseTimes {
            PhaseTimes(forward: lhs.forward - rhs.forward, backward: lhs.backward - rhs.backward,
                       reduction: lhs.reduction - rhs.reduction, update: lhs.update - rhs.update,
                       waiting: lhs.waiting - rhs.waiting, communication: lhs.communication - rhs.communication)
        }
    }

    /// The plan for minibatches of `m` examples (an epoch has at most two sizes).
    func plan(for m: Int) -> BlockTreePlan {
        if let plan = plans[m] { return plan }
        let plan = BlockTreePlan(exampleCount: m, blockSize: blockSize, fanIn: fanIn,
                                 workers: pool.size * (group?.size ?? 1))
        plans[m] = plan
        return plan
    }

    /// The exchange between ranks for minibatches of `m` examples (only with a group).
    private func rankExchange(for m: Int, group: ProcessGroup) -> RankExchange {
        if let exchange = exchanges[m] { return exchange }
        let blockPlan = plan(for: m)
        let exchange = RankExchange(plan: RankExchangePlan(plan: blockPlan, rank: group.rank, ranks: group.size),
                                    blockPlan: blockPlan, parameterCount: network.parameterCount, mode: rankReduction)
        exchanges[m] = exchange
        return exchange
    }

    /// What the workers of the current step need (set by `trainStep`, read by `work`).
    private struct StepContext {
        var data: Dataset
        var indices: ArraySlice<Int>
        var plan: BlockTreePlan
        var exchange: RankExchange?
        var learningRate: Float
    }
    private var context: StepContext?

    /// One optimizer step on the examples `indices` of `data`.
    public func trainStep(_ data: Dataset, indices: ArraySlice<Int>, learningRate: Float) -> StepResult {
        let m = indices.count
        precondition(m >= 1 && m <= batchSize)
        let plan = plan(for: m)
        optimizer.beginStep()
        let exchange = group.map { rankExchange(for: m, group: $0) }
        if let shared {
            shared.beginStep()
            splitRows(m)
        }
        context = StepContext(data: data, indices: indices, plan: plan, exchange: exchange, learningRate: learningRate)
        pool.run(self)
        context = nil
        if let shared, !shared.splitsByUnits { measureRowSpeeds() }
        var cost = 0.0, correct = 0
        if let exchange {
            (cost, correct) = exchange.gatheredStatistics()
        } else {
            for b in 0..<plan.blockCount { cost += blockCosts[b] }
            for state in states { correct += state.correct }
        }
        for (w, state) in states.enumerated() {
            workerSeconds[w] += state.times
            phaseSeconds += state.times
            state.times = PhaseTimes()
        }
        step += 1
        return StepResult(cost: cost, correct: correct)
    }

    /// How much slower than the fastest worker a worker's measured speed may make it look when
    /// splitting rows: a worker that was briefly slow still gets a quarter of an even share.
    static let slowestSpeedShare = 0.25
    /// Weight of one step's measurement in the smoothed row speeds.
    static let speedSmoothing = 0.2

    /// With `shared`: splits the `m` rows of the step into runs of whole blocks, one per worker
    /// in order, in proportion to the workers' measured forward speeds (evenly until measured).
    ///
    /// The bits of a shared step do not depend on the split (each row's forward and δ are its
    /// own, every ∇W unit sums all m rows in the canonical tree, block costs are per block), so
    /// the split can follow the machine: a worker whose core runs slower — a busy hyperthread
    /// sibling, a lower clock, a hypervisor's other guest — gets fewer rows instead of keeping
    /// the others waiting at the first barrier. The ∇W units are handed out dynamically already.
    private func splitRows(_ m: Int) {
        let workers = pool.size
        let blocks = (m + blockSize - 1) / blockSize
        let measured = rowSpeeds.allSatisfy { $0 > 0 }
        let fastest = rowSpeeds.max() ?? 0
        @inline(__always) func weight(_ w: Int) -> Double {
            measured ? max(rowSpeeds[w], Self.slowestSpeedShare * fastest) : 1
        }
        var total = 0.0
        for w in 0..<workers { total += weight(w) }
        var cumulative = 0.0
        rowBounds[0] = 0
        for w in 0..<workers {
            cumulative += weight(w)
            let edge = w == workers - 1 ? blocks : Int((Double(blocks) * cumulative / total).rounded())
            rowBounds[w + 1] = min(m, max(rowBounds[w], edge * blockSize))
        }
    }

    /// The row split `splitRows` makes for `m` rows after the workers measured `speeds` (0 =
    /// not yet): for tests, which also use it to force uneven splits.
    func rowSplit(exampleCount m: Int, assumingSpeeds speeds: [Double]) -> [Range<Int>] {
        precondition(speeds.count == pool.size)
        for (w, speed) in speeds.enumerated() { rowSpeeds[w] = speed }
        splitRows(m)
        return (0..<pool.size).map { rowBounds[$0]..<rowBounds[$0 + 1] }
    }

    /// With `shared`: folds this step's forward time per row of each worker into `rowSpeeds`.
    /// Not with products split by units: a worker's forward time then counts the units it took
    /// from the counter, not its speed, and the units balance the workers already.
    private func measureRowSpeeds() {
        for (w, state) in states.enumerated() {
            let rows = rowBounds[w + 1] - rowBounds[w]
            guard rows > 0 && state.times.forward > 0 else { continue }
            let speed = Double(rows) / state.times.forward
            rowSpeeds[w] = rowSpeeds[w] == 0 ? speed : rowSpeeds[w] + Self.speedSmoothing * (speed - rowSpeeds[w])
        }
    }

    private func workspace(_ state: WorkerState) -> BatchWorkspace {
        if let workspace = state.workspace { return workspace }
        let workspace = BatchWorkspace(network: network, capacity: workspaceCapacity)
        state.workspace = workspace
        return workspace
    }

    /// A node buffer of this process's worker `b.worker` (a global index with a group).
    private func buffer(_ b: BlockTreePlan.Buffer) -> UnsafeMutablePointer<Float> {
        states[b.worker - firstWorker].nodeBuffers[b.slot].withUnsafeMutableBufferPointer { $0.baseAddress! }
    }

    /// The global index of this process's worker 0.
    private var firstWorker: Int { (group?.rank ?? 0) * pool.size }

    /// Floats per chunk of the fused reduction and update: 16 KiB per buffer, so a chunk of
    /// every node buffer, the parameters and the optimizer state stay in L2 together.
    static let reductionChunk = 4096

    /// Worker `w`'s part of `0 ..< count`: contiguous, balanced, cut at multiples of 16 floats
    /// (one cache line) so that no two workers write the same line.
    static func slice(_ w: Int, of workers: Int, count: Int) -> Range<Int> {
        let lines = (count + 15) / 16
        func edge(_ k: Int) -> Int { min(count, (lines * k / workers) * 16) }
        return edge(w)..<edge(w + 1)
    }

    /// Continues from a checkpoint: parameters, optimizer state and step count.
    public func restore(from checkpoint: Checkpoint) throws {
        guard checkpoint.parameters.count == parameters.count,
              checkpoint.firstMoment.count == optimizer.firstMoment.count,
              checkpoint.secondMoment.count == optimizer.secondMoment.count else {
            throw TrainingError("the checkpoint's parameter or optimizer-state sizes do not match this network and optimizer")
        }
        parameters.copy(from: FloatBuffer(checkpoint.parameters))
        optimizer.firstMoment.copy(from: FloatBuffer(checkpoint.firstMoment))
        optimizer.secondMoment.copy(from: FloatBuffer(checkpoint.secondMoment))
        optimizer.stepCount = checkpoint.optimizerSteps
        step = checkpoint.globalStep
    }
}

extension Trainer: WorkerTask {
    /// Worker `w`'s part of the current step (`sharedStep` or `treeStep`).
    public func work(worker w: Int) {
        guard let context else { preconditionFailure("work outside a step") }
        let state = states[w]
        state.mark = DispatchTime.now().uptimeNanoseconds
        state.correct = 0
        if let shared {
            sharedStep(worker: w, shared: shared, context: context)
        } else {
            treeStep(worker: w, context: context)
        }
    }

    /// Loads worker `w`'s rows of the minibatch into `workspace` from row `rowStart`, runs them
    /// forward and records their block costs and correct count.
    private func forward(worker w: Int, rows share: Range<Int>, context: StepContext, into workspace: BatchWorkspace,
                         rowStart: Int, run: (UnsafePointer<Float>) -> Void) {
        let indices = context.indices
        let rows = indices[(indices.startIndex + share.lowerBound)..<(indices.startIndex + share.upperBound)]
        workspace.load(context.data, indices: rows, rowStart: rowStart)
        run(parameters.withUnsafeBufferPointer { $0.baseAddress! })
        var block = share.lowerBound / blockSize
        var start = 0
        while start < rows.count {
            let length = min(blockSize, rows.count - start)
            blockCosts[block] = workspace.cost(rowStart: rowStart + start, count: length)
            block += 1
            start += length
        }
        states[w].correct = workspace.countCorrect(context.data, indices: rows, rowStart: rowStart)
    }

    /// The shared-batch step: the worker's rows forward into the process's one workspace, then
    /// the backward pass with every worker, each taking units of the gradient and its update
    /// (`SharedBatch`); one barrier per weight layer, no reduction pass.
    private func sharedStep(worker w: Int, shared: SharedBatch, context: StepContext) {
        let state = states[w]
        let scratch = state.sharedScratch ?? shared.makeWorkerScratch()
        state.sharedScratch = scratch
        let share = rowBounds[w]..<rowBounds[w + 1]
        let m = context.indices.count, learningRate = context.learningRate
        forward(worker: w, rows: share, context: context, into: shared.workspace, rowStart: share.lowerBound) {
            shared.forward(parameters: $0, rows: share, exampleCount: m, scratch: scratch, synchronize: {
                state.lap(\.forward)
                pool.barrier.arriveAndWait()
                state.lap(\.waiting)
            })
        }
        state.lap(\.forward)
        let p = parameters.withUnsafeMutableBufferPointer { $0.baseAddress! }
        let gradient = UnsafePointer(shared.gradient.withUnsafeMutableBufferPointer { $0.baseAddress! })
        shared.backward(parameters: p, rows: share, exampleCount: m, blockSize: blockSize, fanIn: fanIn,
                        step: optimizer.plainStep(batchSize: m, learningRate: learningRate), scratch: scratch,
                        update: { range in
                            optimizer.apply(parameters: p, gradientSum: gradient, slice: range, batchSize: m,
                                            learningRate: learningRate)
                        },
                        synchronize: {
                            // The barriers inside the backward pass, timed as waiting.
                            state.lap(\.backward)
                            pool.barrier.arriveAndWait()
                            state.lap(\.waiting)
                        })
        state.lap(\.backward)
    }

    /// The tree step: the worker's rows forward and backward in its own workspace into its tree
    /// nodes; the barrier; then its parameter slice of every upper tree level and of the update.
    private func treeStep(worker w: Int, context: StepContext) {
        let plan = context.plan
        let m = context.indices.count
        let p = parameters.withUnsafeMutableBufferPointer { $0.baseAddress! }
        let parameterCount = network.parameterCount
        let learningRate = context.learningRate
        let state = states[w]
        let share = plan.examples[firstWorker + w]
        if !share.isEmpty {
            let workspace = workspace(state)
            forward(worker: w, rows: share, context: context, into: workspace, rowStart: 0) {
                workspace.forward(parameters: $0, count: share.count)
            }
            state.lap(\.forward)
            let nodes = plan.nodes[firstWorker + w]
            while state.nodeBuffers.count < nodes.count { state.nodeBuffers.append(FloatBuffer(count: parameterCount)) }
            state.nodeList.removeAll(keepingCapacity: true)
            for node in nodes {
                state.nodeList.append(.init(
                    rowStart: node.examples.lowerBound - share.lowerBound, rowCount: node.examples.count,
                    gradient: state.nodeBuffers[node.slot].withUnsafeMutableBufferPointer { $0.baseAddress! }))
            }
            state.nodeList.withUnsafeBufferPointer { nodes in
                workspace.backward(parameters: p, count: share.count, nodes: nodes, blockSize: blockSize, fanIn: fanIn)
            }
        }
        state.lap(\.backward)
        // One barrier: after it, every node buffer is complete. Every tree level and the
        // update use the same parameter slices, so worker w only ever touches slice w of
        // every buffer: no barrier between levels, and the levels and the update run chunk
        // by chunk while the chunk is in cache.
        pool.barrier.arriveAndWait()
        state.lap(\.waiting)
        let slice = Self.slice(w, of: pool.size, count: parameterCount)
        if let exchange = context.exchange {
            exchangeAndUpdate(worker: w, slice: slice, exchange: exchange, batchSize: m, learningRate: learningRate)
            return
        }
        let root = buffer(plan.root)
        var chunkStart = slice.lowerBound
        while chunkStart < slice.upperBound {
            let chunk = chunkStart..<min(chunkStart + Self.reductionChunk, slice.upperBound)
            combine(plan.levels, chunk: chunk, in: nil)
            state.lap(\.reduction)
            optimizer.apply(parameters: p, gradientSum: root, slice: chunk, batchSize: m, learningRate: learningRate)
            state.lap(\.update)
            chunkStart = chunk.upperBound
        }
        state.lap(\.reduction)
    }

    /// The part of a step after the workers' own nodes, with other ranks: this rank's inner
    /// tree levels (and, for `allreduce`, its sum) over worker w's slice; worker 0 exchanges
    /// with the other ranks; then the tree levels across ranks and the update, over the slice.
    private func exchangeAndUpdate(worker w: Int, slice: Range<Int>, exchange: RankExchange, batchSize m: Int,
                                   learningRate: Float) {
        let state = states[w]
        let plan = exchange.plan
        let exports = plan.exports[plan.rank]
        let gathered = exchange.gathered.withUnsafeMutableBufferPointer { $0.baseAddress! }
        var chunkStart = slice.lowerBound
        while chunkStart < slice.upperBound {
            let chunk = chunkStart..<min(chunkStart + Self.reductionChunk, slice.upperBound)
            combine(plan.localLevels, chunk: chunk, in: nil)
            switch exchange.mode {
            case .deterministic:
                for b in exports {
                    let (s, d) = (UnsafePointer(buffer(b)), exchange.slot(b))
                    for i in chunk { d[i] = s[i] }
                }
            case .allreduce:
                for i in chunk { gathered[i] = 0 }
                for b in exports {
                    let s = UnsafePointer(buffer(b))
                    for i in chunk { gathered[i] += s[i] }
                }
            }
            chunkStart = chunk.upperBound
        }
        state.lap(\.reduction)
        pool.barrier.arriveAndWait()
        state.lap(\.waiting)
        if w == 0, let group {
            exchange.communicate(group, costs: blockCosts, correct: states.reduce(0) { $0 + $1.correct })
            state.lap(\.communication)
        }
        pool.barrier.arriveAndWait()
        state.lap(\.waiting)
        let p = parameters.withUnsafeMutableBufferPointer { $0.baseAddress! }
        let root = exchange.mode == .deterministic ? exchange.slot(plan.root) : gathered
        chunkStart = slice.lowerBound
        while chunkStart < slice.upperBound {
            let chunk = chunkStart..<min(chunkStart + Self.reductionChunk, slice.upperBound)
            if exchange.mode == .deterministic { combine(plan.globalLevels, chunk: chunk, in: exchange) }
            state.lap(\.reduction)
            optimizer.apply(parameters: p, gradientSum: root, slice: chunk, batchSize: m, learningRate: learningRate)
            state.lap(\.update)
            chunkStart = chunk.upperBound
        }
    }

    /// Runs `levels` of combines over `chunk` of each buffer (`destination += sources`, in order),
    /// on this process's node buffers or on the slots gathered from all ranks.
    private func combine(_ levels: [[BlockTreePlan.Combine]], chunk: Range<Int>, in gathered: RankExchange?) {
        func pointer(_ b: BlockTreePlan.Buffer) -> UnsafeMutablePointer<Float> {
            if let gathered { return gathered.slot(b) }
            return buffer(b)
        }
        for level in levels {
            for combine in level {
                let destination = pointer(combine.destination)
                for source in combine.sources {
                    let s = UnsafePointer(pointer(source))
                    for i in chunk { destination[i] += s[i] }
                }
            }
        }
    }
}
