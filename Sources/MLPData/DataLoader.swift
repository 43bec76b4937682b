/// Loads a data set from files, validated against the model's shape.
public enum DataLoader {
    /// The data set `spec` describes, checked against `shape`.
    ///
    /// Classification data (CSV with a label column, idx and npy with 1-D labels) gets one-hot
    /// target rows of width `shape.outputCount` and `labels`; each label must be an integer
    /// in `0 ..< shape.outputCount`. Regression data (CSV `targetColumns`, idx and npy 2-D
    /// targets) must have `shape.outputCount` targets per example and gets `labels == nil`.
    /// FANN outputs are kept as targets, with labels when they are one-hot-like. The
    /// features must number `shape.inputCount` per example, and every value must be finite.
    ///
    /// - Throws: `DataError`, naming the file and the line (text formats) or the example
    ///   (binary formats) at fault.
    public static func load(_ spec: DataSourceSpec, expecting shape: DataShape) throws -> Dataset {
        precondition(shape.inputCount > 0 && shape.outputCount > 0, "a model has at least one input and one output")
        guard let format = spec.format ?? DataFormat(inferringFromPath: spec.path) else {
            throw DataError(
                file: spec.path,
                message:
                    "cannot tell the data format from the file name; set format to one of "
                    + DataFormat.allCases.map(\.rawValue).joined(separator: ", ")
                    + " (names ending in .csv/.tsv/.txt, .npy, .data/.fann/.train/.test, or containing"
                    + " idx or -ubyte are recognised, with or without .gz)",
                code: .badOptions)
        }
        if spec.labelsPath != nil && (format == .csv || format == .fann) {
            throw DataError(
                file: spec.path,
                message: "labelsPath is only for idx and npy data; \(format.rawValue) files hold their own targets",
                code: .badOptions)
        }
        let parsed: ParsedExamples
        switch format {
        case .csv: parsed = try CSVReader.read(spec, shape: shape)
        case .idx: parsed = try IDXReader.read(spec, shape: shape)
        case .npy: parsed = try NPYReader.read(spec, shape: shape)
        case .fann: parsed = try FANNReader.read(spec, shape: shape)
        }
        return try parsed.dataset(shape: shape, name: spec.path)
    }
}
