/// What a format reader hands to the loader: features already checked against the model's
/// input width, and targets in the form the file gives them.
///
/// Size letters as in `Dataset`: `N` examples, `I` features, `O` targets per example.
struct ParsedExamples {
    /// N × I, row-major, every value finite.
    var features: [Float]
    /// I, equal to the model's input width.
    var inputCount: Int
    /// The targets, still to be turned into `Dataset.targets` (and labels).
    var targets: ParsedTargets
}

/// Targets as a file gives them.
enum ParsedTargets {
    /// One class label per example (N), finite but not yet checked to be an integer in range.
    case classLabels([Double], ExampleLocator)
    /// Real-valued targets, N × O, finite and already checked against the output width.
    /// `deriveLabels`: the format promises classification-like rows (FANN), so labels are
    /// the argmax when the targets are one-hot-like.
    case values([Float], deriveLabels: Bool)
    /// No targets in the file (prediction input, `DataSourceSpec.targetsOptional`).
    case absent
}

/// Names an example in an error: by its line in a text file, or by its index in a binary one.
struct ExampleLocator {
    /// The file that holds the targets.
    var file: String
    /// The 1-based line of each example, for text files; nil for binary files.
    var lines: [Int]?

    func error(example: Int, _ message: String, _ code: DataError.Code) -> DataError {
        if let lines {
            return DataError(file: file, line: lines[example], message: message, code: code)
        }
        return DataError(file: file, message: "example \(example): \(message)", code: code)
    }
}

// MARK: - Checks against the model's shape

/// The checks every reader makes of its file's layout against `DataShape`, so the messages
/// read the same whatever the format.
enum ShapeCheck {
    /// `found` features per example (described by `what`, e.g. "63 feature columns") must
    /// equal the first layer's width.
    static func inputs(
        _ found: Int, _ what: String, detail: String? = nil, shape: DataShape, file: String,
        line: Int? = nil
    ) throws {
        guard found != shape.inputCount else { return }
        let extra = detail.map { " (\($0))" } ?? ""
        throw DataError(
            file: file, line: line,
            message:
                "\(what), but the first layer (model.layers[0]) has \(counted(shape.inputCount, "unit"))\(extra)",
            code: .shapeMismatch)
    }

    /// `found` real-valued targets per example must equal the output layer's width.
    static func outputs(
        _ found: Int, _ what: String, shape: DataShape, file: String, line: Int? = nil
    ) throws {
        guard found != shape.outputCount else { return }
        throw DataError(
            file: file, line: line,
            message:
                "\(what), but the output layer (the last of model.layers) has \(counted(shape.outputCount, "unit"))",
            code: .shapeMismatch)
    }
}

// MARK: - From raw targets to a data set

extension ParsedExamples {
    /// The finished data set: class labels become one-hot rows of width `shape.outputCount`.
    func dataset(shape: DataShape, name: String) throws -> Dataset {
        switch targets {
        case .classLabels(let raw, let locator):
            let (targets, labels) = try Self.oneHot(raw, outputCount: shape.outputCount, locator: locator)
            return Dataset(
                features: features, targets: targets, labels: labels, inputCount: inputCount,
                outputCount: shape.outputCount, name: name)
        case .absent:
            return Dataset(
                features: features, targets: [Float](repeating: 0, count: features.count / inputCount * shape.outputCount),
                labels: nil, inputCount: inputCount, outputCount: shape.outputCount, name: name)
        case .values(let targets, let deriveLabels):
            let labels = deriveLabels ? Self.argmaxLabels(targets, width: shape.outputCount) : nil
            return Dataset(
                features: features, targets: targets, labels: labels, inputCount: inputCount,
                outputCount: shape.outputCount, name: name)
        }
    }

    /// One-hot rows and `Int32` labels; each label must be an integer in `0 ..< outputCount`.
    static func oneHot(
        _ raw: [Double], outputCount: Int, locator: ExampleLocator
    ) throws -> (targets: [Float], labels: [Int32]) {
        var targets = [Float](repeating: 0, count: raw.count * outputCount)
        var labels = [Int32](repeating: 0, count: raw.count)
        for (example, value) in raw.enumerated() {
            guard value == value.rounded() else {
                throw locator.error(
                    example: example, "label \(formatLabel(value)) is not an integer (a class index)",
                    .labelNotInteger)
            }
            guard value >= 0 && value < Double(outputCount) else {
                throw locator.error(
                    example: example,
                    "label \(formatLabel(value)) out of range 0…\(outputCount - 1) for a \(outputCount)-unit output layer",
                    .labelOutOfRange)
            }
            labels[example] = Int32(value)
            targets[example * outputCount + Int(value)] = 1
        }
        return (targets, labels)
    }

    /// The argmax of each row when the targets are one-hot-like, else nil.
    ///
    /// One-hot-like: the targets hold exactly two distinct values, a high and a low one,
    /// and each row has the high value exactly once (`1 0 0`, `-1 1 -1`, `0.1 0.9 0.1`).
    /// That is how FANN files encode classes. Real-valued regression targets almost never
    /// pass, even with two outputs, so they get no labels. A single output has no argmax to
    /// speak of and gets none either.
    static func argmaxLabels(_ targets: [Float], width: Int) -> [Int32]? {
        guard width >= 2, let first = targets.first else { return nil }
        guard let second = targets.first(where: { $0 != first }) else { return nil }
        let (low, high) = (min(first, second), max(first, second))
        var labels = [Int32](repeating: 0, count: targets.count / width)
        for row in labels.indices {
            var highs = 0
            for column in 0..<width {
                let value = targets[row * width + column]
                if value == high {
                    highs += 1
                    labels[row] = Int32(column)
                } else if value != low {
                    return nil
                }
            }
            guard highs == 1 else { return nil }
        }
        return labels
    }

    /// `10`, `3.5`: a label as the file most likely spelled it.
    private static func formatLabel(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
