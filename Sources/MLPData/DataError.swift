/// A fault in a data file or in a data source's options.
///
/// Bad input never crashes the loader: every fault is one of these, naming the file and, for
/// text formats, the 1-based line (`data/x.csv:17: row has 63 cells, expected 65 (as in line
/// 1)`). Binary formats have no lines; their messages name the example index instead
/// (`train-labels-idx1-ubyte: example 17: label 10 out of range 0…9 …`). Columns named in
/// messages are 0-based, as in `LabelColumn.index` and `DataSourceSpec.targetColumns`.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// What kind of fault this is, so callers and tests need not match message text.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// The file could not be opened or read.
        case cannotOpen
        /// A gzip stream is truncated or corrupt.
        case corruptCompression
        /// The file holds no examples.
        case empty
        /// The source's options contradict each other or the file (label column out of range,
        /// unknown format, missing labels file).
        case badOptions
        /// A CSV row has a different number of cells from the first row.
        case raggedRow
        /// A cell or token is not a number.
        case notANumber
        /// A value is NaN or infinite, or too large for `Float`.
        case notFinite
        /// A class label is not an integer.
        case labelNotInteger
        /// A class label is negative or not below the output layer's width.
        case labelOutOfRange
        /// The file's feature or target count differs from the model's layer widths.
        case shapeMismatch
        /// Two counts that must agree do not (labels vs. examples, a FANN header vs. its data).
        case countMismatch
        /// A binary file ends before the data its header announces, or goes on after it.
        case truncated
        /// A binary file does not start with the magic number of its format.
        case badMagic
        /// The file uses a feature this loader does not read (a dtype, Fortran order, a
        /// version).
        case unsupported
        /// The file's structure is broken in some other way (an unreadable npy header, an
        /// unterminated quote).
        case malformed
    }

    /// The file at fault, as given in the data source (the features or the labels file).
    public var file: String
    /// The 1-based line of a text file, or nil for binary files and whole-file faults.
    public var line: Int?
    /// What is wrong, without the file and line prefix.
    public var message: String
    /// The kind of fault.
    public var code: Code

    public init(file: String, line: Int? = nil, message: String, code: Code) {
        self.file = file
        self.line = line
        self.message = message
        self.code = code
    }

    /// `file:line: message`, or `file: message` when there is no line.
    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

// MARK: - Message helpers shared by the readers

/// `1 feature column`, `63 feature columns`: a count with its noun in the right number.
func counted(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(count) \(count == 1 ? singular : (plural ?? singular + "s"))"
}

/// A cell or token quoted for a message, shortened when long.
func quoted(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> String {
    let limit = 40
    let shown = min(end - start, limit)
    var text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(start + shown)]), as: UTF8.self)
    if end - start > limit { text += "…" }
    return "'" + text + "'"
}
