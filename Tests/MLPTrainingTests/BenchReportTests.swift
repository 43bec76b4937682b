import Foundation
import MLPCore
@testable import MLPTraining
import MLPRuntime
import Testing

@Suite struct BenchReportTests {
    static let cpuinfo = """
        processor\t: 0
        vendor_id\t: GenuineIntel
        model name\t: Intel(R) Xeon(R) Gold 6430
        flags\t\t: fpu sse2 avx2 fma avx512f avx512bw
        
        processor\t: 1
        model name\t: something else
        flags\t\t: fpu sse2
        """

    @Test func fingerprintReadsTheFirstProcessorsModelAndWidestISA() {
        let (model, flags) = MachineFingerprint.parseCPUInfo(Self.cpuinfo)
        #expect(model == "Intel(R) Xeon(R) Gold 6430")
        #expect(MachineFingerprint.widestISA(flags: flags) == "AVX-512")
        #expect(MachineFingerprint.widestISA(flags: ["sse2", "avx2", "fma"]) == "AVX2")
        #expect(MachineFingerprint.widestISA(flags: ["sse2", "avx2"]) == "SSE2", "AVX2 without FMA is no FMA kernel")
        #expect(MachineFingerprint.widestISA(flags: []) == "unknown")
    }

    @Test func fingerprintCountsOnlyTheAllowedPartOfTheTopology() throws {
        // Two packages × two NUMA nodes × two cores × two PUs, of which the process may use
        // the PUs of one core on node 0 and one core on node 3.
        let cores = (0..<8).map { c in Topology.Core(index: c, package: c / 4, numaNode: c / 2, pus: [2 * c, 2 * c + 1]) }
        let topology = Topology(
            packages: 2, numaNodes: (0..<4).map { Topology.NUMANode(index: $0, pus: Array((4 * $0)..<(4 * $0 + 4))) },
            cores: cores, caches: [], allowedPUs: [0, 1, 14], source: .synthetic("test"), cpuModel: nil, isThisSystem: false)
        let f = MachineFingerprint.current(topology: topology, cpuinfo: Self.cpuinfo)
        #expect(f.cpuModel == "Intel(R) Xeon(R) Gold 6430", "hwloc had no model: /proc/cpuinfo's")
        #expect((f.packages, f.cores, f.pus, f.numaNodes) == (2, 2, 3, 2))
        #expect(f.isaAvailable == "AVX-512")
        #expect(f.isaCompiled == KernelISA.compiledName)
        #expect(f.compiler.hasPrefix("Swift "))
        #expect(f.summary.contains("2 core(s), 3 PU(s), 2 NUMA node(s)"))
    }

    @Test func csvHasOneQuotedLinePerThreadCountWithTheMachine() {
        let machine = MachineFingerprint(cpuModel: "CPU, \"fast\"", packages: 1, cores: 2, pus: 2, numaNodes: 1,
                                         isaCompiled: "AVX-512", isaAvailable: "AVX-512", compiler: "Swift 6.3.1",
                                         kernel: "Linux")
        let report = Benchmark.Report(
            machine: machine, layers: [4, 3, 2], batchSize: 8, flopsPerExample: 84, steps: 5, warmup: 1, repeats: 3,
            ceilingShape: [384, 1024, 1024],
            results: [ScalingChartTests.result(threads: 1, speedup: 1), ScalingChartTests.result(threads: 2, speedup: 1.5)])
        let lines = BenchFormat.csv(report).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].split(separator: ",").count == BenchFormat.csvColumns.count)
        #expect(lines[1].hasPrefix("1,1000.0,50.0,100.0,0.5,1.0,1.0,,"))
        #expect(lines[2].contains(",\"CPU, \"\"fast\"\"\",2,2,1,AVX-512,AVX-512,Swift 6.3.1"))
        let table = BenchFormat.table(report)
        #expect(table.contains("CPU, \"fast\"") && table.contains("384×1024×1024"))
        #expect(table.split(separator: "\n").count == 6)
    }
}
