/// Element types of the binary formats (IDX and npy).
enum ElementType: Equatable, Sendable {
    case uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64

    /// Bytes per element.
    var size: Int {
        switch self {
        case .uint8, .int8: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        }
    }

    var isFloatingPoint: Bool { self == .float32 || self == .float64 }
}

/// An n-dimensional array in a binary file, header parsed, data not yet converted.
///
/// The first dimension counts examples. Size letters: `N` examples, `W` values per example
/// (the product of the other dimensions).
struct BinaryArray {
    /// The file, for messages.
    var file: String
    /// The whole file's bytes.
    var bytes: [UInt8]
    /// Where the data starts in `bytes`.
    var dataOffset: Int
    /// The dimension sizes, examples first.
    var shape: [Int]
    var type: ElementType
    /// The element type as the format names it (`ubyte`, `'<f4'`), for messages.
    var typeName: String
    var bigEndian: Bool

    /// N, the first dimension.
    var exampleCount: Int { shape.first ?? 1 }
    /// W, the product of the dimensions after the first.
    var valuesPerExample: Int { shape.dropFirst().reduce(1, *) }
    /// `4000 × 28 × 28`.
    var shapeText: String { shape.map(String.init).joined(separator: " × ") }

    /// Checks that the file holds exactly the data its header announces. Call once the
    /// header is parsed; also rejects element counts that overflow.
    func checkLength() throws {
        var elements = 1
        for size in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw DataError(file: file, message: "dimensions \(shapeText) are too large", code: .malformed)
            }
            elements = product
        }
        let (expected, overflow) = elements.multipliedReportingOverflow(by: type.size)
        let found = bytes.count - dataOffset
        guard !overflow else {
            throw DataError(file: file, message: "dimensions \(shapeText) are too large", code: .malformed)
        }
        guard found != expected else { return }
        let ending = found < expected ? "the file is truncated" : "the file goes on after its data"
        throw DataError(
            file: file,
            message:
                "expected \(expected) bytes of data "
                + "(\(shapeText) \(typeName) values of \(counted(type.size, "byte"))), found \(found): \(ending)",
            code: .truncated)
    }

    // MARK: - Conversion

    /// All values as `Float`, N × W row-major; every value must be finite in `Float`.
    func floats() throws -> [Float] {
        let count = shape.reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBytes { raw in
                let data = UnsafeRawBufferPointer(rebasing: raw[dataOffset...])
                convert(data, count: count) { out[$0] = Float($1) }
            }
        }
        if type.isFloatingPoint, let bad = out.firstIndex(where: { !$0.isFinite }) {
            let width = max(1, valuesPerExample)
            let original = value(at: bad)
            let why = original.isFinite ? "is too large for Float (±3.4e38)" : "is not finite"
            throw DataError(
                file: file,
                message: "example \(bad / width), value \(bad % width): \(original) \(why)",
                code: .notFinite)
        }
        return out
    }

    /// All values as `Double` (labels), each finite.
    func doubles() throws -> [Double] {
        let count = shape.reduce(1, *)
        var out = [Double](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBytes { raw in
                let data = UnsafeRawBufferPointer(rebasing: raw[dataOffset...])
                convert(data, count: count) { out[$0] = $1 }
            }
        }
        if let bad = out.firstIndex(where: { !$0.isFinite }) {
            throw DataError(
                file: file, message: "example \(bad): label \(out[bad]) is not finite", code: .notFinite)
        }
        return out
    }

    /// The element at flat index `index`, as `Double` (for messages).
    private func value(at index: Int) -> Double {
        var result = 0.0
        bytes.withUnsafeBytes { raw in
            let data = UnsafeRawBufferPointer(rebasing: raw[(dataOffset + index * type.size)...])
            convert(data, count: 1) { _, value in result = value }
        }
        return result
    }

    /// Calls `store(i, value)` for the first `count` elements of `data`, decoding the type
    /// and byte order. Values pass through `Double`, which holds every element type's values
    /// (64-bit integers beyond 2^53 rounded).
    private func convert(_ data: UnsafeRawBufferPointer, count: Int, _ store: (Int, Double) -> Void) {
        let big = bigEndian
        @inline(__always) func u16(_ i: Int) -> UInt16 {
            let v = data.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
            return big ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
        }
        @inline(__always) func u32(_ i: Int) -> UInt32 {
            let v = data.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
            return big ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
        }
        @inline(__always) func u64(_ i: Int) -> UInt64 {
            let v = data.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
            return big ? UInt64(bigEndian: v) : UInt64(littleEndian: v)
        }
        switch type {
        case .uint8: for i in 0..<count { store(i, Double(data[i])) }
        case .int8: for i in 0..<count { store(i, Double(Int8(bitPattern: data[i]))) }
        case .uint16: for i in 0..<count { store(i, Double(u16(i))) }
        case .int16: for i in 0..<count { store(i, Double(Int16(bitPattern: u16(i)))) }
        case .uint32: for i in 0..<count { store(i, Double(u32(i))) }
        case .int32: for i in 0..<count { store(i, Double(Int32(bitPattern: u32(i)))) }
        case .uint64: for i in 0..<count { store(i, Double(u64(i))) }
        case .int64: for i in 0..<count { store(i, Double(Int64(bitPattern: u64(i)))) }
        case .float32: for i in 0..<count { store(i, Double(Float(bitPattern: u32(i)))) }
        case .float64: for i in 0..<count { store(i, Double(bitPattern: u64(i))) }
        }
    }
}

// MARK: - Features and labels from a pair of files

/// The loading shared by the binary formats: features from one array, class labels (1-D)
/// or real-valued targets (2-D) from another.
enum BinaryPair {
    /// Reads both files with `decode` (the format's header parser, told which file it reads) and checks them against
    /// each other and against `shape`.
    static func read(
        _ spec: DataSourceSpec, shape: DataShape, format: DataFormat,
        decode: (_ bytes: [UInt8], _ file: String, _ isLabels: Bool) throws -> BinaryArray
    ) throws -> ParsedExamples {
        let features = try decode(try FileBytes.read(spec.path), spec.path, false)
        guard features.shape.count >= 2 else {
            throw DataError(
                file: spec.path,
                message:
                    "features array has shape \(features.shapeText) (\(features.shape.count)-D), "
                    + "expected at least 2-D: examples × features",
                code: .unsupported)
        }
        let inputCount = features.valuesPerExample
        let per = features.shape.count == 3 ? "image" : "example"
        try ShapeCheck.inputs(
            inputCount,
            "\(counted(inputCount, "feature")) per \(per) (\(features.shape.dropFirst().map(String.init).joined(separator: " × ")))",
            shape: shape, file: spec.path)
        guard features.exampleCount > 0 else {
            throw DataError(file: spec.path, message: "no data: the array has 0 examples", code: .empty)
        }
        guard let labelsPath = spec.labelsPath else {
            if spec.targetsOptional {
                return ParsedExamples(features: try features.floats(), inputCount: inputCount, targets: .absent)
            }
            var hint = ""
            if spec.path.contains("images-idx3") {
                hint = " (for MNIST: \(spec.path.replacing("images-idx3", with: "labels-idx1")))"
            }
            throw DataError(
                file: spec.path,
                message: "\(format.rawValue) features need a labelsPath with the labels or targets\(hint)",
                code: .badOptions)
        }
        let labels = try decode(try FileBytes.read(labelsPath), labelsPath, true)
        guard labels.shape.count == 1 || labels.shape.count == 2 else {
            throw DataError(
                file: labelsPath,
                message:
                    "labels array has shape \(labels.shapeText), expected 1-D (class labels) or 2-D (examples × targets)",
                code: .unsupported)
        }
        guard labels.exampleCount == features.exampleCount else {
            throw DataError(
                file: labelsPath,
                message:
                    "\(counted(labels.exampleCount, "label")), but \(spec.path) has \(counted(features.exampleCount, per))",
                code: .countMismatch)
        }
        let targets: ParsedTargets
        if labels.shape.count == 1 {
            targets = .classLabels(try labels.doubles(), ExampleLocator(file: labelsPath, lines: nil))
        } else {
            try ShapeCheck.outputs(
                labels.shape[1], "\(counted(labels.shape[1], "target")) per example (shape \(labels.shapeText))",
                shape: shape, file: labelsPath)
            targets = .values(try labels.floats(), deriveLabels: false)
        }
        return ParsedExamples(features: try features.floats(), inputCount: inputCount, targets: targets)
    }
}
