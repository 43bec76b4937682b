/// Reads a `Topology` through hwloc: the machine this process runs on, an hwloc synthetic
/// description, or an hwloc XML file.
///
/// Synthetic and XML topologies are for planning: `Topology.isThisSystem` is false for them and
/// nothing is ever bound on them. Errors name the input at fault, e.g.
/// `--synthetic 'package:2 nuna:2': hwloc cannot parse this synthetic description …`.
public enum TopologyLoader {
    /// The machine this process runs on. `allowedPUs` is the cgroup-allowed set intersected with
    /// the process's CPU affinity (taskset, systemd `CPUAffinity=`).
    ///
    /// When `HWLOC_SYNTHETIC` or `HWLOC_XMLFILE` is set in the environment, hwloc shows that
    /// machine instead and `isThisSystem` is false.
    public static func real() throws -> Topology {
        try HwlocTopology(source: .real).snapshot()
    }

    /// A machine from an hwloc synthetic description such as `"package:2 numa:2 core:8 pu:2"`
    /// (PUs are numbered 0, 1, 2 … in order, so a core's SMT siblings are adjacent).
    ///
    /// - Parameter allowedPUs: if given, the PUs (OS indices) to treat as allowed, as a cgroup
    ///   cpuset or `taskset` would on a real machine; the rest stay in the topology as
    ///   disallowed; indices that are not PUs of the machine are ignored, and a list with no PU
    ///   of the machine throws `.noAllowedCPUs`. Default: all PUs.
    public static func synthetic(_ description: String, allowedPUs: [Int]? = nil) throws -> Topology {
        try HwlocTopology(source: .synthetic(description), allowedPUs: allowedPUs).snapshot()
    }

    /// A machine from an hwloc XML file, e.g. one written on a server with
    /// `lstopo --of xml server.xml` or `hwloc-gather-topology`, or by `exportXML(_:to:)`.
    /// The allowed set is the one recorded in the file.
    public static func xml(path: String) throws -> Topology {
        try HwlocTopology(source: .xml(path)).snapshot()
    }

    /// Loads a topology from any source.
    public static func load(_ source: Topology.Source) throws -> Topology {
        switch source {
        case .real: try real()
        case .synthetic(let description): try synthetic(description)
        case .xml(let path): try xml(path: path)
        }
    }

    /// Writes a topology from `source` as hwloc XML at `path`, so that a plan for this machine
    /// can be checked elsewhere with `xml(path:)` (or any hwloc tool via `HWLOC_XMLFILE`).
    ///
    /// - Parameter allowedPUs: as in `synthetic(_:allowedPUs:)`; ignored for `.real`.
    public static func exportXML(_ source: Topology.Source, allowedPUs: [Int]? = nil, to path: String) throws {
        try HwlocTopology(source: source, allowedPUs: allowedPUs).exportXML(to: path)
    }
}
