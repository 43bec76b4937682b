import ArgumentParser
import Foundation
import MLPData
import MLPTraining

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a saved model on a data file and write its predictions as CSV.",
        discussion: """
            Columns: example (0-based), predicted (the arg-max output, for models with more than \
            one output), label (when the data has labels), then output_0 … output_{k-1}. The \
            model's stored feature scaling is applied. With labels, the accuracy goes to stderr.
            """)

    @Option(help: "The model file (model.safetensors of a run).")
    var model: String

    @Argument(help: "The data file (csv, idx, npy or fann; .gz read transparently).")
    var data: String

    @Option(help: "Data format: csv, idx, npy or fann (default: from the file name).")
    var format: String?

    @Option(help: "idx/npy: a labels file (optional).")
    var labels: String?

    @Option(help: "CSV label column: none, first, last or a 0-based index.")
    var label = "none"

    @Option(help: "CSV header: auto, true or false.")
    var header = "auto"

    @Option(help: "CSV delimiter (one character; \\t for tab).")
    var delimiter = ","

    @Option(name: [.short, .long], help: "Write the CSV here (atomically) instead of stdout.")
    var output: String?

    func run() throws {
        try reportingErrors {
            let saved = try ModelFile.read(path: model)
            var spec = DataSourceSpec(path: data, labelsPath: labels)
            spec.targetsOptional = true
            if let format {
                guard let parsed = DataFormat(rawValue: format) else {
                    throw ValidationError("--format must be one of csv, idx, npy, fann (got '\(format)')")
                }
                spec.format = parsed
            }
            switch label {
            case "none": spec.label = .none
            case "first": spec.label = .first
            case "last": spec.label = .last
            default:
                guard let index = Int(label), index >= 0 else {
                    throw ValidationError("--label must be none, first, last or a column index ≥ 0 (got '\(label)')")
                }
                spec.label = .index(index)
            }
            switch header {
            case "auto": spec.header = .auto
            case "true": spec.header = .present
            case "false": spec.header = .absent
            default: throw ValidationError("--header must be auto, true or false (got '\(header)')")
            }
            let delimiterByte = delimiter == "\\t" ? UInt8(ascii: "\t") : delimiter.utf8.first
            guard let delimiterByte, delimiter == "\\t" || delimiter.utf8.count == 1 else {
                throw ValidationError("--delimiter must be one character (got '\(delimiter)')")
            }
            spec.delimiter = delimiterByte
            let network = saved.network
            var dataset = try DataLoader.load(spec, expecting: .init(inputCount: network.inputCount, outputCount: network.outputCount))
            saved.scaling.apply(to: &dataset)
            let outputs = Evaluator(network: network, parameters: .init(saved.parameters)).outputs(dataset)

            let k = network.outputCount
            var columns = ["example"]
            if k > 1 { columns.append("predicted") }
            if dataset.labels != nil { columns.append("label") }
            columns += (0..<k).map { "output_\($0)" }
            var text = columns.joined(separator: ",") + "\n"
            var correct = 0
            outputs.withUnsafeBufferPointer { out in
                for i in 0..<dataset.count {
                    var row = [String(i)]
                    let predicted = argmax(out.baseAddress! + i * k, count: k)
                    if k > 1 { row.append(String(predicted)) }
                    if let labels = dataset.labels {
                        row.append(String(labels[i]))
                        if Int(labels[i]) == predicted { correct += 1 }
                    }
                    row += (0..<k).map { "\(out[i * k + $0])" }
                    text += row.joined(separator: ",") + "\n"
                }
            }
            if let output { try AtomicFile.write(text, to: output) } else { print(text, terminator: "") }
            if dataset.labels != nil {
                FileHandle.standardError.write(Data(String(format: "accuracy %.4f (%d of %d)\n",
                    Double(correct) / Double(max(dataset.count, 1)), correct, dataset.count).utf8))
            }
        }
    }
}
