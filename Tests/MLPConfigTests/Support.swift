import MLPConfig
import Testing

/// The digits job of docs/configuration.md.
let digitsYAML = """
    model:
      layers: [64, 64, 10]
      activation: sigmoid
      loss: squared_error
      init: {scheme: xavier, seed: 1}
    data:
      train: {path: data/digits.csv.gz, label: last}
      split: {test_fraction: 0.2, seed: 1}
      scale: 0.0625
    train:
      epochs: 50
      batch_size: 32
      optimizer: {kind: sgd, learning_rate: 4.0}
    output:
      dir: runs/digits
    """

/// The MNIST-5k job of docs/configuration.md.
let mnistYAML = """
    model:
      layers: [784, 128, 10]
    data:
      train:
        path: data/mnist5k/train-images-idx3-ubyte.gz
        labels: data/mnist5k/train-labels-idx1-ubyte.gz
      test:
        path: data/mnist5k/t10k-images-idx3-ubyte.gz
        labels: data/mnist5k/t10k-labels-idx1-ubyte.gz
      scale: 0.00392156862745098
    train:
      epochs: 30
      optimizer:
        learning_rate: 2.0
    output:
      dir: runs/mnist5k
    """

/// A small valid job; line numbers matter to the tests that edit it.
///
///     1 model:
///     2   layers: [4, 3, 2]
///     3 data:
///     4   train: {path: data/train.csv}
///     5 train:
///     6   epochs: 5
///     7   optimizer: {learning_rate: 0.5}
///     8 output:
///     9   dir: runs/test
let minimalYAML = """
    model:
      layers: [4, 3, 2]
    data:
      train: {path: data/train.csv}
    train:
      epochs: 5
      optimizer: {learning_rate: 0.5}
    output:
      dir: runs/test
    """

/// `minimalYAML` with the `model:` section replaced by `model` (several lines, indented by 2).
func withModel(_ model: String) -> String {
    minimalYAML.replacingSection("model", with: model)
}

func withData(_ data: String) -> String {
    minimalYAML.replacingSection("data", with: data)
}

func withTrain(_ train: String) -> String {
    minimalYAML.replacingSection("train", with: train)
}

/// Parses `yaml` (as file `x.yaml`), expecting a `ConfigError`; records an issue otherwise.
func parseError(
    _ yaml: String, overrides: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
) -> ConfigError? {
    do {
        let config = try JobConfig.parse(yaml: yaml, file: "x.yaml", overrides: overrides)
        Issue.record("expected a ConfigError, got \(config)", sourceLocation: sourceLocation)
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("expected a ConfigError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// The description of the error `parseError` gets, or "" when it gets none.
func errorText(
    _ yaml: String, overrides: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
)
    -> String
{
    parseError(yaml, overrides: overrides, sourceLocation: sourceLocation)?.description ?? ""
}

func parse(_ yaml: String, overrides: [String] = []) throws -> JobConfig {
    try JobConfig.parse(yaml: yaml, file: "x.yaml", overrides: overrides)
}

extension String {
    /// Removes (body nil) a top-level section and its indented lines.
    func replacingSection(_ name: String, with body: String?) -> String {
        var out: [Substring] = []
        var skipping = false
        for line in split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "\(name):" {
                skipping = true
                if let body {
                    out.append(line)
                    out.append(contentsOf: body.split(separator: "\n").map { "  " + $0 })
                }
            } else if skipping && line.hasPrefix(" ") {
                continue
            } else {
                skipping = false
                out.append(line)
            }
        }
        return out.joined(separator: "\n")
    }
}
