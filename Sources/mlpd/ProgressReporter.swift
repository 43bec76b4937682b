import Foundation
import MLPTraining

/// On a terminal: a live progress line on stderr (epoch, step, loss, examples/s, ETA), redrawn
/// at most ten times a second. Always: one line per epoch on stdout.
final class ProgressReporter: TrainingObserver {
    let interactive: Bool
    /// Prints nothing (MPI ranks other than 0).
    let quiet: Bool
    private var lastDraw = ContinuousClock.now
    private var lineShown = false

    init(interactive: Bool, quiet: Bool = false) {
        self.interactive = interactive
        self.quiet = quiet
    }

    func stepCompleted(_ p: StepProgress) {
        guard interactive, ContinuousClock.now - lastDraw > .milliseconds(100) else { return }
        lastDraw = ContinuousClock.now
        let line = String(format: "epoch %d/%d  step %d/%d  loss %.5f  %.0f ex/s  ETA %@",
                          p.epoch, p.totalEpochs, p.stepInEpoch, p.stepsPerEpoch, p.meanCost,
                          p.examplesPerSecond, Self.duration(p.secondsRemaining))
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
        lineShown = true
    }

    func epochCompleted(_ m: EpochMetrics, of totalEpochs: Int) {
        guard !quiet else { return }
        clearLine()
        var line = String(format: "epoch %d/%d  train_cost %.6f", m.epoch, totalEpochs, m.trainCost)
        if let a = m.trainAccuracy { line += String(format: "  train_acc %.4f", a) }
        if let c = m.testCost { line += String(format: "  test_cost %.6f", c) }
        if let a = m.testAccuracy { line += String(format: "  test_acc %.4f", a) }
        line += String(format: "  %.0f ex/s  lr %g", m.examplesPerSecond, m.learningRate)
        print(line)
        fflush(nil)  // one line per epoch, visible at once in logs (stdout is block-buffered there)
    }

    func finish() { clearLine() }

    private func clearLine() {
        if lineShown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        lineShown = false
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}
