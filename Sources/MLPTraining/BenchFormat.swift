import Foundation

/// The terminal table and CSV of a `Benchmark.Report`.
public enum BenchFormat {
    /// The header (workload, method, machine fingerprint) and one row per thread count.
    public static func table(_ report: Benchmark.Report) -> String {
        var out = "workload \(report.layers.map(String.init).joined(separator: "-")), batch \(report.batchSize), "
            + "\(report.flopsPerExample) FLOP per example; median of \(report.repeats) rounds of \(report.steps) steps "
            + "after \(report.warmup) warm-up\n"
        out += "machine: \(report.machine.summary)\n"
        out += "ceiling: mlpd's GEMM, \(report.ceilingShape.map(String.init).joined(separator: "×")) per worker, "
            + "on the same workers in every round\n"
        let ranks = report.results.contains { $0.ranks > 1 }
        out += (ranks ? "ranks  " : "") + "threads  examples/s  GFLOP/s  ceiling  % ceil  speedup  effic.  serial  forward  backward  reduce  update"
            + "   wait  coord µs" + (ranks ? "    MPI  MPI ms/step" : "") + "  reduction\n"
        for r in report.results {
            let serial = r.serialFraction.map { String(format: "%.3f", $0) } ?? "-"
            if ranks { out += String(format: "%5d  ", r.ranks) }
            out += String(format: "%7d  %10.0f  %7.1f  %7.1f  %5.1f%%  %7.2f  %6.2f  ", r.threads, r.examplesPerSecond,
                          r.gflops, r.ceilingGflops, 100 * r.ceilingShare, r.speedup, r.efficiency)
                + serial.padding(toLength: 6, withPad: " ", startingAt: 0)
                + String(format: "  %6.1f%%  %7.1f%%  %5.1f%%  %5.1f%%  %4.1f%%  %8.1f", 100 * r.forwardShare,
                         100 * r.backwardShare, 100 * r.reductionShare, 100 * r.updateShare, 100 * r.waitingShare,
                         r.coordinationMicroseconds)
                + (ranks ? String(format: "  %5.1f%%  %11.2f", 100 * r.communicationShare, r.communicationMilliseconds) : "")
                + "  \(r.reduction)\n"
        }
        return out
    }

    static let csvColumns = [
        "threads", "examples_per_second", "gflops", "ceiling_gflops", "ceiling_share", "speedup", "efficiency",
        "serial_fraction", "forward_share", "backward_share", "reduction_share", "update_share", "waiting_share",
        "coordination_us", "layers", "batch_size", "flops_per_example", "steps", "repeats", "cpu_model", "cores", "pus",
        "numa_nodes", "isa_compiled", "isa_available", "compiler", "ranks", "communication_share",
        "communication_ms_per_step", "reduction",
    ]

    /// One line per thread count; the workload and machine repeat on every line so that each
    /// line stands alone (RFC 4180 quoting where needed).
    public static func csv(_ report: Benchmark.Report) -> String {
        let m = report.machine
        var out = csvColumns.joined(separator: ",") + "\n"
        for r in report.results {
            let fields: [String] = [
                String(r.threads), "\(r.examplesPerSecond)", "\(r.gflops)", "\(r.ceilingGflops)", "\(r.ceilingShare)",
                "\(r.speedup)", "\(r.efficiency)", r.serialFraction.map { "\($0)" } ?? "", "\(r.forwardShare)",
                "\(r.backwardShare)", "\(r.reductionShare)", "\(r.updateShare)", "\(r.waitingShare)",
                "\(r.coordinationMicroseconds)", report.layers.map(String.init).joined(separator: "-"),
                String(report.batchSize), String(report.flopsPerExample), String(report.steps), String(report.repeats),
                m.cpuModel, String(m.cores), String(m.pus), String(m.numaNodes), m.isaCompiled, m.isaAvailable, m.compiler,
                String(r.ranks), "\(r.communicationShare)", "\(r.communicationMilliseconds)", r.reduction,
            ]
            out += fields.map(quote).joined(separator: ",") + "\n"
        }
        return out
    }

    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
