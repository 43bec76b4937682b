#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads delimited text (CSV, TSV, semicolon- or space-separated) into examples.
///
/// Byte-level: lines are found with `memchr`, cells are scanned in place and numbers parsed
/// by `DecimalParser`, so no `String` is made per cell. Rules:
/// - Lines end in LF or CRLF. Blank lines (only spaces, tabs or CR) are skipped anywhere,
///   including a trailing one; line numbers in messages still count them.
/// - Spaces around a cell are ignored. A cell may be double-quoted (`"1.5"`, `"a,b"`; `""`
///   is a quote inside); a quoted cell cannot span lines.
/// - With the space delimiter, runs of spaces and tabs separate cells.
/// - Every row has as many cells as the first row (the header, if any). Every cell in a data
///   row is a finite number that fits in `Float`; a label is an integer class index.
struct CSVReader {
    let path: String
    let spec: DataSourceSpec
    let shape: DataShape
    let delimiter: UInt8
    /// The delimiter is a space: runs of blanks separate cells.
    let spaceSeparated: Bool

    /// Reads `spec.path` and checks its layout against `shape`.
    static func read(_ spec: DataSourceSpec, shape: DataShape) throws -> ParsedExamples {
        let bytes = try FileBytes.read(spec.path)
        var delimiter = spec.delimiter
        let name = spec.path.lowercased()
        if delimiter == UInt8(ascii: ","), name.hasSuffix(".tsv") || name.hasSuffix(".tsv.gz") {
            delimiter = UInt8(ascii: "\t")
        }
        let reader = CSVReader(
            path: spec.path, spec: spec, shape: shape, delimiter: delimiter,
            spaceSeparated: delimiter == UInt8(ascii: " "))
        return try bytes.withUnsafeBufferPointer { try reader.parse($0) }
    }

    // MARK: - Layout

    /// What each column is, resolved from the options and the first row.
    private struct Layout {
        /// Per column: `featureRole`, `labelRole`, or the target's index (0, 1, …).
        var roles: [Int]
        var featureCount: Int
        var targetCount: Int
        var hasLabel: Bool
    }

    private static let featureRole = -1
    private static let labelRole = -2

    private func layout(columnCount: Int, line: Int) throws -> Layout {
        func optionError(_ message: String) -> DataError {
            DataError(file: path, line: line, message: message, code: .badOptions)
        }
        let columns = "rows have \(counted(columnCount, "cell")) (columns 0…\(columnCount - 1), as in line \(line))"
        var roles = [Int](repeating: Self.featureRole, count: columnCount)
        var labelColumn: Int?
        switch spec.label {
        case .first: labelColumn = 0
        case .last: labelColumn = columnCount - 1
        case .index(let column):
            guard column >= 0 && column < columnCount else {
                throw optionError("label column \(column) does not exist: \(columns)")
            }
            labelColumn = column
        case .none: labelColumn = nil
        }
        if let targets = spec.targetColumns {
            guard labelColumn == nil else {
                throw optionError("targetColumns is set, so label must be none: regression data has no class label column")
            }
            guard !targets.isEmpty else { throw optionError("targetColumns is empty") }
            for (index, column) in targets.enumerated() {
                guard column >= 0 && column < columnCount else {
                    throw optionError("target column \(column) does not exist: \(columns)")
                }
                guard roles[column] == Self.featureRole else {
                    throw optionError("target column \(column) is listed twice")
                }
                roles[column] = index
            }
        } else if labelColumn == nil && !spec.targetsOptional {
            throw optionError("label is none and targetColumns is not set: the file would have no targets")
        }
        if let labelColumn { roles[labelColumn] = Self.labelRole }
        let targetCount = spec.targetColumns?.count ?? 0
        let featureCount = columnCount - targetCount - (labelColumn == nil ? 0 : 1)
        let what = counted(featureCount, "feature column")
        let detail: String
        if let labelColumn {
            detail = "rows have \(counted(columnCount, "cell")) with the label in column \(labelColumn)"
        } else {
            detail = "rows have \(counted(columnCount, "cell")) of which \(targetCount) are targets"
        }
        try ShapeCheck.inputs(featureCount, what, detail: detail, shape: shape, file: path, line: line)
        if targetCount > 0 {
            try ShapeCheck.outputs(
                targetCount, counted(targetCount, "target column"), shape: shape, file: path, line: line)
        }
        return Layout(
            roles: roles, featureCount: featureCount, targetCount: targetCount,
            hasLabel: labelColumn != nil)
    }

    // MARK: - Parsing

    private func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws -> ParsedExamples {
        var position = 0
        var line = 0

        // The first non-blank line: the header or the first data row; it fixes the column count.
        var firstCells: [(start: Int, end: Int)] = []
        var firstLine = 0
        while position < bytes.count {
            let end = lineEnd(bytes, from: position)
            line += 1
            if !isBlankLine(bytes, from: position, to: end) {
                firstLine = line
                var start = spaceSeparated ? skipBlanks(bytes, from: position, to: end) : position
                var column = 0
                while true {
                    let cell = try scanCell(bytes, at: start, lineEnd: end, line: line, column: column)
                    firstCells.append((cell.start, cell.end))
                    column += 1
                    guard cell.more else { break }
                    start = cell.next
                }
                break
            }
            position = end + 1
        }
        guard firstLine > 0 else {
            throw DataError(file: path, message: "no data: the file is empty", code: .empty)
        }
        let isHeader: Bool
        switch spec.header {
        case .present: isHeader = true
        case .absent: isHeader = false
        case .auto:
            isHeader = firstCells.contains { cell in
                cell.start < cell.end && DecimalParser.parse(bytes, from: cell.start, to: cell.end) == nil
            }
        }
        let columnNames = isHeader ? firstCells.map { quoted(bytes, from: $0.start, to: $0.end) } : nil
        let columnCount = firstCells.count
        let layout = try layout(columnCount: columnCount, line: firstLine)
        if isHeader {
            position = lineEnd(bytes, from: position) + 1
        } else {
            line = firstLine - 1  // the data loop reads the first row again
        }

        // Capacity from the length of the first data row, capped by the most rows the file can
        // hold (a row of n cells takes at least 2n bytes), so a short first row cannot make
        // it reserve far more than the file needs.
        let bytesPerRowGuess = max(1, lineEnd(bytes, from: position) - position + 1)
        let rowGuess = min(bytes.count / bytesPerRowGuess, bytes.count / (2 * columnCount)) + 1
        var features: [Float] = []
        features.reserveCapacity(rowGuess * layout.featureCount)
        var labels: [Double] = []
        var targets: [Float] = []
        var lines: [Int] = []
        if layout.hasLabel { labels.reserveCapacity(rowGuess) }
        targets.reserveCapacity(rowGuess * layout.targetCount)
        lines.reserveCapacity(rowGuess)
        var targetRow = [Float](repeating: 0, count: layout.targetCount)

        try layout.roles.withUnsafeBufferPointer { roles in
            while position < bytes.count {
                let end = lineEnd(bytes, from: position)
                line += 1
                defer { position = end + 1 }
                if isBlankLine(bytes, from: position, to: end) { continue }
                var start = spaceSeparated ? skipBlanks(bytes, from: position, to: end) : position
                var column = 0
                while true {
                    let cell = try scanCell(bytes, at: start, lineEnd: end, line: line, column: column)
                    if column < columnCount {
                        let value = try number(
                            bytes, cell.start, cell.end, line: line, column: column, names: columnNames)
                        let role = roles[column]
                        if role == Self.featureRole {
                            features.append(Float(value))
                        } else if role == Self.labelRole {
                            labels.append(value)
                        } else {
                            targetRow[role] = Float(value)
                        }
                    }
                    column += 1
                    guard cell.more else { break }
                    start = cell.next
                }
                guard column == columnCount else {
                    throw DataError(
                        file: path, line: line,
                        message: "row has \(counted(column, "cell")), expected \(columnCount) (as in line \(firstLine))"
                            + delimiterHint(bytes, from: position, to: end),
                        code: .raggedRow)
                }
                if layout.targetCount > 0 { targets.append(contentsOf: targetRow) }
                lines.append(line)
            }
        }
        guard !lines.isEmpty else {
            throw DataError(
                file: path, message: "no data rows after the header (line \(firstLine))", code: .empty)
        }
        let parsedTargets: ParsedTargets =
            layout.hasLabel
            ? .classLabels(labels, ExampleLocator(file: path, lines: lines))
            : layout.targetCount == 0 ? .absent : .values(targets, deriveLabels: false)
        return ParsedExamples(features: features, inputCount: layout.featureCount, targets: parsedTargets)
    }

    /// The value of a data cell: a finite number that fits in `Float`.
    @inline(__always)
    private func number(
        _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, line: Int, column: Int,
        names: [String]?
    ) throws -> Double {
        if let value = DecimalParser.parse(bytes, from: start, to: end), Float(value).isFinite {
            return value
        }
        // Cold path: say what is wrong with the cell.
        var where_ = "column \(column)"
        if let names { where_ += " (\(names[column]))" }
        guard start < end else {
            throw DataError(file: path, line: line, message: "\(where_) is empty", code: .notANumber)
        }
        let cell = quoted(bytes, from: start, to: end)
        guard let value = DecimalParser.parse(bytes, from: start, to: end) else {
            throw DataError(
                file: path, line: line,
                message: "\(where_): \(cell) is not a number" + delimiterHint(bytes, from: start, to: end),
                code: .notANumber)
        }
        let why = value.isFinite ? "is too large for Float (±3.4e38)" : "is not a finite number"
        throw DataError(file: path, line: line, message: "\(where_): \(cell) \(why)", code: .notFinite)
    }

    // MARK: - Lines and cells

    /// The index of the LF ending the line that starts at `start`, or the buffer's end.
    @inline(__always)
    private func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard start < bytes.count else { return bytes.count }
        guard let found = memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start) else {
            return bytes.count
        }
        return bytes.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// Space, tab or CR: ignored around cells and in blank lines.
    @inline(__always)
    private func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    private func isBlankLine(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Bool {
        var i = start
        while i < end {
            if !isBlank(bytes[i]) { return false }
            i &+= 1
        }
        return true
    }

    @inline(__always)
    private func skipBlanks(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        var i = start
        while i < end && isBlank(bytes[i]) { i &+= 1 }
        return i
    }

    /// One cell starting at `start`: its content (without quotes and surrounding blanks),
    /// where the next cell starts, and whether there is one.
    @inline(__always)
    private func scanCell(
        _ bytes: UnsafeBufferPointer<UInt8>, at start: Int, lineEnd: Int, line: Int, column: Int
    ) throws -> (start: Int, end: Int, next: Int, more: Bool) {
        let delimiter = self.delimiter
        var p = start
        if !spaceSeparated {
            while p < lineEnd && bytes[p] != delimiter && isBlank(bytes[p]) { p &+= 1 }
        }
        if p < lineEnd && bytes[p] == UInt8(ascii: "\"") {
            return try scanQuotedCell(bytes, at: p, lineEnd: lineEnd, line: line, column: column)
        }
        var q = p
        if spaceSeparated {
            while q < lineEnd && !isBlank(bytes[q]) { q &+= 1 }
            let next = skipBlanks(bytes, from: q, to: lineEnd)
            return (p, q, next, next < lineEnd)
        }
        while q < lineEnd && bytes[q] != delimiter { q &+= 1 }
        var e = q
        while e > p && isBlank(bytes[e &- 1]) { e &-= 1 }
        return (p, e, q &+ 1, q < lineEnd)
    }

    private func scanQuotedCell(
        _ bytes: UnsafeBufferPointer<UInt8>, at start: Int, lineEnd: Int, line: Int, column: Int
    ) throws -> (start: Int, end: Int, next: Int, more: Bool) {
        let quote = UInt8(ascii: "\"")
        var j = start + 1
        while true {
            while j < lineEnd && bytes[j] != quote { j += 1 }
            guard j < lineEnd else {
                throw DataError(
                    file: path, line: line,
                    message: "column \(column): unterminated quoted cell (a quoted cell cannot span lines)",
                    code: .malformed)
            }
            if j + 1 < lineEnd && bytes[j + 1] == quote {
                j += 2
                continue
            }
            break
        }
        let after = skipBlanks(bytes, from: j + 1, to: lineEnd)
        let separated = spaceSeparated ? (after > j + 1 || after == lineEnd) : (after == lineEnd || bytes[after] == delimiter)
        guard separated else {
            throw DataError(
                file: path, line: line, message: "column \(column): text after the closing quote",
                code: .malformed)
        }
        if spaceSeparated { return (start + 1, j, after, after < lineEnd) }
        return (start + 1, j, after + 1, after < lineEnd)
    }

    /// A hint when the text holds a common delimiter other than the one in use.
    private func delimiterHint(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> String {
        let candidates: [(UInt8, String)] = [
            (UInt8(ascii: ","), "','"), (UInt8(ascii: ";"), "';'"), (UInt8(ascii: "\t"), "tab"),
        ]
        for (byte, name) in candidates where byte != delimiter {
            if UnsafeBufferPointer(rebasing: bytes[start..<end]).contains(byte) {
                return " (is the delimiter \(name)?)"
            }
        }
        return ""
    }
}
