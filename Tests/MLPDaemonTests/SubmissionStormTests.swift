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

    /// Submits `total` jobs named `prefix-i`, `inFlight` at a time (a new one as each returns);
    /// returns the acknowledged (201) ones as name → id. `onAck` runs after each
    /// acknowledgement with the number so far.
    func storm(_ client: DaemonClient, prefix: String, total: Int = Self.count, inFlight: Int = Self.count,
               onAck: @escaping @Sendable (Int) -> Void = { _ in }) async -> [String: String] {
        let yaml = digitsJob(epochs: 1)
        let acked = Acknowledged()
        let submit = { @Sendable (i: Int) async in
            let name = "\(prefix)-\(i)"
            guard let record = try? await client.submit(yaml: yaml, file: "job.yaml", name: name) else { return }
            onAck(acked.add(name, record.id))
        }
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(inFlight, total) {
                group.addTask { [next] in await submit(next) }
                next += 1
            }
            while next < total, await group.next() != nil {
                group.addTask { [next] in await submit(next) }
                next += 1
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

        // Phase 2: 2000 more, 200 in flight at a time; SIGKILL once 60 are acknowledged. (With
        // all of a 200-job storm sent at once, a loaded machine could acknowledge every one
        // before the client saw the 60th answer, so the kill cut nothing.)
        let pid = daemon.process.processIdentifier
        let secondTotal = 10 * Self.count
        let second = await storm(daemon.client, prefix: "b", total: secondTotal) { n in if n == 60 { kill(pid, SIGKILL) } }
        _ = await daemon.waitForExit(timeout: .seconds(10))
        #expect(second.count >= 60 && second.count < secondTotal, "the kill should cut the storm: \(second.count) acknowledged")

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
