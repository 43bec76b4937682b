import Foundation
import MLPDaemon
import MLPTraining
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real `mlpd serve` under a stand-in for systemd: notifications, SIGTERM with a
/// checkpoint, resume at the next start, SIGHUP reload.
@Suite(.serialized) struct LifecycleTests {
    @Test func notifiesAndStopsCleanlyOnSIGTERMThenResumes() async throws {
        let scratch = try Scratch()
        let notify = try NotifyListener(path: scratch.file("notify.sock"))
        defer { notify.close() }
        // Watchdog 0.4 s: pings every 0.2 s. Steps slowed to 40 ms (87 steps ≥ 3.5 s), so that
        // SIGTERM lands mid-run even though STATUS comes only once a second and the test waits
        // 0.5 s for pings: at 15 ms a loaded CI machine finished the job first.
        let environment = ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"]
        let daemon = try DaemonProcess(
            scratch: scratch, extraConfig: "checkpoint: {every_steps: 4, every_seconds: null, keep: 2}\ntesting: {step_delay_ms: 40}",
            environment: environment)
        try await notify.waitFor("READY=1")
        try await daemon.waitUntilServing()
        // Idle: the idle loop pings the watchdog.
        try await notify.waitFor("WATCHDOG=1")

        let job = try await daemon.client.submit(yaml: digitsJob(), file: "job.yaml")
        let running = try await daemon.waitForJob(job.id) { ($0.progress?.globalStep ?? 0) >= 10 }
        #expect(running.state == .running)
        let status = try await notify.waitFor("STATUS=job \(job.id): epoch")
        #expect(status.contains("cost"))
        let pingsBefore = notify.all.filter { $0.contains("WATCHDOG=1") }.count
        try await Task.sleep(for: .milliseconds(500))
        #expect(notify.all.filter { $0.contains("WATCHDOG=1") }.count > pingsBefore, "the training loop pings")

        let sent = ContinuousClock.now
        daemon.signal(SIGTERM)
        let status0 = await daemon.waitForExit(timeout: .seconds(15))
        #expect(status0 == 0, "exit status after SIGTERM\n\(daemon.log)")
        let took = ContinuousClock.now - sent
        #expect(took < .seconds(5), "stopped in \(took)")
        try await notify.waitFor("STOPPING=1")

        // A checkpoint of the interrupted epoch is on disk and the job is still recorded running.
        let directory = scratch.file("state/jobs/\(job.id)")
        let store = CheckpointStore(directory: directory + "/checkpoints", keep: 2)
        let newest = try Checkpoint.read(path: try #require(store.files().first))
        #expect(newest.globalStep >= 10 && newest.globalStep < 87)
        let record = try JobRecord.decoder().decode(
            JobRecord.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/job.json")))
        #expect(record.state == .running)
        #expect(!FileManager.default.fileExists(atPath: directory + "/model.safetensors"))

        // Next start: the job resumes from that checkpoint and finishes; SIGHUP reloads.
        let restarted = try DaemonProcess(scratch: scratch, environment: environment, logName: "daemon2.log")
        defer { restarted.kill9() }
        try await restarted.waitUntilServing()
        let done = try await restarted.waitForJob(job.id) { $0.state.isTerminal }
        #expect(done.state == .succeeded, "\(done.error ?? "")\n\(restarted.log)")
        #expect(done.resumedFromStep == newest.globalStep)
        #expect(done.starts == 2)
        #expect(done.epochs.count == 3)

        let before = notify.all.count
        restarted.signal(SIGHUP)
        let reloading = try await notify.waitFor("RELOADING=1", after: before)
        #expect(!reloading.isEmpty)
        try await notify.waitFor("READY=1", after: before + 1)
        #expect(restarted.process.isRunning)
        restarted.signal(SIGTERM)
        #expect(await restarted.waitForExit(timeout: .seconds(15)) == 0)
    }

    /// The watchdog is fed by progress only: while one step hangs (here a 700 ms step against a
    /// 200 ms watchdog) no ping goes out, so systemd would restart the daemon; idle, the pings
    /// come every 100 ms.
    @Test func watchdogPingsStopWhileAStepHangs() async throws {
        let scratch = try Scratch()
        let notify = try NotifyListener(path: scratch.file("notify.sock"))
        defer { notify.close() }
        let daemon = try DaemonProcess(
            scratch: scratch, extraConfig: "testing: {step_delay_ms: 700}",
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "200000"])
        defer { daemon.kill9() }
        try await daemon.waitUntilServing()
        func pings(during window: Duration) async throws -> Int {
            let before = notify.all.filter { $0 == "WATCHDOG=1" }.count
            try await Task.sleep(for: window)
            return notify.all.filter { $0 == "WATCHDOG=1" }.count - before
        }
        let idle = try await pings(during: .milliseconds(1000))
        #expect(idle >= 5, "idle pings in 1 s: \(idle)")
        let job = try await daemon.client.submit(yaml: digitsJob(epochs: 1), file: "job.yaml")
        _ = try await daemon.waitForJob(job.id) { ($0.progress?.globalStep ?? 0) >= 1 }
        let hanging = try await pings(during: .milliseconds(2100))
        #expect(hanging <= 4, "pings in 2.1 s of 700 ms steps: \(hanging)")
        #expect(hanging >= 1, "each completed step pings")
    }
}
