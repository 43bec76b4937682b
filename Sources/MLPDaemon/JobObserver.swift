import Foundation
import MLPTraining

/// Watches one run on the training thread: publishes each step's progress to the daemon
/// (record, metrics, `STATUS=`), pings the watchdog — only here and in the idle loop, so a step
/// that hangs stops the pings — and writes epochs and checkpoints to the job's log.
final class JobObserver: TrainingObserver {
    let daemon: Daemon
    let id: String
    let stepDelay: Duration?
    private var steps = 0
    /// The run's trainer, for per-worker phase times (set once the run exists).
    var trainer: Trainer?
    private var reported: [Trainer.PhaseTimes] = []
    private var lastStatus: ContinuousClock.Instant?
    private static let statusInterval = Duration.seconds(1)

    init(daemon: Daemon, id: String, stepDelayMilliseconds: Int) {
        self.daemon = daemon
        self.id = id
        stepDelay = stepDelayMilliseconds > 0 ? .milliseconds(stepDelayMilliseconds) : nil
    }

    func stepCompleted(_ p: StepProgress) {
        let now = ContinuousClock.now
        recordWorkerTimes()
        steps += 1
        let progress = JobProgress(
            epoch: p.epoch, totalEpochs: p.totalEpochs, stepInEpoch: p.stepInEpoch, stepsPerEpoch: p.stepsPerEpoch,
            globalStep: (p.epoch - 1) * p.stepsPerEpoch + p.stepInEpoch, cost: p.meanCost,
            examplesPerSecond: p.examplesPerSecond, secondsRemaining: p.secondsRemaining)
        daemon.publish(progress, of: id)
        daemon.notifier.watchdogPing()
        if lastStatus.map({ now - $0 >= Self.statusInterval }) ?? true {
            lastStatus = now
            daemon.notifier.status(daemon.statusLine)
        }
        if let stepDelay { Thread.sleep(forTimeInterval: seconds(stepDelay)) }
    }

    /// Adds each worker's compute and reduction time since the last report to the counters.
    private func recordWorkerTimes() {
        guard let trainer else { return }
        let now = trainer.workerSeconds
        if reported.count != now.count { reported = Array(repeating: Trainer.PhaseTimes(), count: now.count) }
        var reduction = 0.0
        for (w, times) in now.enumerated() {
            let since = times - reported[w]
            daemon.metrics.busySeconds(worker: w).increment(by: since.compute + since.reduction + since.update)
            reduction += since.reduction + since.update
        }
        daemon.metrics.reductionSeconds.increment(by: reduction)
        reported = now
    }

    func epochCompleted(_ m: EpochMetrics, of totalEpochs: Int) {
        daemon.publish(epoch: m, of: id)
        daemon.notifier.watchdogPing()
        var line = String(format: "epoch %d/%d train_cost %.6f", m.epoch, totalEpochs, m.trainCost)
        if let a = m.trainAccuracy { line += String(format: " train_acc %.4f", a) }
        if let c = m.testCost { line += String(format: " test_cost %.6f", c) }
        if let a = m.testAccuracy { line += String(format: " test_acc %.4f", a) }
        line += String(format: " %.0f ex/s", m.examplesPerSecond)
        daemon.store.appendLog(id, line)
        daemon.logger.info("job \(id): \(line)")
    }

    func checkpointWritten(path: String, step: Int) {
        daemon.notifier.watchdogPing()
        daemon.store.appendLog(id, "checkpoint at step \(step): \((path as NSString).lastPathComponent)")
        daemon.logger.debug("job \(id): checkpoint at step \(step)", metadata: ["path": "\(path)"])
    }

    private func seconds(_ d: Duration) -> Double { d.inSeconds }
}

extension Duration {
    /// The duration as a number of seconds.
    var inSeconds: Double {
        let (s, a) = components
        return Double(s) + Double(a) * 1e-18
    }
}
