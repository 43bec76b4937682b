/// The processes that train one model together: MPI ranks (`MLPDistributed.MPIProcessGroup`,
/// with the `MPI` package trait), each running its own `WorkerPool`. A single process needs no
/// group. The calls are collective: every member makes the same calls in the same order, from
/// the thread that created the group (worker 0 of the training step).
public protocol ProcessGroup: AnyObject {
    /// This process's index, 0 ..< `size`.
    var rank: Int { get }
    var size: Int { get }

    /// Every member's share of `buffer`, gathered in place (MPI_Allgatherv): member r's part is
    /// `counts[r]` units of `unit` floats starting at unit `displacements[r]`, filled by r
    /// before the call; afterwards every member holds all parts.
    func allGather(_ buffer: UnsafeMutablePointer<Float>, unit: Int, counts: UnsafeBufferPointer<Int32>,
                   displacements: UnsafeBufferPointer<Int32>)

    /// The same for doubles, with units of one double.
    func allGather(_ buffer: UnsafeMutablePointer<Double>, counts: UnsafeBufferPointer<Int32>,
                   displacements: UnsafeBufferPointer<Int32>)

    /// Element-wise sum over all members, in place (MPI_Allreduce). The order of the additions
    /// is MPI's: the result may differ in the last bits from any fixed order.
    func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int)

    /// Member `root`'s bytes, on every member.
    func broadcast(_ bytes: [UInt8], root: Int) -> [UInt8]

    /// Every member's bytes, in rank order, on every member.
    func allGather(bytes: [UInt8]) -> [[UInt8]]

    /// Waits until every member has called it.
    func barrier()
}

/// How ranks combine their gradients.
public enum RankReduction: String, Sendable, Equatable, CaseIterable {
    /// The canonical block tree across ranks (`RankExchangePlan`): the weights are the same
    /// bytes as in one process, for any number of ranks and threads.
    case deterministic
    /// Each rank sums its examples, then `MPI_Allreduce` adds the ranks' sums in MPI's order:
    /// one buffer per rank instead of a few, but the last bits may depend on the rank count.
    case allreduce
}
