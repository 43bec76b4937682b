import Foundation
import MLPDaemon
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The client subcommands against a real daemon, and cancelling a running job.
@Suite(.serialized) struct ClientCommandTests {
    /// Runs `mlpd ARGS` in `directory`; returns status, stdout and stderr.
    func mlpd(_ arguments: [String], in directory: String) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = scratchFile(), err = scratchFile()
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: err) }
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOfFile: out, encoding: .utf8), try String(contentsOfFile: err, encoding: .utf8))
    }

    func scratchFile() -> String {
        let path = "/tmp/mlpdd-out-\(UInt64.random(in: 0 ... .max))"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return path
    }

    @Test func submitWaitStatusJobsAndCancel() async throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(
            scratch: scratch, extraConfig: "checkpoint: {every_steps: 5, every_seconds: null, keep: 2}\ntesting: {step_delay_ms: 10}")
        defer { daemon.kill9() }
        try await daemon.waitUntilServing()
        // A relative data path resolves against the directory submit runs in.
        let job = try scratch.write("job.yaml", digitsJob(epochs: 1).replacingOccurrences(of: Paths.digits, with: "data/digits.csv.gz"))
        let submitted = try mlpd(["submit", job, "--wait", "--name", "first", "--socket", daemon.socket], in: Paths.repository.path)
        #expect(submitted.status == 0, "\(submitted.err)")
        let id = String(submitted.out.split(separator: "\n").first ?? "")
        #expect(submitted.out.contains("job \(id) succeeded"), "\(submitted.out)")

        let status = try mlpd(["status", id, "--json", "--socket", daemon.socket], in: scratch.path)
        let record = try JobRecord.decoder().decode(JobRecord.self, from: Data(status.out.utf8))
        #expect(record.state == .succeeded && record.name == "first" && record.epochs.count == 1)
        let listed = try mlpd(["jobs", "--socket", daemon.socket], in: scratch.path)
        #expect(listed.out.contains(id) && listed.out.contains("succeeded") && listed.out.contains("first"))

        // Cancel a running job: it stops after its current step and is cancelled for good.
        let second = try await daemon.client.submit(yaml: digitsJob(epochs: 3), file: "job.yaml")
        _ = try await daemon.waitForJob(second.id) { ($0.progress?.globalStep ?? 0) >= 3 }
        let cancelled = try mlpd(["cancel", second.id, "--socket", daemon.socket], in: scratch.path)
        #expect(cancelled.out == "job \(second.id) cancelled\n", "\(cancelled.out)\(cancelled.err)")
        let watched = try mlpd(["watch", second.id, "--socket", daemon.socket], in: scratch.path)
        #expect(watched.status == 1 && watched.out.contains("job \(second.id) cancelled"))
        let unknown = try mlpd(["status", "20200101-000000-000000", "--socket", daemon.socket], in: scratch.path)
        #expect(unknown.status == 1 && unknown.err == "mlpd: error: no job 20200101-000000-000000\n")
        let unreachable = try mlpd(["jobs", "--socket", scratch.file("nothing.sock")], in: scratch.path)
        #expect(unreachable.status == 1 && unreachable.err.contains("cannot reach the daemon at \(scratch.file("nothing.sock"))"))

        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(timeout: .seconds(15)) == 0)
        let restarted = try DaemonProcess(scratch: scratch, logName: "daemon2.log")
        defer { restarted.kill9() }
        try await restarted.waitUntilServing()
        #expect(try await restarted.client.job(second.id).state == .cancelled)
        #expect(try await restarted.client.job(id).state == .succeeded)
    }
}
