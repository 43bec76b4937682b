import Foundation
import Logging
import MLPConfig
import MLPTraining

/// The training worker: one dedicated thread that takes jobs off the queue one at a time and
/// runs them, and that pings the watchdog from its idle wait.
extension Daemon {
    /// The worker thread's body: wait for a job (pinging the watchdog), run it, record how it
    /// ended; until `stop()`.
    func workerLoop() {
        while let (record, resume, settings) = nextJob() {
            let ended = run(record, resume: resume, settings: settings)
            lock.guarded {
                do {
                    try store.save(ended)
                } catch {
                    logger.error("\(error)")
                }
                queue.finishRunning(ended)
                control = nil
                cancelRequested.remove(ended.id)
                metrics.recordQueue(queue)
            }
            notifier.status(statusLine)
        }
        let waiters = lock.guarded {
            workerExited = true
            defer { exitWaiters = [] }
            return exitWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Blocks until there is a job to run (then marks it running, durably) or the daemon stops
    /// (then nil). While idle it wakes at half the watchdog interval (or every second) to ping.
    private func nextJob() -> (JobRecord, resume: Bool, settings: DaemonConfig)? {
        // Wake at the watchdog's ping interval, or every second without a watchdog.
        let wake = notifier.watchdogPingInterval.map { max(0.01, $0.inSeconds) } ?? 1
        lock.lock()
        defer { lock.unlock() }
        while true {
            if stopping { return nil }
            if config.startJobs, let (record, resume) = queue.startNext(now: Date()) {
                do {
                    try store.save(record)
                } catch {
                    // Not durably running: give up on this job rather than run it unrecorded.
                    var failed = record
                    failed.state = JobState.failed
                    failed.finishedAt = Date()
                    failed.error = "could not record the start: \(error)"
                    logger.error("job \(record.id): \(failed.error!)")
                    queue.finishRunning(failed)
                    try? store.save(failed)
                    continue
                }
                let control = RunControl()
                self.control = control
                metrics.recordQueue(queue)
                return (record, resume, config)
            }
            lock.unlock()
            notifier.watchdogPing()
            lock.lock()
            if !stopping { _ = lock.wait(until: Date(timeIntervalSinceNow: wake)) }
        }
    }

    /// Runs one job to its end (or to a stop) and returns its final record. Never throws: a
    /// failing job fails alone, with its error recorded.
    private func run(_ started: JobRecord, resume: Bool, settings: DaemonConfig) -> JobRecord {
        var record = started
        let id = record.id
        guard let control = lock.guarded({ self.control }) else { preconditionFailure("nextJob sets the control") }
        do {
            let yaml = try store.yaml(of: id)
            let roots = lock.guarded { self.roots }
            var config = try JobSubmission.configuration(
                yaml: yaml, file: record.file, workingDirectory: record.workingDirectory, jobDirectory: record.directory,
                roots: roots)
            // The daemon owns the machine: its thread count replaces the job's.
            if let threads = settings.parallelThreads { config.parallel.threads = .count(threads) }
            notifier.watchdogPing()
            let prepared = try PreparedRun(config: config)
            notifier.watchdogPing()
            let checkpoints = CheckpointStore(
                directory: (record.directory as NSString).appendingPathComponent("checkpoints"), keep: settings.checkpoint.keep)
            control.checkpointStore = checkpoints
            control.checkpointEverySteps = settings.checkpoint.everySteps
            control.checkpointInterval = settings.checkpoint.everySeconds.map { .milliseconds(Int64($0 * 1000)) }
            var offset = 0
            record.resumedFromStep = nil
            if resume, let latest = checkpoints.latest(configHash: TrainingRun.checkpointHash(config)) {
                for skipped in latest.skipped { logger.warning("job \(id): skipped checkpoint \(skipped)") }
                control.resume = latest.checkpoint
                offset = latest.checkpoint.globalStep
                record.resumedFromStep = offset
                record.epochs = latest.checkpoint.history
            } else {
                record.epochs = []
            }
            record.progress = nil
            lock.guarded { queue.update(record) }
            let what = offset > 0 ? "resumed from step \(offset)" : (resume ? "restarted from the beginning (no checkpoint)" : "started")
            store.appendLog(id, "\(what): \(prepared.network.sizes.map(String.init).joined(separator: "-")) on \(prepared.train.count) examples")
            logger.info("job \(id) \(what)")
            notifier.status(statusLine)

            let observer = JobObserver(daemon: self, id: id, stepDelayMilliseconds: settings.stepDelayMilliseconds)
            let run = TrainingRun(prepared: prepared)
            observer.trainer = run.trainer
            for warning in prepared.placement.warnings + run.trainer.pool.warnings { logger.warning("job \(id): \(warning)") }
            let outcome = try run.run(observer: observer, control: control)
            record = lock.guarded { queue.records[id]! }
            switch outcome {
            case .finished(let summary):
                record.state = .succeeded
                record.summary = summary
                record.finishedAt = Date()
                store.appendLog(id, "succeeded: \(summary.steps) steps in \(String(format: "%.2f", summary.trainingSeconds)) s")
                logger.info("job \(id) succeeded")
            case .stopped(let checkpoint):
                if lock.guarded({ cancelRequested.contains(id) }) {
                    record.state = .cancelled
                    record.finishedAt = Date()
                    store.appendLog(id, "cancelled while running")
                    logger.info("job \(id) cancelled")
                } else {
                    // The daemon is stopping: the job stays running on disk and resumes next start.
                    let at = checkpoint.map { ($0 as NSString).lastPathComponent } ?? "no checkpoint"
                    store.appendLog(id, "stopped for daemon shutdown (\(at)); resumes at the next start")
                    logger.notice("job \(id) stopped for shutdown, checkpoint \(checkpoint ?? "none")")
                }
            }
        } catch {
            record = lock.guarded { queue.records[id]! }
            record.state = .failed
            record.finishedAt = Date()
            record.error = "\(error)"
            store.appendLog(id, "failed: \(error)")
            logger.error("job \(id) failed: \(error)")
        }
        return record
    }

    /// Records a step's progress of job `id` (memory and metrics only).
    func publish(_ progress: JobProgress, of id: String) {
        lock.guarded {
            guard var record = queue.records[id] else { return }
            record.progress = progress
            queue.update(record)
        }
        metrics.recordProgress(progress)
    }

    /// Records a finished epoch of job `id`.
    func publish(epoch: EpochMetrics, of id: String) {
        lock.guarded {
            guard var record = queue.records[id] else { return }
            record.epochs.append(epoch)
            queue.update(record)
        }
    }
}
