import ArgumentParser
import Foundation
import MLPConfig
import MLPTraining

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a saved model on the train and test data of a config.",
        discussion: "The model's stored feature scaling is applied; the config's scale is not refitted.")

    @Argument(help: "The job config (YAML) whose data to evaluate on.")
    var config: String

    @Option(help: "The model file (default: the config's output.dir/model.safetensors).")
    var model: String?

    @Option(name: .customLong("set"), help: "Override a config key (repeatable).")
    var overrides: [String] = []

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        try reportingErrors {
            let job = try JobConfig.load(path: config, overrides: overrides)
            let modelPath = model ?? (job.output.dir as NSString).appendingPathComponent(TrainingRun.fileNames.model)
            let saved = try ModelFile.read(path: modelPath)
            var (train, test) = try PreparedRun.loadData(job.data, network: saved.network)
            saved.scaling.apply(to: &train)
            if test != nil { saved.scaling.apply(to: &test!) }
            let evaluator = Evaluator(network: saved.network, parameters: .init(saved.parameters))
            var rows: [(String, Int, Evaluator.Result)] = [("train", train.count, evaluator.evaluate(train))]
            if let test { rows.append(("test", test.count, evaluator.evaluate(test))) }
            if json {
                var object: [String: Any] = ["model": modelPath]
                for (name, count, result) in rows {
                    var entry: [String: Any] = ["examples": count, "cost": result.cost]
                    if let accuracy = result.accuracy { entry["accuracy"] = accuracy }
                    object[name] = entry
                }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("model \(modelPath)")
                for (name, count, result) in rows {
                    print(String(format: "%-5@  examples %6d  cost %.6f", name, count, result.cost)
                          + (result.accuracy.map { String(format: "  accuracy %.4f", $0) } ?? ""))
                }
            }
        }
    }
}
