/// Where a run writes its results.
///
/// YAML section `output`:
/// - `dir` (required): the run directory, used as written (a relative path resolves against the
///   current working directory).
public struct OutputConfig: Sendable, Equatable {
    public var dir: String

    public init(dir: String) {
        self.dir = dir
    }
}

extension OutputConfig {
    static let schema = KeySchema.mapping([.value("dir")])

    init(reading m: MappingReader) throws {
        dir = try m.string("dir", "a directory path")
    }

    func write(to w: inout YAMLWriter) {
        w.field("dir", YAMLWriter.string(dir))
    }
}
