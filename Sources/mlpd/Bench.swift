import ArgumentParser
import Foundation
import MLPConfig
import MLPRuntime
import MLPTraining

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training throughput and scaling with the thread count against the measured ceiling.",
        discussion: """
            CONFIG is a job config (data, output and epochs are ignored: the bench trains on \
            synthetic examples of the model's shape), e.g. configs/bench/small.yaml, wide.yaml, \
            large.yaml. GFLOP/s counts 2 per multiply-add: forward 2·Σ s_l s_(l+1), ∇W the same, \
            δ back-propagation 2·Σ_(l≥1) s_l s_(l+1). The ceiling is mlpd's own GEMM kernel on the \
            same workers, measured in every round; "% ceil" is GFLOP/s over that ceiling. \
            Under mpirun (a build with --traits MPI), --ranks 1,2,… measures scaling over the \
            job's first 1, 2, … ranks, each with --threads workers, and reports the time spent \
            exchanging gradients between ranks as "MPI"; rank 0 prints.
            """)

    @Argument(help: "The workload config.")
    var config: String

    @Option(help: "Thread counts, comma-separated (default: 1, 2, 4, … up to the allowed cores).")
    var threads: String?

    @Option(help: "MPI rank counts, comma-separated, each ≤ the ranks mpirun started (needs --traits MPI).")
    var ranks: String?

    @Option(help: "Timed steps per thread count.")
    var steps = 50

    @Option(help: "Untimed warm-up steps per thread count.")
    var warmup = 5

    @Option(help: "Rounds, alternating between the thread counts; each count reports its median round.")
    var repeats = 3

    @Option(name: .customLong("set"), help: "Override a config key (repeatable).")
    var overrides: [String] = []

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print CSV.")
    var csv = false

    @Option(help: "Also write a chart of speedup and efficiency against threads (SVG, written atomically).")
    var svg: String?

    func run() throws {
        try Ranks.running(bench)
    }

    private static func list(_ text: String, option: String) throws -> [Int] {
        let parsed = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("\(option) must be a comma-separated list of numbers ≥ 1 (got '\(text)')")
        }
        return parsed.map { $0! }
    }

    private func bench(group: (any ProcessGroup)?) throws {
        do {
            guard steps >= 1, warmup >= 0 else { throw ValidationError("--steps must be ≥ 1 and --warmup ≥ 0") }
            if let svg {
                let folder = (svg as NSString).deletingLastPathComponent
                guard FileManager.default.isWritableFile(atPath: folder.isEmpty ? "." : folder) else {
                    throw ValidationError("--svg \(svg): the folder \(folder.isEmpty ? "." : folder) does not exist or is not writable")
                }
            }
            let job = try Benchmark.loadConfig(path: config, overrides: overrides)
            let rankView = try Ranks.topology(group)
            let topology = try rankView?.topology ?? TopologyLoader.real()
            let cores = Set(topology.cores.filter { !Set($0.pus).isDisjoint(with: topology.allowedPUs) }.map(\.index)).count
            let counts: [Int]
            if let threads {
                counts = try Self.list(threads, option: "--threads")
            } else if ranks != nil {
                counts = [1]
            } else {
                counts = Array(Set(sequence(first: 1) { $0 * 2 }.prefix { $0 < cores } + [max(cores, 1)])).sorted()
            }
            let layouts: [Benchmark.Layout]
            if let ranks {
                guard counts.count == 1 else {
                    throw ValidationError("with --ranks, give one thread count per rank (--threads N), not '\(threads ?? "")'")
                }
                layouts = try Ranks.benchLayouts(group, ranks: Self.list(ranks, option: "--ranks"), threads: counts[0])
            } else {
                guard (group?.size ?? 1) == 1 else {
                    throw ValidationError("under mpirun, say which rank counts to measure with --ranks (e.g. --ranks 1,\(group!.size))")
                }
                layouts = counts.map { Benchmark.Layout(threads: $0) }
            }
            if group?.rank ?? 0 == 0 {
                for warning in rankView?.warnings ?? [] { FileHandle.standardError.write(Data("mlpd: warning: \(warning)\n".utf8)) }
            }
            let report = try Benchmark.run(config: job, layouts: layouts, steps: steps, warmup: warmup, repeats: repeats,
                                           topology: topology, world: group)
            guard group?.rank ?? 0 == 0 else { return }
            if let svg {
                let title = "mlpd bench \(report.layers.map(String.init).joined(separator: "-")), batch \(report.batchSize)"
                try AtomicFile.write(ScalingChart.svg(report.results, title: title, subtitle: report.machine.summary), to: svg)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else if csv {
                print(BenchFormat.csv(report), terminator: "")
            } else {
                print(BenchFormat.table(report), terminator: "")
            }
        }
    }
}
