import Foundation
import MLPDaemon
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SIGKILL at a random step in the middle of an epoch, restart: the job resumes from its last
/// checkpoint and ends with a model whose bytes equal those of an uninterrupted run.
@Suite(.serialized) struct ResumeAfterKillTests {
    /// A small seeded generator (SplitMix64), so the kill step is reproducible: set
    /// `MLPD_TEST_SEED` to repeat a run.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func killedJobResumesToTheSameModelBytes() async throws {
        let seed = ProcessInfo.processInfo.environment["MLPD_TEST_SEED"].flatMap(UInt64.init) ?? 20261130
        var random = SplitMix(state: seed)
        let stepsPerEpoch = 29, epochs = 3
        // A step strictly inside an epoch (not its first or last), past the first checkpoint.
        var target: Int
        repeat { target = Int.random(in: 5..<(stepsPerEpoch * epochs - 2), using: &random) } while target % stepsPerEpoch < 2
        let scratch = try Scratch()

        // The uninterrupted reference: mlpd train on the same job.
        let reference = try scratch.write("reference.yaml", digitsJob(epochs: epochs, extra: "output: {dir: \(scratch.file("reference"))}"))
        let train = Process()
        train.executableURL = URL(fileURLWithPath: Paths.binary)
        train.arguments = ["train", reference]
        train.standardOutput = FileHandle.nullDevice
        try train.run()
        train.waitUntilExit()
        #expect(train.terminationStatus == 0)

        let config = "checkpoint: {every_steps: 3, every_seconds: null, keep: 2}\ntesting: {step_delay_ms: 40}"
        let daemon = try DaemonProcess(scratch: scratch, extraConfig: config)
        try await daemon.waitUntilServing()
        let job = try await daemon.client.submit(yaml: digitsJob(epochs: epochs), file: "job.yaml")
        let seen = try await daemon.waitForJob(job.id, pollEvery: .milliseconds(2)) {
            ($0.progress?.globalStep ?? 0) >= target || $0.state.isTerminal
        }
        daemon.signal(SIGKILL)
        _ = await daemon.waitForExit(timeout: .seconds(10))
        let killedAt = try #require(seen.progress?.globalStep)
        #expect(seen.state == .running, "killed while running")
        // The newest checkpoint on disk is where the job must resume.
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: job.directory + "/checkpoints").sorted()
        let newest = try #require(checkpoints.last.flatMap { Int($0.dropFirst(5).prefix(10)) })

        let restarted = try DaemonProcess(scratch: scratch, extraConfig: config, logName: "daemon2.log")
        defer { restarted.kill9() }
        try await restarted.waitUntilServing()
        let done = try await restarted.waitForJob(job.id) { $0.state.isTerminal }
        #expect(done.state == .succeeded, "\(done.error ?? "")\n\(restarted.log)")
        let resumedFrom = try #require(done.resumedFromStep, "seed \(seed), target \(target), killed at \(killedAt)")
        #expect(resumedFrom == newest)
        #expect(resumedFrom >= killedAt - 3 && resumedFrom < stepsPerEpoch * epochs && resumedFrom % 3 == 0)
        print("resume test: seed \(seed), target step \(target), killed at step ≥ \(killedAt), resumed from \(resumedFrom)")

        let a = try Data(contentsOf: URL(fileURLWithPath: scratch.file("reference/model.safetensors")))
        let b = try Data(contentsOf: URL(fileURLWithPath: done.directory + "/model.safetensors"))
        #expect(a == b, "model bytes differ (seed \(seed), killed at \(killedAt), resumed from \(resumedFrom))")
    }
}
