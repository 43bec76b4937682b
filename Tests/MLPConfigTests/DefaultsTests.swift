import Foundation
import MLPConfig
import Testing

@Suite("Parsing valid configurations")
struct DefaultsTests {
    @Test("A minimal job gets every documented default")
    func minimalDefaults() throws {
        let config = try parse(minimalYAML)
        #expect(
            config.model
                == ModelConfig(
                    layers: [4, 3, 2], activation: .sigmoid, leakySlope: 0.01,
                    outputActivation: .sigmoid,
                    loss: .squaredError, initialization: .scheme(.xavier, seed: 1, range: 0.1)))
        #expect(
            config.data
                == DataConfig(
                    train: DataSourceConfig(
                        path: "data/train.csv", format: "csv", label: .last, header: .auto,
                        delimiter: ",",
                        labels: nil, targets: nil),
                    test: nil, split: nil, scale: .none))
        #expect(
            config.train
                == TrainConfig(
                    epochs: 5, batchSize: 32, shuffle: true, seed: 1,
                    optimizer: OptimizerConfig(
                        kind: .sgd, learningRate: 0.5, momentum: 0, nesterov: false, weightDecay: 0,
                        beta1: 0.9,
                        beta2: 0.999, epsilon: 1e-8),
                    schedule: ScheduleConfig(
                        kind: .constant, stepEpochs: 0, gamma: 0.1, minLearningRate: 0,
                        warmupSteps: 0)))
        #expect(config.output == OutputConfig(dir: "runs/test"))
    }

    @Test("The digits example parses to the documented values")
    func digits() throws {
        let config = try parse(digitsYAML)
        #expect(config.model.layers == [64, 64, 10])
        #expect(config.model.initialization == .scheme(.xavier, seed: 1, range: 0.1))
        #expect(config.data.train.path == "data/digits.csv.gz")
        #expect(config.data.train.format == "csv")
        #expect(config.data.split == SplitConfig(testFraction: 0.2, seed: 1))
        #expect(config.data.scale == .constant(0.0625))
        #expect(config.train.epochs == 50 && config.train.batchSize == 32)
        #expect(config.train.optimizer.learningRate == 4.0)
    }

    @Test("The MNIST example infers idx from the file names and keeps 1/255 exactly")
    func mnist() throws {
        let config = try parse(mnistYAML)
        #expect(config.data.train.format == "idx")
        #expect(config.data.train.labels == "data/mnist5k/train-labels-idx1-ubyte.gz")
        #expect(config.data.test?.format == "idx")
        #expect(config.data.test?.labels == "data/mnist5k/t10k-labels-idx1-ubyte.gz")
        #expect(config.data.scale == .constant(1.0 / 255.0))
        #expect(config.model.layers == [784, 128, 10])
        #expect(config.train.epochs == 30 && config.train.optimizer.learningRate == 2.0)
    }

    @Test("cross_entropy makes softmax the default output activation")
    func crossEntropyDefaultsToSoftmax() throws {
        let config = try parse(withModel("layers: [4, 3, 2]\nloss: cross_entropy"))
        #expect(config.model.outputActivation == .softmax)
        #expect(config.model.loss == .crossEntropy)
    }

    @Test("A null value means the default; null sections are empty")
    func nullMeansDefault() throws {
        let config = try parse(
            withTrain("epochs: 5\nbatch_size: ~\nschedule:\noptimizer: {learning_rate: 0.5}"))
        #expect(config.train.batchSize == 32)
        #expect(config.train.schedule == ScheduleConfig())
    }

    @Test(
        "Every value form the schema allows",
        arguments: [
            ("label: first", LabelSpec.first), ("label: none\ntargets: [0]", .none),
            ("label: 3", .index(3)),
            ("label: last", .last),
        ])
    func labelForms(line: String, expected: LabelSpec) throws {
        let body =
            "train:\n  path: d.csv\n"
            + line.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        let config = try parse(
            withData(body).replacingOccurrences(of: "layers: [4, 3, 2]", with: "layers: [4, 1]"))
        #expect(config.data.train.label == expected)
    }

    @Test("header, delimiter and scale forms")
    func otherForms() throws {
        func source(_ extra: String) throws -> DataConfig {
            try parse(withData("train: {path: d.txt, format: csv, \(extra)}")).data
        }
        #expect(try source("header: true").train.header == .present)
        #expect(try source("header: false").train.header == .absent)
        #expect(try source("header: auto").train.header == .auto)
        #expect(try source("delimiter: \"\\t\"").train.delimiter == "\t")
        #expect(try source("delimiter: '\\t'").train.delimiter == "\t")
        #expect(try source("delimiter: ;").train.delimiter == ";")
        #expect(
            try parse(withData("train: {path: d.csv}\nscale: standardize")).data.scale
                == .standardize)
        #expect(
            try parse(withData("train: {path: d.csv}\nscale: none")).data.scale == ScaleConfig.none)
        #expect(try parse(withData("train: {path: d.csv}\nscale: 2")).data.scale == .constant(2))
    }

    @Test(
        "Format inference from file names",
        arguments: [
            ("a/b.csv", "csv"), ("b.CSV.gz", "csv"), ("x.npy", "npy"), ("x.npy.gz", "npy"),
            ("x.fann", "fann"),
            ("train-images-idx3-ubyte.gz", "idx"), ("t10k-labels.idx1-ubyte", "idx"),
            ("images.idx", "idx"),
        ])
    func inference(path: String, format: String) {
        #expect(DataSourceConfig.inferredFormat(forPath: path) == format)
    }

    @Test(
        "Names that imply no format",
        arguments: ["data.bin", "x.tsv", "ubyte", "foo-ubyte", "dir.csv/file"])
    func noInference(path: String) {
        #expect(DataSourceConfig.inferredFormat(forPath: path) == nil)
    }

    @Test("Schemes, optimizers and schedules with their own keys")
    func kinds() throws {
        let uniform = try parse(
            withModel("layers: [4, 2]\ninit: {scheme: uniform, seed: 7, range: 0.5}"))
        #expect(uniform.model.initialization == .scheme(.uniform, seed: 7, range: 0.5))
        let he = try parse(withModel("layers: [4, 2]\ninit: {scheme: he}"))
        #expect(he.model.initialization == .scheme(.he, seed: 1, range: 0.1))
        let from = try parse(withModel("layers: [4, 2]\ninit: {from: runs/a/model.safetensors}"))
        #expect(from.model.initialization == .from(path: "runs/a/model.safetensors"))

        let adam = try parse(
            withTrain(
                "epochs: 1\noptimizer: {kind: adam, learning_rate: 1e-3, beta2: 0.99}\n"
                    + "schedule: {kind: cosine, min_learning_rate: 1e-5, warmup_steps: 100}"))
        #expect(
            adam.train.optimizer == OptimizerConfig(kind: .adam, learningRate: 0.001, beta2: 0.99))
        #expect(
            adam.train.schedule
                == ScheduleConfig(kind: .cosine, minLearningRate: 1e-5, warmupSteps: 100))

        let step = try parse(
            withTrain(
                "epochs: 1\noptimizer: {learning_rate: 0.1, momentum: 0.9, nesterov: true, weight_decay: 5e-4}\n"
                    + "schedule: {kind: step, step_epochs: 10}"))
        #expect(
            step.train.optimizer
                == OptimizerConfig(
                    learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.0005))
        #expect(step.train.schedule == ScheduleConfig(kind: .step, stepEpochs: 10, gamma: 0.1))
    }

    @Test("Regression targets default the label to none")
    func regressionTargets() throws {
        let config = try parse(
            withData("train: {path: r.csv, targets: [3, 4]}").replacingOccurrences(
                of: "[4, 3, 2]", with: "[3, 8, 2]"))
        #expect(config.data.train.targets == [3, 4])
        #expect(config.data.train.label == LabelSpec.none)
    }
}
