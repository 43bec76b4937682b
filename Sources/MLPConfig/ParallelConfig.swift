/// How a run uses the machine's cores (YAML section `parallel`, optional).
///
/// - `threads`: `auto` (default: one worker per allowed physical core, or per PU with `smt`)
///   or a number ≥ 1. `mlpd train --threads N` overrides it.
/// - `placement`: `numa` (default: spread over NUMA nodes, one worker per physical core before
///   any SMT sibling), `compact` (fill node 0's cores first), or `none` (no binding).
/// - `cpus`: an explicit list of OS CPU (PU) indices, one worker each, in order; replaces
///   `placement`.
/// - `smt`: allow SMT siblings (default false).
/// - `fan_in`: children per node of the reduction tree (default 2, at least 2).
/// - `block_size`: examples per block of the canonical reduction (default 16). Gradients are
///   summed inside each block in example order and the block sums are combined in one fixed
///   tree, so the trained weights are the same bytes for any thread count. A minibatch of m
///   examples has ⌈m / block_size⌉ blocks, the most workers a step can use.
/// - `reduction`: how the workers of one process combine their gradients: `shared` (the
///   workers share the minibatch's rows and each computes whole columns of ∇W over all its
///   examples, updating the weights as it goes: no reduction pass), `tree` (each worker sums
///   its own examples' gradient, and the tree reduction combines them, inside each NUMA node
///   first) or `auto` (default: `shared` when all the process's workers are on one NUMA node,
///   `tree` otherwise). The weights are the same bytes either way. Under mpirun the ranks'
///   workers always use `tree`, whose nodes the ranks exchange.
/// - `rank_reduction`: how MPI ranks combine their gradients (builds with the `MPI` trait):
///   `deterministic` (default: the same canonical tree across ranks, so the weights are the same
///   bytes for any number of ranks and threads) or `allreduce` (`MPI_Allreduce` of one sum per
///   rank: less data, but the last bits may depend on the rank count). Ignored in one process.
public struct ParallelConfig: Sendable, Equatable {
    public enum Threads: Sendable, Equatable {
        case auto
        case count(Int)
    }

    public enum Placement: String, Sendable, Equatable, CaseIterable {
        case numa, compact, none
    }

    public enum Reduction: String, Sendable, Equatable, CaseIterable {
        case auto, shared, tree
    }

    public enum RankReduction: String, Sendable, Equatable, CaseIterable {
        case deterministic, allreduce
    }

    public var threads: Threads
    public var placement: Placement
    public var cpus: [Int]?
    public var smt: Bool
    public var fanIn: Int
    public var blockSize: Int
    public var reduction: Reduction
    public var rankReduction: RankReduction

    public init(threads: Threads = .auto, placement: Placement = .numa, cpus: [Int]? = nil, smt: Bool = false,
                fanIn: Int = 2, blockSize: Int = 16, reduction: Reduction = .auto,
                rankReduction: RankReduction = .deterministic) {
        self.threads = threads
        self.placement = placement
        self.cpus = cpus
        self.smt = smt
        self.fanIn = fanIn
        self.blockSize = blockSize
        self.reduction = reduction
        self.rankReduction = rankReduction
    }
}

extension ParallelConfig {
    static let schema = KeySchema.mapping([
        .value("threads"), .value("placement"), .value("cpus"), .value("smt"), .value("fan_in"),
        .value("block_size"), .value("reduction"), .value("rank_reduction"),
    ])

    init(reading m: MappingReader) throws {
        threads = try m.value("threads", default: Threads.auto) { node, path in
            if case .scalar(let text, _) = node.content, text == "auto" { return .auto }
            guard let count = try? node.integer(path, atLeast: 1) else {
                throw node.location.error(key: path, "\(path): expected auto or an integer ≥ 1, found \(node.found)")
            }
            return .count(count)
        }
        placement = try m.keyword("placement", default: .numa, among: Placement.allCases)
        cpus = try m.optional("cpus") { try $0.integerList($1, minCount: 1, atLeast: 0) }
        smt = try m.bool("smt", default: false)
        fanIn = try m.integer("fan_in", default: 2, atLeast: 2)
        blockSize = try m.integer("block_size", default: 16, atLeast: 1)
        reduction = try m.keyword("reduction", default: .auto, among: Reduction.allCases)
        rankReduction = try m.keyword("rank_reduction", default: .deterministic, among: RankReduction.allCases)
        if let cpus, case .count(let n) = threads, n != cpus.count {
            throw m.error(at: "threads", "\(m.keyPath("threads")): \(n) threads, but \(m.keyPath("cpus")) lists \(cpus.count) CPUs")
        }
    }

    func write(to w: inout YAMLWriter) {
        switch threads {
        case .auto: w.field("threads", "auto")
        case .count(let n): w.field("threads", YAMLWriter.int(n))
        }
        w.field("placement", placement.rawValue)
        w.field("cpus", cpus.map(YAMLWriter.list) ?? "null")
        w.field("smt", YAMLWriter.bool(smt))
        w.field("fan_in", YAMLWriter.int(fanIn))
        w.field("block_size", YAMLWriter.int(blockSize))
        w.field("reduction", reduction.rawValue)
        w.field("rank_reduction", rankReduction.rawValue)
    }
}
