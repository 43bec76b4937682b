#if MPI
import CMPI
import Foundation
import MLPRuntime

/// The ranks of an MPI job (Open MPI) as a `ProcessGroup`.
///
/// MPI is initialised with `MPI_THREAD_FUNNELED`: only the thread that created the world makes
/// MPI calls, which is the trainer's worker 0 (the caller of each step). Errors are fatal
/// (MPI's default handler): a failed collective, or a rank that died, ends the whole job
/// through `mpirun` instead of leaving the others waiting.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    let communicator: MPI_Comm
    /// Contiguous datatypes of n floats, by n (committed once, reused every step).
    private var floatBlocks: [Int: MPI_Datatype] = [:]

    /// Whether this process was started by `mpirun` (Open MPI sets `OMPI_COMM_WORLD_SIZE`).
    public static var isLaunchedByMPI: Bool {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil
    }

    /// The world of this MPI job. Initialises MPI on first use; later calls return the same
    /// group. Call `finalize()` once at the end of a successful run.
    public static func world() -> MPIProcessGroup {
        if let shared = worldGroup { return shared }
        var provided: Int32 = 0
        var argc: Int32 = 0
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        MPI_Init_thread(&argc, &argv, Int32(MPI_THREAD_FUNNELED), &provided)
        let group = MPIProcessGroup(communicator: mlpd_mpi_comm_world())
        worldGroup = group
        return group
    }
    nonisolated(unsafe) private static var worldGroup: MPIProcessGroup?

    init(communicator: MPI_Comm) {
        self.communicator = communicator
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(communicator, &rank)
        MPI_Comm_size(communicator, &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    /// The members whose `include` is true, as a new group (collective over this group); nil on
    /// the others.
    public func subgroup(including include: Bool) -> MPIProcessGroup? {
        var sub = mlpd_mpi_comm_null()
        MPI_Comm_split(communicator, include ? 0 : MPI_UNDEFINED, Int32(rank), &sub)
        return include ? MPIProcessGroup(communicator: sub!) : nil
    }

    /// Ends MPI (after the last collective of a successful run).
    public static func finalize() {
        guard worldGroup != nil else { return }
        MPI_Finalize()
        worldGroup = nil
    }

    /// Ends every rank of the job now with `code`, after `message` on this rank's stderr.
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data(message.utf8))
        MPI_Abort(mlpd_mpi_comm_world(), code)
        exit(code)
    }

    /// The name of this rank's host.
    public static var processorName: String {
        var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_PROCESSOR_NAME) + 1)
        var length: Int32 = 0
        MPI_Get_processor_name(&buffer, &length)
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func floatBlock(_ unit: Int) -> MPI_Datatype {
        if let type = floatBlocks[unit] { return type }
        precondition(unit <= Int(Int32.max), "a gradient of \(unit) floats is more than one MPI count can hold")
        var type: MPI_Datatype? = nil
        MPI_Type_contiguous(Int32(unit), mlpd_mpi_float(), &type)
        MPI_Type_commit(&type)
        floatBlocks[unit] = type!
        return type!
    }

    public func allGather(_ buffer: UnsafeMutablePointer<Float>, unit: Int, counts: UnsafeBufferPointer<Int32>,
                          displacements: UnsafeBufferPointer<Int32>) {
        let type = floatBlock(unit)
        MPI_Allgatherv(mlpd_mpi_in_place(), 0, type, buffer, counts.baseAddress, displacements.baseAddress, type,
                       communicator)
    }

    public func allGather(_ buffer: UnsafeMutablePointer<Double>, counts: UnsafeBufferPointer<Int32>,
                          displacements: UnsafeBufferPointer<Int32>) {
        MPI_Allgatherv(mlpd_mpi_in_place(), 0, mlpd_mpi_double(), buffer, counts.baseAddress, displacements.baseAddress,
                       mlpd_mpi_double(), communicator)
    }

    public func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        var done = 0
        while done < count {   // MPI counts are 32-bit
            let n = min(count - done, Int(Int32.max))
            MPI_Allreduce(mlpd_mpi_in_place(), buffer + done, Int32(n), mlpd_mpi_float(), mlpd_mpi_sum(), communicator)
            done += n
        }
    }

    public func broadcast(_ bytes: [UInt8], root: Int) -> [UInt8] {
        var count = Int64(bytes.count)
        MPI_Bcast(&count, 1, mlpd_mpi_long_long(), Int32(root), communicator)
        var received = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count))
        var done = 0
        while done < Int(count) {
            let n = min(Int(count) - done, Int(Int32.max))
            received.withUnsafeMutableBytes {
                _ = MPI_Bcast($0.baseAddress! + done, Int32(n), mlpd_mpi_byte(), Int32(root), communicator)
            }
            done += n
        }
        return received
    }

    public func allGather(bytes: [UInt8]) -> [[UInt8]] {
        var lengths = [Int32](repeating: 0, count: size)
        lengths[rank] = Int32(bytes.count)
        lengths.withUnsafeMutableBufferPointer {
            _ = MPI_Allgather(mlpd_mpi_in_place(), 0, mlpd_mpi_byte(), $0.baseAddress, 1, mlpd_mpi_int(), communicator)
        }
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<max(size, 1) { displacements[r] = displacements[r - 1] + lengths[r - 1] }
        var all = [UInt8](repeating: 0, count: Int(lengths.reduce(0, +)))
        all.replaceSubrange(Int(displacements[rank])..<Int(displacements[rank] + lengths[rank]), with: bytes)
        all.withUnsafeMutableBytes { buffer in
            _ = MPI_Allgatherv(mlpd_mpi_in_place(), 0, mlpd_mpi_byte(), buffer.baseAddress, lengths, displacements,
                               mlpd_mpi_byte(), communicator)
        }
        return (0..<size).map { Array(all[Int(displacements[$0])..<Int(displacements[$0] + lengths[$0])]) }
    }

    public func barrier() {
        MPI_Barrier(communicator)
    }
}
#endif
