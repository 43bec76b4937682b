import Foundation
import Testing

/// `mlpd train configs/mnist.yaml --threads N` writes the same model bytes for every N
/// (8 oversubscribes this 2-core machine), and `mlpd topology` plans big machines.
@Suite struct ThreadInvarianceTests {
    @Test func modelBytesDoNotDependOnTheThreadCount() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var models: [Int: Data] = [:]
        for threads in [1, 2, 3, 4, 8] {
            let result = try CLI.run(["train", "configs/mnist.yaml", "--threads", "\(threads)", "--set", "train.epochs=2",
                                      "--set", "output.dir=\(dir.path("t\(threads)"))"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("with \(threads) thread"))
            models[threads] = try Data(contentsOf: URL(fileURLWithPath: dir.path("t\(threads)/model.safetensors")))
        }
        for threads in [2, 3, 4, 8] { #expect(models[threads] == models[1], "\(threads) threads") }
    }

    @Test func topologyPlansASyntheticServer() throws {
        let result = try CLI.run(["topology", "--synthetic", "package:2 numa:2 core:8 pu:2", "--threads", "16", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let plan = try #require(report["plan"] as? [String: Any])
        let workers = try #require(plan["workers"] as? [[String: Any]])
        #expect(workers.count == 16)
        let nodes = workers.compactMap { $0["numaNode"] as? Int ?? $0["numa_node"] as? Int }
        #expect(nodes.count == 16)
        for node in 0..<4 { #expect(nodes.filter { $0 == node }.count == 4) }
        let pus = workers.compactMap { $0["pu"] as? Int }
        #expect(Set(pus.map { $0 / 2 }).count == 16, "one worker per physical core")
        let text = try CLI.run(["topology", "--synthetic", "package:2 numa:2 core:8 pu:2", "--threads", "16"])
        #expect(text.stdout.contains("auto uses the tree above (the workers span 4 NUMA nodes)"), "\(text.stdout)")
        let oneNode = try CLI.run(["topology", "--synthetic", "package:1 core:4 pu:1", "--threads", "4"])
        #expect(oneNode.stdout.contains("auto uses shared (all workers on one NUMA node)"), "\(oneNode.stdout)")
        let bad = try CLI.run(["topology", "--synthetic", "package:2 nuna:2"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("nuna"))
    }
}
