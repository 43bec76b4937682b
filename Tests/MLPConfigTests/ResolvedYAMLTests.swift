import Foundation
import MLPConfig
import Testing

@Suite("resolvedYAML")
struct ResolvedYAMLTests {
    static let configs: [(String, String)] = [
        ("digits", digitsYAML),
        ("mnist idx with test files", mnistYAML),
        ("minimal", minimalYAML),
        (
            "init from a model file, standardize",
            withModel("layers: [4, 3, 2]\ninit: {from: runs/old/model.safetensors}")
                .replacingOccurrences(
                    of: "train: {path: data/train.csv}",
                    with: "train: {path: data/train.csv}\n  scale: standardize")
        ),
        (
            "test file, csv options",
            withData(
                "train: {path: \"data/my train.csv\", label: 0, header: true, delimiter: \"\\t\"}\n"
                    + "test: {path: data/test.txt, format: csv, label: first, header: false, delimiter: ';'}"
            )
        ),
        (
            "split",
            withData("train: {path: a.csv.gz}\nsplit: {test_fraction: 0.15, seed: 99}\nscale: 0.1")
        ),
        (
            "regression targets",
            withData("train: {path: r.csv, targets: [4, 7]}\ntest: {path: s.csv, targets: [4, 7]}")
                .replacingOccurrences(of: "[4, 3, 2]", with: "[3, 16, 2]")
        ),
        (
            "adam and cosine",
            withTrain(
                "epochs: 12\nbatch_size: 100\nshuffle: false\nseed: 18446744073709551615\n"
                    + "optimizer: {kind: adam, learning_rate: 3e-4, weight_decay: 1e-5, beta1: 0.85, beta2: 0.995, epsilon: 1e-7}\n"
                    + "schedule: {kind: cosine, min_learning_rate: 1e-6, warmup_steps: 500}")
        ),
        (
            "sgd momentum and step",
            withTrain(
                "epochs: 3\noptimizer: {learning_rate: 0.30000000000000004, momentum: 0.9, nesterov: true}\n"
                    + "schedule: {kind: step, step_epochs: 2, gamma: 0.5}")
        ),
        (
            "uniform init, leaky relu, cross entropy",
            withModel(
                "layers: [8, 5, 3]\nactivation: leaky_relu\nleaky_slope: 0.2\nloss: cross_entropy\n"
                    + "init: {scheme: uniform, seed: 0, range: 0.05}")
        ),
        (
            "npy with and without labels, fann",
            withData("train: {path: x.npy, labels: y.npy}\ntest: {path: t.npy}")
        ),
        ("fann", withData("train: {path: xor.fann}")),
        (
            "awkward strings",
            minimalYAML.replacingOccurrences(
                of: "dir: runs/test", with: "dir: \"runs/ünï \\\"q\\\" #1: yes\\\\\""
            )
            .replacingOccurrences(of: "path: data/train.csv", with: "path: \"true\", format: csv")
        ),
    ]

    @Test("parse(resolvedYAML()) == the original", arguments: configs)
    func roundTrip(name: String, yaml: String) throws {
        let config = try parse(yaml)
        let resolved = config.resolvedYAML()
        let again = try JobConfig.parse(yaml: resolved, file: "resolved.yaml")
        #expect(again == config, "\(name):\n\(resolved)")
        #expect(again.resolvedYAML() == resolved)
    }

    @Test("The digits config resolves to this exact text")
    func digitsText() throws {
        let expected = """
            model:
              layers: [64, 64, 10]
              activation: sigmoid
              leaky_slope: 0.01
              output_activation: sigmoid
              loss: squared_error
              init:
                scheme: xavier
                seed: 1
            data:
              train:
                path: data/digits.csv.gz
                format: csv
                label: last
                header: auto
                delimiter: ","
                targets: null
              test: null
              split:
                test_fraction: 0.2
                seed: 1
              scale: 0.0625
            train:
              epochs: 50
              batch_size: 32
              shuffle: true
              seed: 1
              optimizer:
                kind: sgd
                learning_rate: 4.0
                momentum: 0.0
                nesterov: false
                weight_decay: 0.0
              schedule:
                kind: constant
                warmup_steps: 0
            output:
              dir: runs/digits
            parallel:
              threads: auto
              placement: numa
              cpus: null
              smt: false
              fan_in: 2
              block_size: 16
              reduction: auto
              rank_reduction: deterministic

            """
        #expect(try parse(digitsYAML).resolvedYAML() == expected)
    }

    @Test("Keys of other kinds and formats are left out")
    func inapplicableKeysLeftOut() throws {
        let adam = try parse(withTrain("epochs: 1\noptimizer: {kind: adam, learning_rate: 0.01}"))
            .resolvedYAML()
        #expect(adam.contains("    epsilon: 1.0e-08\n"))
        #expect(!adam.contains("momentum") && !adam.contains("nesterov"))
        let idx = try parse(mnistYAML).resolvedYAML()
        #expect(idx.contains("    labels: data/mnist5k/train-labels-idx1-ubyte.gz\n"))
        #expect(!idx.contains("delimiter") && !idx.contains("header"))
        #expect(idx.contains("  scale: 0.00392156862745098\n"))
    }

    @Test("A config built in code resolves and parses back")
    func builtInCode() throws {
        let config = JobConfig(
            model: ModelConfig(layers: [2, 2, 1], activation: .tanh),
            data: DataConfig(
                train: DataSourceConfig(path: "xor.csv", format: "csv", header: .absent)),
            train: TrainConfig(
                epochs: 100, batchSize: 4, optimizer: OptimizerConfig(learningRate: 0.5)),
            output: OutputConfig(dir: "runs/xor"))
        #expect(try JobConfig.parse(yaml: config.resolvedYAML(), file: "r.yaml") == config)
    }
}
