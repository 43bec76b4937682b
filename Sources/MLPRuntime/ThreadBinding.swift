/// Binding the calling thread to a PU of the machine this process runs on, and reading the
/// binding back.
///
/// Calls go to hwloc's view of this machine, loaded once on first use; its allowed set (cgroup
/// cpuset ∩ process affinity) is read at that moment, so touch it (`TopologyLoader.real()` or
/// any call here) before binding threads. Refusals are thrown as `RuntimeError`, never crashes:
/// a caller running many workers turns the first one into one warning and runs unbound.
public enum ThreadBinding {
    /// Binds the calling thread to one PU (`HWLOC_CPUBIND_THREAD`).
    ///
    /// - Parameter osIndex: OS index of the PU, as in `WorkerPlacement.pu`.
    /// - Throws: `RuntimeError` with code `.invalidCPU` (no such PU, or outside the allowed set),
    ///   `.notThisSystem` (hwloc shows a synthetic or XML machine: nothing is bound),
    ///   `.bindingRefused` (the kernel refused, e.g. in a restricted container), or
    ///   `.topologyUnavailable`.
    public static func bindCurrentThread(toPU osIndex: Int) throws {
        try HwlocTopology.machine.get().bindCurrentThread(toPU: osIndex)
    }

    /// Lets the calling thread run on any of `pus` (OS indices) again, e.g. to restore the
    /// binding read earlier with `currentThreadBinding()`.
    public static func bindCurrentThread(toPUs pus: [Int]) throws {
        try HwlocTopology.machine.get().bindCurrentThread(toPUs: pus)
    }

    /// The PUs (OS indices, ascending) the calling thread may run on, as the kernel reports them
    /// (`hwloc_get_cpubind` with `HWLOC_CPUBIND_THREAD`).
    ///
    /// - Throws: `RuntimeError` (`.notThisSystem`, `.bindingRefused` if the kernel will not say,
    ///   `.topologyUnavailable`).
    public static func currentThreadBinding() throws -> [Int] {
        try HwlocTopology.machine.get().currentThreadBinding()
    }

    /// The PU (OS index) the calling thread ran on most recently (`sched_getcpu`), or nil if
    /// the kernel will not say. Unbound threads may have moved since.
    public static func lastCPULocation() -> Int? {
        lastCPU()
    }
}
