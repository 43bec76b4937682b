import Foundation
import MLPDaemon
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// 200 concurrent submissions over the socket: every acknowledged job is recorded exactly once,
/// also when the daemon is killed with submissions in flight.
@Suite(.serialized) struct SubmissionStormTests {
    static let count = 200

    /// Submits `count` jobs at once, named `prefix-i`; returns the acknowledged (201) ones as
    /// name → id. `onAck` runs after each acknowledgement with the number so far.
    func storm(_ client: DaemonClient, prefix: String, onAck: @escaping @Sendable (Int) -> Void = { _ in }) async -> [String: String] {
        let yaml = digitsJob(epochs: 1)
        let acked = Acknowledged()
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<Self.count {
                group.addTask {
                    let name = "\(prefix)-\(i)"
                    guard let record = try? await client.submit(yaml: yaml, file: "job.yaml", name: name) else { return }
                    let n = acked.add(name, record.id)
                    onAck(n)
                }
            }
        }
        return acked.all
    }

    @Test func concurrentSubmissionsAreRecordedOnceAcrossAKill() async throws {
        let scratch = try Scratch()
        let config = "start_jobs: false\nqueue_limit: 10000"
        let daemon = try DaemonProcess(scratch: scratch, extraConfig: config)
        try await daemon.waitUntilServing()

        // Phase 1: all 200 acknowledged, all listed once.
        let first = await storm(daemon.client, prefix: "a")
        #expect(first.count == Self.count)
        let listed = try await daemon.client.jobs()
        #expect(listed.count == Self.count)
        #expect(Set(listed.map(\.id)) == Set(first.values))
        #expect(listed.allSatisfy { $0.state == .queued })
        #expect(listed.map(\.id) == listed.map(\.id).sorted())

        // Phase 2: SIGKILL once 60 of the next 200 are acknowledged.
        let pid = daemon.process.processIdentifier
        let second = await storm(daemon.client, prefix: "b") { n in if n == 60 { kill(pid, SIGKILL) } }
        _ = await daemon.waitForExit(timeout: .seconds(10))
        #expect(second.count >= 60 && second.count < Self.count, "the kill should cut the storm: \(second.count) acknowledged")

        let restarted = try DaemonProcess(scratch: scratch, extraConfig: config, logName: "daemon2.log")
        defer { restarted.kill9() }
        try await restarted.waitUntilServing()
        let after = try await restarted.client.jobs()
        let ids = after.map(\.id)
        #expect(Set(ids).count == ids.count, "no identifier twice")
        let names = after.compactMap(\.name)
        #expect(Set(names).count == names.count, "no submission recorded twice")
        let byName = Dictionary(after.map { ($0.name ?? "", $0.id) }, uniquingKeysWith: { a, _ in a })
        for (name, id) in first.merging(second, uniquingKeysWith: { a, _ in a }) {
            #expect(byName[name] == id, "acknowledged \(name) as \(id) is missing or changed")
        }
        // Unfinished submission folders are gone: every folder has its job.json.
        let folders = try FileManager.default.contentsOfDirectory(atPath: scratch.file("state/jobs"))
        #expect(folders.count == after.count)
        print("storm: \(first.count) + \(second.count) acknowledged, \(after.count) recorded after the kill")

        // New identifiers after the restart sort after all earlier ones.
        let next = try await restarted.client.submit(yaml: digitsJob(epochs: 1), file: "job.yaml", name: "c-0")
        #expect(next.id > ids.max()!)
    }
}

/// Acknowledged submissions, name → id, filled from concurrent tasks.
final class Acknowledged: Sendable {
    private let storage = Mutex<[String: String]>([:])

    /// Records one; returns how many there are now.
    func add(_ name: String, _ id: String) -> Int {
        storage.withLock {
            $0[name] = id
            return $0.count
        }
    }

    var all: [String: String] { storage.withLock { $0 } }
}
