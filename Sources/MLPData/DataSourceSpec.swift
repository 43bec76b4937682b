/// Whether the first row of a CSV file is a header.
public enum CSVHeader: Sendable, Equatable {
    /// The first row is a header when any of its cells is non-empty and not a number (`nan`
    /// and `inf` count as numbers here, so such a row is reported as data, not skipped).
    case auto
    /// The first row is a header and is skipped.
    case present
    /// There is no header; the first row is data.
    case absent
}

/// Which CSV column holds the class label.
public enum LabelColumn: Sendable, Equatable {
    /// The first cell of each row.
    case first
    /// The last cell of each row.
    case last
    /// The cell at this 0-based column.
    case index(Int)
    /// No class label: the targets come from `DataSourceSpec.targetColumns` (regression).
    case none
}

/// Where a data set comes from and how to read it.
///
/// Keys and defaults:
/// - `path`: the features file; a gzip-compressed file is read transparently, whatever its
///   name.
/// - `format`: nil infers it from the name (see `DataFormat.init(inferringFromPath:)`); a
///   name that says nothing is an error naming the path.
/// - `labelsPath`: idx and npy only, and required there: the class labels (a 1-D array:
///   idx1 ubyte, npy `|u1`, `<i4`, `<i8` …) or real-valued targets (a 2-D array, examples ×
///   outputs).
/// - `header`: CSV only; default `.auto`.
/// - `delimiter`: CSV only; default `,`. Tab and semicolon work as usual; with space, runs of
///   spaces and tabs separate cells and leading or trailing ones are ignored. A `.tsv` file
///   whose delimiter is left at `,` is read with tabs.
/// - `label`: CSV only; default `.last`: classification with the class index in the last
///   column.
/// - `targetColumns`: CSV regression: these 0-based columns, in this order, are the
///   real-valued targets and `label` must be `.none`; every other column is a feature.
public struct DataSourceSpec: Sendable, Equatable {
    public var path: String
    public var format: DataFormat?
    public var labelsPath: String?
    public var header: CSVHeader
    public var delimiter: UInt8
    public var label: LabelColumn
    public var targetColumns: [Int]?
    /// For prediction: a file without labels or targets (CSV with `label: .none` and no
    /// `targetColumns`, idx/npy without `labelsPath`) is accepted; its examples get all-zero
    /// targets and no labels. Training leaves this false, so such a file is an error there.
    public var targetsOptional = false

    public init(
        path: String, format: DataFormat? = nil, labelsPath: String? = nil,
        header: CSVHeader = .auto, delimiter: UInt8 = UInt8(ascii: ","),
        label: LabelColumn = .last, targetColumns: [Int]? = nil
    ) {
        self.path = path
        self.format = format
        self.labelsPath = labelsPath
        self.header = header
        self.delimiter = delimiter
        self.label = label
        self.targetColumns = targetColumns
    }
}
