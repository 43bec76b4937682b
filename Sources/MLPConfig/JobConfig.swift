import Foundation

/// A training job: the file `mlpd train CONFIG.yaml` reads, typed and validated.
///
/// The YAML has four sections, each documented on its type: `model` (`ModelConfig`), `data`
/// (`DataConfig`), `train` (`TrainConfig`) and `output` (`OutputConfig`), and an optional fifth,
/// `parallel` (`ParallelConfig`). Keys are snake_case.
/// Parsing is strict: unknown keys, wrong types, out-of-range values and inconsistent
/// combinations are `ConfigError`s that name the file, line, column and key path.
public struct JobConfig: Sendable, Equatable {
    public var model: ModelConfig
    public var data: DataConfig
    public var train: TrainConfig
    public var output: OutputConfig
    public var parallel: ParallelConfig

    public init(model: ModelConfig, data: DataConfig, train: TrainConfig, output: OutputConfig,
                parallel: ParallelConfig = ParallelConfig()) {
        self.model = model
        self.data = data
        self.train = train
        self.output = output
        self.parallel = parallel
    }

    /// The top-level sections. A new section is one more field here, in the struct, in
    /// `init(reading:)` and in `resolvedYAML()`.
    static let schema = KeySchema.mapping([
        .mapping("model", ModelConfig.schema), .mapping("data", DataConfig.schema),
        .mapping("train", TrainConfig.schema), .mapping("output", OutputConfig.schema),
        .mapping("parallel", ParallelConfig.schema),
    ])
}

extension JobConfig {
    /// Reads and parses the configuration file at `path` (used as written; relative to the
    /// current working directory), applying `overrides` as `parse` does.
    public static func load(path: String, overrides: [String] = []) throws -> JobConfig {
        try parse(yaml: readText(path), file: path, overrides: overrides)
    }

    /// Parses a configuration. `file` names the source in errors.
    ///
    /// `overrides` are `key.path=value` strings (from `--set`), applied in order to the parsed
    /// tree before validation; each value is YAML (`0.5`, `[784, 128, 10]`, `{kind: adam}`,
    /// `null` to remove an optional key) and missing mappings on its path are created.
    public static func parse(yaml: String, file: String, overrides: [String] = []) throws
        -> JobConfig
    {
        let sections = "the sections model, data, train and output"
        guard var root = try ConfigNode.parse(yaml: yaml, file: file), !root.isNull else {
            throw ConfigError(
                file: file, message: "the configuration is empty; expected \(sections)")
        }
        guard case .mapping = root.content else {
            throw root.location.error(
                key: nil, "expected a mapping with \(sections), found \(root.found)")
        }
        for text in overrides {
            try Override(parsing: text).apply(to: &root, schema: schema)
        }
        return try JobConfig(
            reading: MappingReader(
                root, path: "", anchor: SourceLocation(file: file), schema: schema))
    }

    /// The complete configuration with every default filled in, as YAML that `parse` reads back
    /// to an equal `JobConfig`: block style, keys in schema order, `null` for absent optional
    /// values, keys that do not apply to the chosen kind or format left out.
    public func resolvedYAML() -> String {
        var w = YAMLWriter()
        w.mapping("model") { model.write(to: &$0) }
        w.mapping("data") { data.write(to: &$0) }
        w.mapping("train") { train.write(to: &$0) }
        w.mapping("output") { output.write(to: &$0) }
        w.mapping("parallel") { parallel.write(to: &$0) }
        return w.text
    }

    init(reading root: MappingReader) throws {
        model = try ModelConfig(reading: root.child("model"))
        let data = try root.child("data")
        self.data = try DataConfig(reading: data)
        train = try TrainConfig(reading: root.child("train"))
        output = try OutputConfig(reading: root.child("output"))
        parallel = try ParallelConfig(reading: root.child("parallel"))

        // Regression: one output unit per target column.
        if let targets = self.data.train.targets, let outputs = model.layers.last,
            targets.count != outputs
        {
            let source = try data.child("train")
            throw source.error(
                at: "targets",
                "\(source.keyPath("targets")): \(plural(targets.count, "target column")), "
                    + "but model.layers ends with \(plural(outputs, "output"))")
        }
    }

    private func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    private static func readText(_ path: String) throws -> String {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(file: path, message: "cannot read the configuration: no such file")
        }
        if isDirectory.boolValue {
            throw ConfigError(
                file: path, message: "cannot read the configuration: it is a directory")
        }
        guard let data = manager.contents(atPath: path) else {
            throw ConfigError(
                file: path, message: "cannot read the configuration: permission denied or I/O error"
            )
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, message: "cannot read the configuration: not valid UTF-8")
        }
        return text
    }
}
