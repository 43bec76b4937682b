import CHwloc

// The one file that imports CHwloc: every hwloc call of the package is here, turned into Swift
// values (`Topology`, `[Int]` index lists) and thrown `RuntimeError`s. Notes on hwloc 2.9 from
// Swift (see docs/topology.md and PLATFORM-NOTES.md): bitmap loops use `hwloc_bitmap_next`
// because the foreach macros do not import; flag enums import as structs, combined through
// their raw values; a NUMA node is a memory child of a CPU-side object, not an ancestor.

/// One loaded hwloc topology handle, destroyed with the object.
///
/// hwloc allows concurrent read-only use of a loaded topology, which is all that happens after
/// `init`: snapshots, binding, memory binding and XML export do not modify it.
final class HwlocTopology: @unchecked Sendable {
    private let handle: hwloc_topology_t
    /// Where the topology came from.
    let source: Topology.Source
    /// Whether the topology is the machine this process runs on (binding has effect).
    let isThisSystem: Bool
    /// OS indices of every PU, ascending.
    let allPUs: [Int]
    /// OS indices of the PUs this process may use (see `Topology.allowedPUs`).
    let allowedPUs: [Int]
    /// OS indices of the NUMA nodes, ascending.
    let numaNodes: [Int]

    /// The machine this process runs on, loaded once on first use. Its allowed set is read at
    /// that moment: load it (e.g. with `TopologyLoader.real()`) before binding any thread.
    static let machine: Result<HwlocTopology, RuntimeError> = {
        do { return .success(try HwlocTopology(source: .real)) } catch let error as RuntimeError {
            return .failure(error)
        } catch {
            return .failure(RuntimeError(.topologyUnavailable, "hwloc: \(error)"))
        }
    }()

    /// Loads a topology. Disallowed PUs are kept (`INCLUDE_DISALLOWED`) so that reports can show
    /// the whole machine; `allowedPUs` says which ones count.
    ///
    /// - Parameter allowedPUs: for synthetic and XML topologies, a custom allowed set standing in
    ///   for the cgroup and affinity restrictions of another process (ignored for `.real`).
    init(source: Topology.Source, allowedPUs customAllowed: [Int]? = nil) throws {
        var maybeHandle: hwloc_topology_t?
        guard hwloc_topology_init(&maybeHandle) == 0, let handle = maybeHandle else {
            throw RuntimeError(.topologyUnavailable, "hwloc: cannot create a topology (\(lastError()))")
        }
        var loaded = false
        defer { if !loaded { hwloc_topology_destroy(handle) } }
        _ = hwloc_topology_set_flags(handle, UInt(HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED.rawValue))

        switch source {
        case .real:
            break
        case .synthetic(let description):
            guard hwloc_topology_set_synthetic(handle, description) == 0 else {
                throw RuntimeError(
                    .invalidTopology,
                    "--synthetic '\(description)': hwloc cannot parse this synthetic description "
                        + "(expected e.g. 'package:2 numa:2 core:8 pu:2')")
            }
        case .xml(let path):
            guard access(path, R_OK) == 0 else {
                throw RuntimeError(.invalidTopology, "--xml '\(path)': cannot read the file (\(lastError()))")
            }
            guard hwloc_topology_set_xml(handle, path) == 0 else {
                throw RuntimeError(.invalidTopology, "--xml '\(path)': hwloc cannot read this XML topology")
            }
        }
        guard hwloc_topology_load(handle) == 0 else {
            switch source {
            case .real:
                throw RuntimeError(.topologyUnavailable, "hwloc cannot discover this machine (\(lastError()))")
            case .synthetic(let description):
                throw RuntimeError(.invalidTopology, "--synthetic '\(description)': hwloc cannot build this topology")
            case .xml(let path):
                throw RuntimeError(
                    .invalidTopology, "--xml '\(path)': hwloc cannot load this file as an XML topology")
            }
        }

        if let customAllowed, source != .real {
            // Stands in for a cgroup cpuset of another process; PUs not in the machine are dropped.
            let set = Self.bitmap(customAllowed)
            defer { hwloc_bitmap_free(set) }
            hwloc_bitmap_and(set, set, hwloc_topology_get_complete_cpuset(handle))
            guard hwloc_bitmap_iszero(set) == 0,
                hwloc_topology_allow(handle, set, nil, UInt(HWLOC_ALLOW_FLAG_CUSTOM.rawValue)) == 0
            else {
                let all = formatCPUList(Self.indices(of: hwloc_topology_get_complete_cpuset(handle)))
                throw RuntimeError(
                    .noAllowedCPUs,
                    "allowed PUs \(formatCPUList(customAllowed)): none of them is a PU of this topology (PUs \(all))")
            }
        }

        // Nothing below throws: once the stored properties are set, `deinit` owns the handle.
        self.handle = handle
        self.source = source
        isThisSystem = hwloc_topology_is_thissystem(handle) != 0
        allPUs = Self.indices(of: hwloc_topology_get_complete_cpuset(handle))
        numaNodes = Self.indices(of: hwloc_topology_get_complete_nodeset(handle))

        var allowed = Self.indices(of: hwloc_topology_get_allowed_cpuset(handle))
        if isThisSystem {
            // taskset and systemd CPUAffinity= do not shrink the topology, only the process's
            // affinity: read it and intersect.
            let bound = hwloc_bitmap_alloc()
            defer { hwloc_bitmap_free(bound) }
            if hwloc_get_cpubind(handle, bound, Int32(HWLOC_CPUBIND_PROCESS.rawValue)) == 0 {
                let affinity = Set(Self.indices(of: bound))
                allowed = allowed.filter { affinity.contains($0) }
            }
        }
        allowedPUs = allowed
        loaded = true
    }

    deinit { hwloc_topology_destroy(handle) }

    // MARK: - Snapshot

    /// The topology as a plain Swift value.
    func snapshot() -> Topology {
        var nodes: [Topology.NUMANode] = []
        forEachObject(ofType: HWLOC_OBJ_NUMANODE) { node in
            let memory = node.pointee.attr?.pointee.numanode.local_memory ?? 0
            nodes.append(
                Topology.NUMANode(
                    index: Int(node.pointee.os_index), pus: Self.indices(of: node.pointee.cpuset),
                    memoryBytes: memory > 0 ? UInt64(memory) : nil))
        }
        nodes.sort { $0.index < $1.index }
        let fallbackNode = nodes.first?.index ?? 0

        var cores: [Int: Topology.Core] = [:]
        let coreObjects = Int(hwloc_get_nbobjs_by_type(handle, HWLOC_OBJ_CORE))
        var extraCores = 0
        forEachObject(ofType: HWLOC_OBJ_PU) { pu in
            let core = hwloc_get_ancestor_obj_by_type(handle, HWLOC_OBJ_CORE, pu)
            let key: Int
            if let core {
                key = Int(core.pointee.logical_index)
            } else {
                // A PU without a core object (e.g. a synthetic "package:1 pu:4") is its own core.
                key = coreObjects + extraCores
                extraCores += 1
            }
            let os = Int(pu.pointee.os_index)
            if cores[key] == nil {
                let package = hwloc_get_ancestor_obj_by_type(handle, HWLOC_OBJ_PACKAGE, pu)
                cores[key] = Topology.Core(
                    index: key, package: package.map { Int($0.pointee.logical_index) } ?? 0,
                    numaNode: numaNodeIndex(of: pu) ?? fallbackNode, pus: [])
            }
            cores[key]?.pus.append(os)
        }

        var caches: [Topology.Cache] = []
        for depth in 0..<hwloc_topology_get_depth(handle) {
            let type = hwloc_get_depth_type(handle, depth)
            guard hwloc_obj_type_is_dcache(type) != 0 else { continue }
            var object = hwloc_get_obj_by_depth(handle, depth, 0)
            while let cache = object {
                if let attributes = cache.pointee.attr?.pointee.cache, attributes.depth >= 2 {
                    caches.append(
                        Topology.Cache(
                            level: Int(attributes.depth), sizeBytes: UInt64(attributes.size),
                            pus: Self.indices(of: cache.pointee.cpuset)))
                }
                object = cache.pointee.next_cousin
            }
        }
        caches.sort { ($0.level, $0.pus.first ?? 0) < ($1.level, $1.pus.first ?? 0) }

        return Topology(
            packages: max(1, Int(hwloc_get_nbobjs_by_type(handle, HWLOC_OBJ_PACKAGE))),
            numaNodes: nodes, cores: cores.keys.sorted().compactMap { cores[$0] }, caches: caches,
            allowedPUs: allowedPUs, source: source, cpuModel: cpuModel(), isThisSystem: isThisSystem)
    }

    /// Writes the topology as hwloc XML, loadable with `TopologyLoader.xml(path:)` or
    /// `HWLOC_XMLFILE`.
    func exportXML(to path: String) throws {
        guard hwloc_topology_export_xml(handle, path, 0) == 0 else {
            throw RuntimeError(.exportFailed, "cannot write the topology as XML to '\(path)' (\(lastError()))")
        }
    }

    /// Calls `body` on every object of `type` in logical order.
    private func forEachObject(ofType type: hwloc_obj_type_t, _ body: (hwloc_obj_t) -> Void) {
        var object = hwloc_get_next_obj_by_type(handle, type, nil)
        while let current = object {
            body(current)
            object = hwloc_get_next_obj_by_type(handle, type, current)
        }
    }

    /// The NUMA node local to an object: in hwloc 2 NUMA nodes hang off the first ancestor with
    /// memory children (possibly behind memory-side caches).
    private func numaNodeIndex(of object: hwloc_obj_t) -> Int? {
        var ancestor: hwloc_obj_t? = object
        while let current = ancestor {
            if current.pointee.memory_arity > 0, var child = current.pointee.memory_first_child {
                while child.pointee.type == HWLOC_OBJ_MEMCACHE, let next = child.pointee.memory_first_child {
                    child = next
                }
                if child.pointee.type == HWLOC_OBJ_NUMANODE { return Int(child.pointee.os_index) }
            }
            ancestor = current.pointee.parent
        }
        return nil
    }

    private func cpuModel() -> String? {
        let candidates = [
            hwloc_get_obj_by_type(handle, HWLOC_OBJ_PACKAGE, 0), hwloc_get_root_obj(handle),
        ]
        for case let object? in candidates {
            if let model = hwloc_obj_get_info_by_name(object, "CPUModel") {
                let text = String(cString: model)
                let trimmed = text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
                if !trimmed.isEmpty { return String(trimmed) }
            }
        }
        return nil
    }

    // MARK: - Thread binding

    /// Binds the calling thread to one PU (OS index).
    func bindCurrentThread(toPU pu: Int) throws {
        try checkBindable(pu: pu)
        let set = Self.bitmap([pu])
        defer { hwloc_bitmap_free(set) }
        guard hwloc_set_cpubind(handle, set, Int32(HWLOC_CPUBIND_THREAD.rawValue)) == 0 else {
            throw RuntimeError(.bindingRefused, "binding a thread to CPU \(pu) was refused (\(lastError()))")
        }
    }

    /// Lets the calling thread run on any of `pus` again (restoring an earlier binding).
    func bindCurrentThread(toPUs pus: [Int]) throws {
        guard isThisSystem else { throw Self.notThisSystemError }
        let set = Self.bitmap(pus)
        defer { hwloc_bitmap_free(set) }
        guard hwloc_set_cpubind(handle, set, Int32(HWLOC_CPUBIND_THREAD.rawValue)) == 0 else {
            throw RuntimeError(.bindingRefused, "binding a thread to CPUs \(formatCPUList(pus)) was refused (\(lastError()))")
        }
    }

    /// The PUs (OS indices) the calling thread may run on.
    func currentThreadBinding() throws -> [Int] {
        guard isThisSystem else { throw Self.notThisSystemError }
        let set = hwloc_bitmap_alloc()
        defer { hwloc_bitmap_free(set) }
        guard hwloc_get_cpubind(handle, set, Int32(HWLOC_CPUBIND_THREAD.rawValue)) == 0 else {
            throw RuntimeError(.bindingRefused, "reading this thread's CPU binding failed (\(lastError()))")
        }
        return Self.indices(of: set)
    }

    private func checkBindable(pu: Int) throws {
        guard isThisSystem else { throw Self.notThisSystemError }
        guard allPUs.contains(pu) else {
            throw RuntimeError(.invalidCPU, "CPU \(pu) does not exist on this machine (PUs \(formatCPUList(allPUs)))")
        }
        guard allowedPUs.contains(pu) else {
            throw RuntimeError(
                .invalidCPU, "CPU \(pu) is outside the CPUs this process may use (\(formatCPUList(allowedPUs)))")
        }
    }

    private static let notThisSystemError = RuntimeError(
        .notThisSystem,
        "hwloc shows a synthetic or XML machine (HWLOC_SYNTHETIC or HWLOC_XMLFILE is set), not this one; "
            + "threads are not bound")

    // MARK: - NUMA-local memory

    /// Allocates `byteCount` bytes (page-aligned) bound to one NUMA node, or says why not.
    func allocate(byteCount: Int, onNode node: Int) -> Result<UnsafeMutableRawPointer, RuntimeError> {
        guard isThisSystem else { return .failure(Self.notThisSystemError) }
        let set = Self.bitmap([node])
        defer { hwloc_bitmap_free(set) }
        // STRICT: fail rather than silently return unbound memory, so the caller can report it.
        let flags = Int32(HWLOC_MEMBIND_BYNODESET.rawValue) | Int32(HWLOC_MEMBIND_STRICT.rawValue)
        guard let pointer = hwloc_alloc_membind(handle, byteCount, set, HWLOC_MEMBIND_BIND, flags) else {
            return .failure(
                RuntimeError(.bindingRefused, "hwloc_alloc_membind on NUMA node \(node) was refused (\(lastError()))"))
        }
        return .success(pointer)
    }

    /// Frees memory from `allocate(byteCount:onNode:)`.
    func free(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        _ = hwloc_free(handle, pointer, byteCount)
    }

    /// The NUMA nodes (OS indices) holding the touched pages of an area, or nil if the kernel
    /// will not say.
    func memoryNodes(of pointer: UnsafeRawPointer, byteCount: Int) -> [Int]? {
        guard isThisSystem else { return nil }
        let set = hwloc_bitmap_alloc()
        defer { hwloc_bitmap_free(set) }
        guard hwloc_get_area_memlocation(handle, pointer, byteCount, set, Int32(HWLOC_MEMBIND_BYNODESET.rawValue)) == 0
        else { return nil }
        return Self.indices(of: set)
    }

    // MARK: - Bitmaps

    /// The indices set in a finite bitmap, ascending (empty for an infinite one).
    private static func indices(of set: hwloc_const_bitmap_t?) -> [Int] {
        guard let set, hwloc_bitmap_weight(set) > 0 else { return [] }
        var result: [Int] = []
        var index = hwloc_bitmap_first(set)
        while index >= 0 {
            result.append(Int(index))
            index = hwloc_bitmap_next(set, index)
        }
        return result
    }

    /// A new bitmap with `indices` set; the caller frees it.
    private static func bitmap(_ indices: [Int]) -> hwloc_bitmap_t {
        guard let set = hwloc_bitmap_alloc() else { fatalError("hwloc_bitmap_alloc: out of memory") }
        for index in indices where index >= 0 { _ = hwloc_bitmap_set(set, UInt32(index)) }
        return set
    }
}

/// The PU (OS index) the calling thread ran on most recently, or nil if the kernel will not say.
func lastCPU() -> Int? {
    let cpu = sched_getcpu()
    return cpu >= 0 ? Int(cpu) : nil
}

/// `strerror(errno)`, for messages.
private func lastError() -> String { String(cString: strerror(__errno_location().pointee)) }
