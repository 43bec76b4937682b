import ArgumentParser
import Foundation
import MLPConfig
import MLPCore
import MLPTraining

struct GradCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcheck",
        abstract: "Check backprop against finite differences (in Double) for a config's network.",
        discussion: """
            Uses the config's network, initial weights and the first training examples. Exits 1 \
            when the largest relative error exceeds the tolerance.
            """)

    @Argument(help: "The job config (YAML).")
    var config: String

    @Option(help: "Examples in the checked minibatch.")
    var examples = 4

    @Option(help: "At most this many parameters are checked (a seeded sample beyond that).")
    var parameters = 2000

    @Option(help: "Largest acceptable relative error.")
    var tolerance = 1e-6

    @Option(name: .customLong("set"), help: "Override a config key (repeatable).")
    var overrides: [String] = []

    func run() throws {
        try reportingErrors {
            guard examples >= 1, parameters >= 1 else { throw ValidationError("--examples and --parameters must be ≥ 1") }
            let prepared = try PreparedRun(config: try JobConfig.load(path: config, overrides: overrides))
            let network = prepared.network
            let count = min(examples, prepared.train.count)
            let (n, k) = (network.inputCount, network.outputCount)
            let inputs = (0..<count).map { Array(prepared.train.features[($0 * n)..<(($0 + 1) * n)]) }
            let targets = (0..<count).map { Array(prepared.train.targets[($0 * k)..<(($0 + 1) * k)]) }
            var indices: [Int]? = nil
            if network.parameterCount > parameters {
                var random = SeededGenerator(seed: 1)
                indices = Array(random.permutation(count: network.parameterCount).prefix(parameters)).sorted()
            }
            let report = GradientCheck.run(network: network, parameters: prepared.initialParameters,
                                           inputs: inputs, targets: targets, indices: indices)
            print("network \(network.sizes.map(String.init).joined(separator: "-")), \(count) examples, "
                  + "\(report.checkedCount) of \(report.parameterCount) parameters checked")
            print(String(format: "max relative error (Double, finite differences): %.3e at parameter %d",
                         report.maxRelativeError, report.worstIndex))
            print(String(format: "batched Float kernels vs Double reference: %.3e (relative to the largest gradient)",
                         report.kernelError))
            guard report.maxRelativeError <= tolerance else {
                throw TrainingError(String(format: "gradient check failed: %.3e exceeds the tolerance %.1e",
                                           report.maxRelativeError, tolerance))
            }
            print("gradient check passed")
        }
    }
}
