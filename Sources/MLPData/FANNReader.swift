/// Reads the FANN library's text training-data format.
///
/// The file starts with `num_data num_input num_output`, then for each example its inputs
/// and then its outputs. FANN writes the inputs on one line and the outputs on the next,
/// but files in the wild wrap them anywhere, so any whitespace layout is read: values are
/// taken in order, and line numbers are kept for messages.
///
/// The outputs are kept as real-valued targets. When they are one-hot-like (two distinct
/// values in the whole file, the higher one exactly once per row; see
/// `ParsedExamples.argmaxLabels`), the data set also gets class labels (the argmax), so
/// classification accuracy can be reported; otherwise `labels` is nil.
enum FANNReader {
    static func read(_ spec: DataSourceSpec, shape: DataShape) throws -> ParsedExamples {
        let bytes = try FileBytes.read(spec.path)
        return try bytes.withUnsafeBufferPointer { try parse($0, file: spec.path, shape: shape) }
    }

    /// Whitespace-separated tokens with the line each starts on.
    private struct Tokens {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0
        /// The 1-based line at `position`.
        var line = 1

        /// The next token's range and line, or nil at the end of the file.
        mutating func next() -> (start: Int, end: Int, line: Int)? {
            while position < bytes.count {
                let byte = bytes[position]
                if byte == 0x0A {
                    line &+= 1
                } else if !(byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C) {
                    break
                }
                position &+= 1
            }
            guard position < bytes.count else { return nil }
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C {
                    break
                }
                position &+= 1
            }
            return (start, position, line)
        }
    }

    private static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, file: String, shape: DataShape
    ) throws -> ParsedExamples {
        var tokens = Tokens(bytes: bytes)
        let names = ["num_data", "num_input", "num_output"]
        var header: [Int] = []
        var headerLine = 1
        var lastHeaderLine = 1
        for name in names {
            guard let token = tokens.next() else {
                let message =
                    header.isEmpty
                    ? "no data: the file is empty"
                    : "the file ends inside the header 'num_data num_input num_output' (\(name) is missing)"
                throw DataError(
                    file: file, line: header.isEmpty ? nil : lastHeaderLine, message: message,
                    code: header.isEmpty ? .empty : .malformed)
            }
            if header.isEmpty { headerLine = token.line }
            lastHeaderLine = token.line
            guard let value = DecimalParser.parse(bytes, from: token.start, to: token.end),
                value >= 0, value == value.rounded(), value < Double(Int32.max)
            else {
                throw DataError(
                    file: file, line: token.line,
                    message:
                        "\(name) in the header 'num_data num_input num_output' must be a whole number, "
                        + "found \(quoted(bytes, from: token.start, to: token.end))",
                    code: .notANumber)
            }
            header.append(Int(value))
        }
        let (count, inputCount, outputCount) = (header[0], header[1], header[2])
        try ShapeCheck.inputs(
            inputCount, "\(counted(inputCount, "input")) per example (num_input in the header)",
            shape: shape, file: file, line: headerLine)
        try ShapeCheck.outputs(
            outputCount, "\(counted(outputCount, "output")) per example (num_output in the header)",
            shape: shape, file: file, line: headerLine)
        guard count > 0 else {
            throw DataError(file: file, line: headerLine, message: "no data: num_data is 0", code: .empty)
        }

        let width = inputCount + outputCount
        let announced =
            "\(counted(count, "example")) of \(counted(inputCount, "input")) and \(counted(outputCount, "output"))"
        let total = count * width
        // Each value takes at least a byte: a header that promises more values than the file
        // has bytes is refused before allocating for it.
        guard total <= bytes.count - tokens.position else {
            throw DataError(
                file: file, line: headerLine,
                message:
                    "the header announces \(announced) (\(total) values), "
                    + "but the file has only \(bytes.count - tokens.position) bytes after it",
                code: .countMismatch)
        }
        var features = [Float](repeating: 0, count: count * inputCount)
        var targets = [Float](repeating: 0, count: count * outputCount)
        var lastLine = headerLine  // where the last value read stands, for "file ends" errors
        try features.withUnsafeMutableBufferPointer { features in
            try targets.withUnsafeMutableBufferPointer { targets in
                for index in 0..<total {
                    let example = index / width
                    let slot = index % width
                    guard let token = tokens.next() else {
                        throw DataError(
                            file: file, line: lastLine,
                            message:
                                "the header (line \(headerLine)) announces \(announced) (\(total) values), "
                                + "but the file ends after \(counted(index, "value"))",
                            code: .countMismatch)
                    }
                    lastLine = token.line
                    let what = slot < inputCount ? "input \(slot)" : "output \(slot - inputCount)"
                    guard let value = DecimalParser.parse(bytes, from: token.start, to: token.end) else {
                        throw DataError(
                            file: file, line: token.line,
                            message:
                                "example \(example), \(what): \(quoted(bytes, from: token.start, to: token.end)) is not a number",
                            code: .notANumber)
                    }
                    let single = Float(value)
                    guard single.isFinite else {
                        let why = value.isFinite ? "is too large for Float (±3.4e38)" : "is not a finite number"
                        throw DataError(
                            file: file, line: token.line,
                            message: "example \(example), \(what): \(quoted(bytes, from: token.start, to: token.end)) \(why)",
                            code: .notFinite)
                    }
                    if slot < inputCount {
                        features[example * inputCount + slot] = single
                    } else {
                        targets[example * outputCount + slot - inputCount] = single
                    }
                }
            }
        }
        if let extra = tokens.next() {
            throw DataError(
                file: file, line: extra.line,
                message:
                    "extra value \(quoted(bytes, from: extra.start, to: extra.end)) after the "
                    + "\(counted(count, "example")) the header (line \(headerLine)) announces",
                code: .countMismatch)
        }
        return ParsedExamples(
            features: features, inputCount: inputCount, targets: .values(targets, deriveLabels: true))
    }
}
