import Foundation
import MLPRuntime
import Testing

@Suite struct TopologyLoaderTests {
    @Test func syntheticMachineHasItsStructure() throws {
        let machine = try TopologyLoader.synthetic(fourNodeSpec)
        #expect(machine.packages == 2)
        #expect(machine.numaNodes.map(\.index) == [0, 1, 2, 3])
        #expect(machine.numaNodes.map(\.pus) == (0..<4).map { Array($0 * 16..<($0 + 1) * 16) })
        #expect(machine.cores.count == 32)
        for (index, core) in machine.cores.enumerated() {
            #expect(core.index == index)
            #expect(core.pus == [2 * index, 2 * index + 1])
            #expect(core.numaNode == index / 8)
            #expect(core.package == index / 16)
        }
        #expect(machine.allPUs == Array(0..<64))
        #expect(machine.allowedPUs == Array(0..<64))
        #expect(machine.source == .synthetic(fourNodeSpec))
        #expect(!machine.isThisSystem)
    }

    @Test func syntheticCachesAndMemoryComeThrough() throws {
        let spec = "package:1 numa:1(memory=16GiB) l3:2(size=32MiB) l2:2(size=1MiB) core:1 pu:2"
        let machine = try TopologyLoader.synthetic(spec)
        #expect(machine.numaNodes.map(\.memoryBytes) == [16 << 30])
        let l3 = machine.caches.filter { $0.level == 3 }
        #expect(l3.map(\.sizeBytes) == [32 << 20, 32 << 20])
        #expect(l3.map(\.pus) == [[0, 1, 2, 3], [4, 5, 6, 7]])
        let l2 = machine.caches.filter { $0.level == 2 }
        #expect(l2.map(\.pus) == [[0, 1], [2, 3], [4, 5], [6, 7]])
        #expect(l2.allSatisfy { $0.sizeBytes == 1 << 20 })
    }

    @Test func syntheticWithoutCoresTreatsEachPUAsACore() throws {
        let machine = try TopologyLoader.synthetic("package:1 pu:4")
        #expect(machine.cores.map(\.pus) == [[0], [1], [2], [3]])
        #expect(machine.numaNodes.count == 1)
    }

    @Test func badSyntheticDescriptionNamesTheInput() {
        #expect {
            try TopologyLoader.synthetic("package:2 nuna:2")
        } throws: { error in
            let error = error as? RuntimeError
            return error?.code == .invalidTopology
                && error?.message.hasPrefix("--synthetic 'package:2 nuna:2': hwloc cannot parse") == true
        }
    }

    @Test func allowedSetOfASyntheticMachine() throws {
        let machine = try TopologyLoader.synthetic(fourNodeSpec, allowedPUs: [0, 1, 2, 3, 40, 41, 99])
        #expect(machine.allowedPUs == [0, 1, 2, 3, 40, 41])
        #expect(machine.allPUs == Array(0..<64))
        #expect {
            try TopologyLoader.synthetic(fourNodeSpec, allowedPUs: [64, 99])
        } throws: { error in
            let error = error as? RuntimeError
            return error?.code == .noAllowedCPUs
                && error?.message == "allowed PUs 64,99: none of them is a PU of this topology (PUs 0-63)"
        }
    }

    @Test func xmlRoundTripKeepsTheStructure() throws {
        let path = temporaryPath("four-node.xml")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let spec = "package:2 numa:2(memory=8GiB) l3:1(size=16MiB) core:4 pu:2"
        let allowed = Array(0..<8) + Array(20..<32)
        try TopologyLoader.exportXML(.synthetic(spec), allowedPUs: allowed, to: path)
        let original = try TopologyLoader.synthetic(spec, allowedPUs: allowed)
        let loaded = try TopologyLoader.xml(path: path)
        #expect(loaded.source == .xml(path))
        #expect(!loaded.isThisSystem)
        #expect(loaded.packages == original.packages)
        #expect(loaded.numaNodes == original.numaNodes)
        #expect(loaded.cores == original.cores)
        #expect(loaded.caches == original.caches)
        #expect(loaded.allowedPUs == allowed)
        #expect(try TopologyLoader.load(.xml(path)) == loaded)
    }

    @Test func missingOrBrokenXMLNamesTheFile() throws {
        let missing = temporaryPath("missing.xml")
        #expect {
            try TopologyLoader.xml(path: missing)
        } throws: { error in
            (error as? RuntimeError)?.message.hasPrefix("--xml '\(missing)': cannot read the file") == true
        }
        let broken = temporaryPath("broken.xml")
        defer { try? FileManager.default.removeItem(atPath: broken) }
        try "<topology><object type=\"Banana\"".write(toFile: broken, atomically: true, encoding: .utf8)
        #expect {
            try TopologyLoader.xml(path: broken)
        } throws: { error in
            let error = error as? RuntimeError
            return error?.code == .invalidTopology
                && error?.message.hasPrefix("--xml '\(broken)': hwloc cannot") == true
        }
    }

    @Test func realMachineHonoursTheProcessAffinity() throws {
        let machine = try TopologyLoader.real()
        #expect(machine.source == .real)
        #expect(machine.isThisSystem)
        #expect(!machine.cores.isEmpty)
        #expect(!machine.numaNodes.isEmpty)
        let nodes = Set(machine.numaNodes.map(\.index))
        #expect(machine.cores.allSatisfy { nodes.contains($0.numaNode) && !$0.pus.isEmpty })
        // Under `taskset -c 1 …` this is [1]: the allowed set is the process's affinity.
        #expect(machine.allowedPUs == (try processAllowedCPUs()))
        #expect(Set(machine.allowedPUs).isSubset(of: machine.allPUs))
    }

    @Test func formatsCPUListsLikeTaskset() {
        #expect(formatCPUList([]) == "none")
        #expect(formatCPUList([3]) == "3")
        #expect(formatCPUList([11, 0, 1, 2, 3, 8, 10, 3]) == "0-3,8,10-11")
    }
}
