import Foundation
import MLPCore
import MLPRuntime

/// What a benchmark figure depends on besides the code: the CPU, how many cores, hardware
/// threads and NUMA nodes this process may use, the vector ISA the kernels were built for and
/// the one the CPU offers, and the compiler. Printed with every `mlpd bench` result.
public struct MachineFingerprint: Sendable, Codable, Equatable {
    /// The CPU's model name (hwloc's `CPUModel`, else /proc/cpuinfo's `model name`).
    public var cpuModel: String
    /// Packages, cores, hardware threads (PUs) and NUMA nodes of the allowed part of the machine.
    public var packages: Int, cores: Int, pus: Int, numaNodes: Int
    /// Widest vector ISA the kernels were compiled for (`KernelISA`).
    public var isaCompiled: String
    /// Widest vector ISA the CPU reports (/proc/cpuinfo flags): "AVX-512", "AVX2", "SSE2" or
    /// "unknown".
    public var isaAvailable: String
    /// The Swift compiler that built this binary (from `#if compiler(>=…)`).
    public var compiler: String
    /// The operating system kernel (`uname -sr`).
    public var kernel: String

    public init(cpuModel: String, packages: Int, cores: Int, pus: Int, numaNodes: Int, isaCompiled: String,
                isaAvailable: String, compiler: String, kernel: String) {
        self.cpuModel = cpuModel
        (self.packages, self.cores, self.pus, self.numaNodes) = (packages, cores, pus, numaNodes)
        (self.isaCompiled, self.isaAvailable, self.compiler, self.kernel) = (isaCompiled, isaAvailable, compiler, kernel)
    }

    /// The fingerprint of this process on `topology` (its allowed PUs only).
    public static func current(topology: Topology, cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))
        -> MachineFingerprint
    {
        let allowed = Set(topology.allowedPUs)
        let cores = topology.cores.filter { !allowed.isDisjoint(with: $0.pus) }
        let info = cpuinfo.map(parseCPUInfo) ?? (model: nil, flags: [])
        var name = utsname()
        uname(&name)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return MachineFingerprint(
            cpuModel: topology.cpuModel ?? info.model ?? "unknown",
            packages: Set(cores.map(\.package)).count, cores: cores.count, pus: allowed.count,
            numaNodes: Set(cores.map(\.numaNode)).count, isaCompiled: KernelISA.compiledName,
            isaAvailable: widestISA(flags: info.flags), compiler: compilerVersion,
            kernel: "\(text(name.sysname)) \(text(name.release))")
    }

    /// The first processor's `model name` and `flags` in /proc/cpuinfo text.
    static func parseCPUInfo(_ text: String) -> (model: String?, flags: Set<String>) {
        var model: String?, flags: Set<String> = []
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if key == "model name", model == nil { model = value }
            if key == "flags", flags.isEmpty { flags = Set(value.split(separator: " ").map(String.init)) }
            if model != nil, !flags.isEmpty { break }
        }
        return (model, flags)
    }

    /// "AVX-512" (avx512f), "AVX2" (avx2 and fma), "SSE2", or "unknown" without flags.
    static func widestISA(flags: Set<String>) -> String {
        if flags.contains("avx512f") { return "AVX-512" }
        if flags.contains("avx2") && flags.contains("fma") { return "AVX2" }
        if flags.contains("sse2") { return "SSE2" }
        return "unknown"
    }

    /// The compiler's version as far as `#if compiler` can tell (the newest bound it passes).
    public static var compilerVersion: String {
        #if compiler(>=6.4)
            return "Swift ≥ 6.4"
        #elseif compiler(>=6.3.1)
            return "Swift 6.3.1"
        #elseif compiler(>=6.3)
            return "Swift 6.3"
        #elseif compiler(>=6.2)
            return "Swift 6.2"
        #elseif compiler(>=6.1)
            return "Swift 6.1"
        #else
            return "Swift < 6.1"
        #endif
    }

    /// One line for a table header.
    public var summary: String {
        "\(cpuModel); \(packages) package(s), \(cores) core(s), \(pus) PU(s), \(numaNodes) NUMA node(s); "
            + "kernels \(isaCompiled) (CPU offers \(isaAvailable)); \(compiler); \(kernel)"
    }
}
