import Foundation
import Prometheus

/// The daemon's Prometheus metrics, served as text at `GET /metrics`.
///
/// They live in one `PrometheusCollectorRegistry`; `mlpd serve` also bootstraps swift-metrics
/// with a `PrometheusMetricsFactory` over the same registry, so the HTTP server's request
/// metrics (Hummingbird's `MetricsMiddleware`) appear on the same page.
///
/// | name | type | meaning |
/// | --- | --- | --- |
/// | `mlpd_training_step` | gauge | global step of the running (or last) job |
/// | `mlpd_training_epoch` | gauge | 1-based epoch of the running (or last) job |
/// | `mlpd_training_cost` | gauge | mean cost J over the current epoch so far |
/// | `mlpd_training_examples_per_second` | gauge | throughput over the current epoch so far |
/// | `mlpd_worker_busy_seconds_total{worker}` | counter | seconds each training worker spent computing and reducing (not waiting at barriers) |
/// | `mlpd_reduction_seconds_total` | counter | seconds the workers spent in the upper reduction levels and the update, summed over workers |
/// | `mlpd_queue_length` | gauge | jobs waiting to run |
/// | `mlpd_jobs{state}` | gauge | jobs in each state |
/// | `mlpd_jobs_submitted_total` | counter | jobs accepted since the daemon started |
public final class DaemonMetrics: @unchecked Sendable {  // mutable state: busyCounters, under busyLock
    /// The registry the metrics are in.
    public let registry: PrometheusCollectorRegistry
    let step, epoch, cost, examplesPerSecond, queueLength: Gauge
    let reductionSeconds, submitted: Counter
    private var busyCounters: [Int: Counter] = [:]
    private let busyLock = NSLock()
    let jobs: [JobState: Gauge]

    /// Registers the metrics in `registry`.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        /// `mlpd_<subsystem>_<name>_<unit>`; an empty unit is left out.
        func name(_ subsystem: String, _ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "mlpd", subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
        }
        step = registry.makeGauge(descriptor: name("training", "step", "", "Global step of the running (or last) job."))
        epoch = registry.makeGauge(descriptor: name("training", "epoch", "", "1-based epoch of the running (or last) job."))
        cost = registry.makeGauge(descriptor: name("training", "cost", "", "Mean cost J over the current epoch so far."))
        examplesPerSecond = registry.makeGauge(
            descriptor: name("training", "examples_per", "second", "Training throughput over the current epoch so far."))
        reductionSeconds = registry.makeCounter(
            descriptor: name("", "reduction_seconds", "total",
                             "Seconds the workers spent in the upper reduction levels and the optimizer update, summed over workers."),
            labels: [])
        queueLength = registry.makeGauge(descriptor: name("queue", "length", "", "Jobs waiting to run."))
        submitted = registry.makeCounter(
            descriptor: name("jobs", "submitted", "total", "Jobs accepted since the daemon started."), labels: [])
        var jobs: [JobState: Gauge] = [:]
        for state in JobState.allCases {
            jobs[state] = registry.makeGauge(descriptor: name("", "jobs", "", "Jobs in each state."), labels: [("state", state.rawValue)])
        }
        self.jobs = jobs
        reductionSeconds.increment(by: 0.0)
        _ = busySeconds(worker: 0)   // listed from the start, like the other series
    }

    /// The busy-seconds counter of training worker `worker`.
    func busySeconds(worker: Int) -> Counter {
        busyLock.withLock {
            if let counter = busyCounters[worker] { return counter }
            let counter = registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "mlpd", subsystem: "worker", metricName: "busy_seconds", unitName: "total",
                    helpText: "Seconds each training worker spent computing and reducing (not waiting at barriers)."),
                labels: [("worker", "\(worker)")])
            busyCounters[worker] = counter
            return counter
        }
    }

    /// Sets the queue gauges from the queue's counts.
    func recordQueue(_ queue: JobQueue) {
        queueLength.set(Double(queue.waitingCount))
        for (state, count) in queue.countsByState { jobs[state]?.set(Double(count)) }
    }

    /// Sets the training gauges from a step's progress.
    func recordProgress(_ progress: JobProgress) {
        step.set(Double(progress.globalStep))
        epoch.set(Double(progress.epoch))
        cost.set(progress.cost)
        examplesPerSecond.set(progress.examplesPerSecond)
    }

    /// The metrics page in Prometheus text format.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
