import Foundation
import MLPCore
import MLPTraining
import Testing

/// mlpd's weights after several SGD steps agree with an independent float32 implementation of
/// the equations (Tests/reference/numpy_mlp.py: NumPy, feature-major as in the design, no
/// shared code), from the same initial weights and the same example order.
@Suite struct NumpyReferenceTests {
    struct Setting: CustomTestStringConvertible, Sendable {
        var learningRate: Double, momentum: Double, weightDecay: Double, epochs: Int
        var testDescription: String { "lr \(learningRate) momentum \(momentum) decay \(weightDecay)" }
    }

    static let settings = [
        Setting(learningRate: 4.0, momentum: 0, weightDecay: 0, epochs: 2),     // the base setting of configs/digits.yaml
        Setting(learningRate: 0.5, momentum: 0.9, weightDecay: 1e-3, epochs: 2),
    ]

    @Test(arguments: settings)
    func weightsAgreeWithNumPy(_ s: Setting) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // 320 digits (10 steps of 32 per epoch), in file order.
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gunzip.arguments = ["-dc", CLI.repositoryRoot.appendingPathComponent("data/digits.csv.gz").path]
        let pipe = Pipe()
        gunzip.standardOutput = pipe
        try gunzip.run()
        let all = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        gunzip.waitUntilExit()
        let rows = all.split(separator: "\n").prefix(320)
        #expect(rows.count == 320)
        try dir.write("digits320.csv", rows.joined(separator: "\n") + "\n")

        let network = Network(sizes: [64, 64, 10])
        let initial = FloatBuffer(count: network.parameterCount)
        InitializationScheme.xavier.initialize(initial, network: network, seed: 5)
        for l in 0..<network.layerCount {   // non-zero biases, so (13) shows in the comparison
            for o in 0..<network.sizes[l + 1] { initial[network.biasOffset(l) + o] = Float(o % 5) * 0.02 - 0.04 }
        }
        try ModelFile(network: network, parameters: initial.array, scaling: .none).write(to: dir.path("init.safetensors"))
        try dir.write("job.yaml", """
            model:
              layers: [64, 64, 10]
              init: {from: init.safetensors}
            data:
              train: {path: digits320.csv, label: last, header: false}
              scale: 0.0625
            train:
              epochs: \(s.epochs)
              batch_size: 32
              shuffle: false
              optimizer: {kind: sgd, learning_rate: \(s.learningRate), momentum: \(s.momentum), weight_decay: \(s.weightDecay)}
            output:
              dir: run
            """)
        let train = try CLI.run(["train", "job.yaml"], in: dir.url)
        #expect(train.status == 0, "\(train.stderr)")

        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", CLI.repositoryRoot.appendingPathComponent("Tests/reference/numpy_mlp.py").path,
                            dir.path("init.safetensors"), dir.path("digits320.csv"), "0.0625", "32", "\(10 * s.epochs)",
                            "\(s.learningRate)", "\(s.momentum)", "\(s.weightDecay)", dir.path("run/model.safetensors")]
        let out = Pipe()
        python.standardOutput = out
        try python.run()
        let report = out.fileHandleForReading.readDataToEndOfFile()
        python.waitUntilExit()
        #expect(python.terminationStatus == 0, "python3 with NumPy must be installed (scripts/bootstrap)")
        let json = try #require(try JSONSerialization.jsonObject(with: report) as? [String: Any])
        let maxRelative = try #require(json["max_rel"] as? Double)
        let moved = try #require(json["max_weight_change"] as? Double)
        print("numpy reference (\(s.testDescription)): max relative difference \(maxRelative), "
              + "element-wise \(json["max_elem_rel"] ?? "?"), largest weight change \(moved)")
        #expect(moved > 1e-2, "the steps must actually move the weights")
        #expect(maxRelative <= 1e-5)
    }
}
