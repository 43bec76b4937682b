/// Where the examples come from and how features are scaled.
///
/// YAML section `data`:
/// - `train` (required): a `DataSourceConfig`.
/// - `test`: a `DataSourceConfig` for evaluation. Optional; excludes `split`.
/// - `split`: a `SplitConfig` that holds out part of `train` for evaluation. Optional; excludes
///   `test`.
/// - `scale`: a positive number (features are multiplied by it), `standardize` (zero mean, unit
///   variance per feature, statistics from the training set) or `none`. Default `none`.
public struct DataConfig: Sendable, Equatable {
    public var train: DataSourceConfig
    public var test: DataSourceConfig?
    public var split: SplitConfig?
    public var scale: ScaleConfig

    public init(
        train: DataSourceConfig, test: DataSourceConfig? = nil, split: SplitConfig? = nil,
        scale: ScaleConfig = .none
    ) {
        self.train = train
        self.test = test
        self.split = split
        self.scale = scale
    }
}

/// One data file and how to read it.
///
/// YAML mapping `data.train` / `data.test`:
/// - `path` (required): the file, used as written (a relative path resolves against the current
///   working directory). A `.gz` suffix means gzip.
/// - `format`: `csv`, `idx`, `npy` or `fann`. Default: inferred from the file name (after any
///   `.gz`): `.csv` → csv, `.npy` → npy, `.fann` → fann, `.idx` or `…idx<N>-ubyte` → idx. A name
///   that says nothing is an error asking for `format`. After parsing, `format` is always set.
/// - CSV only: `label` (`last`, `first`, `none` or a column index ≥ 0; default `last`, or `none`
///   when `targets` is given), `header` (`auto`, `true`, `false`; default `auto`), `delimiter`
///   (one ASCII character, default `","`; `"\t"` or `'\t'` for tab), `targets` (column indices
///   of real-valued targets for regression; needs `label: none`).
/// - IDX and NPY only: `labels`, the path of a separate labels file (required for IDX).
///
/// Keys that do not apply to the format are errors. The CSV-only fields keep their defaults for
/// other formats.
public struct DataSourceConfig: Sendable, Equatable {
    public var path: String
    public var format: String?
    public var label: LabelSpec
    public var header: HeaderSpec
    public var delimiter: String
    public var labels: String?
    public var targets: [Int]?

    public init(
        path: String, format: String? = nil, label: LabelSpec = .last, header: HeaderSpec = .auto,
        delimiter: String = ",", labels: String? = nil, targets: [Int]? = nil
    ) {
        self.path = path
        self.format = format
        self.label = label
        self.header = header
        self.delimiter = delimiter
        self.labels = labels
        self.targets = targets
    }

    /// The formats a data file may have.
    public static let formats = DataFormat.allCases.map(\.rawValue)

    /// The format a file name implies, or nil when it implies none (see `format`).
    public static func inferredFormat(forPath path: String) -> String? {
        var name = Substring(path.split(separator: "/").last ?? "").lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        for (suffix, format) in [
            (".csv", "csv"), (".npy", "npy"), (".fann", "fann"), (".idx", "idx"),
        ]
        where name.hasSuffix(suffix) {
            return format
        }
        // MNIST-style names: train-images-idx3-ubyte, t10k-labels.idx1-ubyte.
        if name.hasSuffix("-ubyte") {
            let stem = name.dropLast("-ubyte".count)
            let digits = stem.reversed().prefix { $0.isNumber }
            if !digits.isEmpty && stem.dropLast(digits.count).hasSuffix("idx") { return "idx" }
        }
        return nil
    }
}

/// Which CSV column holds the class label.
public enum LabelSpec: Sendable, Equatable {
    case first, last, none
    /// A 0-based column index.
    case index(Int)
}

/// Whether a CSV file starts with a header row.
public enum HeaderSpec: Sendable, Equatable {
    /// Decided by looking at the first row (YAML `auto`).
    case auto
    /// YAML `true`.
    case present
    /// YAML `false`.
    case absent
}

/// Holding out a random part of the training file for evaluation.
///
/// YAML mapping `data.split`: `test_fraction` (required, 0 < f < 1) and `seed` (unsigned,
/// default 1).
public struct SplitConfig: Sendable, Equatable {
    public var testFraction: Double
    public var seed: UInt64

    public init(testFraction: Double, seed: UInt64 = 1) {
        self.testFraction = testFraction
        self.seed = seed
    }
}

/// How input features are scaled before training (YAML `data.scale`).
public enum ScaleConfig: Sendable, Equatable {
    case none
    /// Multiply every feature by this positive factor.
    case constant(Double)
    /// Zero mean and unit variance per feature, from training-set statistics.
    case standardize
}

// MARK: - Parsing

extension DataConfig {
    static let schema = KeySchema.mapping([
        .mapping("train", DataSourceConfig.schema), .mapping("test", DataSourceConfig.schema),
        .mapping("split", SplitConfig.schema), .value("scale"),
    ])

    init(reading m: MappingReader) throws {
        train = try DataSourceConfig(reading: m.child("train"))
        test = try m.has("test") ? DataSourceConfig(reading: m.child("test")) : nil
        split = try m.has("split") ? SplitConfig(reading: m.child("split")) : nil
        if test != nil && split != nil {
            throw m.error(
                at: "split", atValue: false,
                "\(m.keyPath("test")) and \(m.keyPath("split")) are mutually exclusive; "
                    + "keep one of them"
            )
        }
        scale = try m.value("scale", default: ScaleConfig.none) { node, path in
            if case .scalar(let text, _) = node.content {
                if text == "none" { return .none }
                if text == "standardize" { return .standardize }
            }
            guard let factor = try? node.number(path, .above(0)) else {
                throw node.location.error(
                    key: path,
                    "\(path): expected a number > 0, standardize or none, found \(node.found)")
            }
            return .constant(factor)
        }
        // Both CSV: evaluation compares the same kind of output (class labels or target columns).
        if let test, test.format == "csv", train.format == "csv",
            test.targets?.count != train.targets?.count
        {
            let expected = train.targets.map { "\($0.count) target columns" } ?? "class labels"
            throw m.error(
                at: "test", "\(m.keyPath("test")): must have \(expected) like \(m.keyPath("train"))"
            )
        }
    }
}

extension DataSourceConfig {
    static let schema = KeySchema.mapping([
        .value("path"), .value("format"), .value("label"), .value("header"), .value("delimiter"),
        .value("labels"), .value("targets"),
    ])

    private static let csvOnly = ["label", "header", "delimiter", "targets"]

    init(reading m: MappingReader) throws {
        path = try m.string("path", "a file path")
        let given = try m.optional("format") { node, path in
            try node.keyword(path, among: DataFormat.allCases)
        }
        guard let format = given?.rawValue ?? Self.inferredFormat(forPath: path) else {
            throw m.error(
                at: "path",
                "\(m.keyPath("format")): cannot tell the format of '\(path)' from its name; "
                    + "add format: \(Self.formats.joined(separator: ", "))")
        }
        self.format = format
        label = .last
        header = .auto
        delimiter = ","
        labels = nil
        targets = nil
        if format == "csv" {
            try readCSVOptions(m)
        } else {
            for key in Self.csvOnly { try m.reject(key, appliesTo: "csv files", not: format) }
        }
        if format == "idx" || format == "npy" {
            labels = try m.optional("labels") { try $0.string($1, "a labels file path") }
            if format == "idx" && labels == nil {
                throw m.missing("labels", " (IDX images need their labels file)")
            }
        } else {
            try m.reject("labels", appliesTo: "idx and npy files", not: format)
        }
    }

    private mutating func readCSVOptions(_ m: MappingReader) throws {
        targets = try m.optional("targets") { node, path in
            let columns = try node.integerList(path, minCount: 1, atLeast: 0)
            if let repeated = columns.enumerated().first(where: {
                columns[..<$0.offset].contains($0.element)
            }) {
                throw node.location.error(
                    key: "\(path)[\(repeated.offset)]",
                    "\(path)[\(repeated.offset)]: column \(repeated.element) is listed twice")
            }
            return columns
        }
        label = try m.value("label", default: targets == nil ? LabelSpec.last : LabelSpec.none) {
            node, path in
            if case .scalar(let text, _) = node.content {
                switch text {
                case "last": return .last
                case "first": return .first
                case "none": return .none
                default: break
                }
            }
            guard let column = try? node.integer(path, atLeast: 0) else {
                var message =
                    "\(path): expected last, first, none or a column index ≥ 0, found \(node.found)"
                if case .scalar(let text, _) = node.content,
                    let near = Suggestion.nearest(to: text, among: ["last", "first", "none"])
                {
                    message += "; did you mean '\(near)'?"
                }
                throw node.location.error(key: path, message)
            }
            return .index(column)
        }
        if targets != nil && label != .none {
            throw m.error(
                at: "label",
                "\(m.keyPath("label")): must be none when targets are given, "
                    + "found '\(Self.text(label))'"
            )
        }
        if targets == nil && label == .none {
            throw m.error(
                at: "label",
                "\(m.keyPath("label")): none leaves the examples without labels; "
                    + "give a label column or targets"
            )
        }
        header = try m.value("header", default: .auto) { node, path in
            if case .scalar("auto", _) = node.content { return .auto }
            guard let present = try? node.bool(path) else {
                throw node.location.error(
                    key: path, "\(path): expected auto, true or false, found \(node.found)")
            }
            return present ? .present : .absent
        }
        delimiter = try m.value("delimiter", default: ",") { node, path in
            if case .scalar(let text, _) = node.content {
                // The two characters \t (plain or single-quoted YAML) mean a tab, like "\t".
                let character = text == "\\t" ? "\t" : text
                if character.unicodeScalars.count == 1, let c = character.unicodeScalars.first,
                    c.isASCII, !"\n\r\"".unicodeScalars.contains(c)
                {
                    return character
                }
            }
            throw node.location.error(
                key: path,
                "\(path): expected one ASCII character other than a newline or '\"', "
                    + "found \(node.found)")
        }
    }

    static func text(_ label: LabelSpec) -> String {
        switch label {
        case .first: return "first"
        case .last: return "last"
        case .none: return "none"
        case .index(let column): return String(column)
        }
    }
}

/// The data file formats, as the keyword reader wants them.
private enum DataFormat: String, CaseIterable {
    case csv, idx, npy, fann
}

extension SplitConfig {
    static let schema = KeySchema.mapping([.value("test_fraction"), .value("seed")])

    init(reading m: MappingReader) throws {
        testFraction = try m.number("test_fraction", .open(0, 1))
        seed = try m.unsigned("seed", default: 1)
    }
}

// MARK: - Writing

extension DataConfig {
    func write(to w: inout YAMLWriter) {
        w.mapping("train") { train.write(to: &$0) }
        if let test {
            w.mapping("test") { test.write(to: &$0) }
        } else {
            w.field("test", YAMLWriter.null)
        }
        if let split {
            w.mapping("split") { w in
                w.field("test_fraction", YAMLWriter.number(split.testFraction))
                w.field("seed", YAMLWriter.int(split.seed))
            }
        } else {
            w.field("split", YAMLWriter.null)
        }
        switch scale {
        case .none: w.field("scale", "none")
        case .standardize: w.field("scale", "standardize")
        case .constant(let factor): w.field("scale", YAMLWriter.number(factor))
        }
    }
}

extension DataSourceConfig {
    func write(to w: inout YAMLWriter) {
        w.field("path", YAMLWriter.string(path))
        let format = format ?? Self.inferredFormat(forPath: path)
        if let format { w.field("format", format) }
        if format == "csv" {
            w.field("label", Self.text(label))
            switch header {
            case .auto: w.field("header", "auto")
            case .present: w.field("header", YAMLWriter.bool(true))
            case .absent: w.field("header", YAMLWriter.bool(false))
            }
            w.field("delimiter", YAMLWriter.quoted(delimiter))
            w.field("targets", targets.map(YAMLWriter.list) ?? YAMLWriter.null)
        }
        if format == "idx" || format == "npy" {
            w.field("labels", labels.map(YAMLWriter.string) ?? YAMLWriter.null)
        }
    }
}
