/// Reads the IDX format of the MNIST files.
///
/// Layout: a big-endian 32-bit magic number `0x0000TTDD` (two zero bytes, a type byte `TT`,
/// the dimension count `DD`), then `DD` big-endian 32-bit dimension sizes, then the values,
/// big-endian, last dimension fastest. Types: `0x08` ubyte, `0x09` sbyte, `0x0B` short,
/// `0x0C` int, `0x0D` float, `0x0E` double. MNIST images are `0x00000803` (N × 28 × 28
/// ubyte), labels `0x00000801` (N ubyte). Features are an N × … array whose trailing
/// dimensions are flattened; the labels file is 1-D (class labels) or 2-D (real-valued
/// targets).
enum IDXReader {
    static func read(_ spec: DataSourceSpec, shape: DataShape) throws -> ParsedExamples {
        try BinaryPair.read(spec, shape: shape, format: .idx) { bytes, file, isLabels in
            try decode(bytes, file: file, isLabels: isLabels)
        }
    }

    /// The array in an IDX file's bytes; `isLabels` only chooses the wording of errors.
    static func decode(_ bytes: [UInt8], file: String, isLabels: Bool) throws -> BinaryArray {
        let expected =
            isLabels
            ? "0x00000801 for ubyte labels (or 0x0000TT01 / 0x0000TT02 for other types)"
            : "0x00000803 for ubyte images (or 0x0000TTDD: type byte TT of 08, 09, 0B, 0C, 0D, 0E and DD dimensions)"
        guard bytes.count >= 4 else {
            throw DataError(
                file: file,
                message: "file has \(counted(bytes.count, "byte")), too short for an IDX magic number (expected \(expected))",
                code: .truncated)
        }
        let magic = bigEndianWord(bytes, at: 0)
        let typeByte = bytes[2]
        let dimensionCount = Int(bytes[3])
        let types: [UInt8: (ElementType, String)] = [
            0x08: (.uint8, "ubyte"), 0x09: (.int8, "sbyte"), 0x0B: (.int16, "short"),
            0x0C: (.int32, "int"), 0x0D: (.float32, "float"), 0x0E: (.float64, "double"),
        ]
        guard bytes[0] == 0, bytes[1] == 0, let (type, typeName) = types[typeByte], dimensionCount > 0 else {
            throw DataError(
                file: file, message: "not an IDX file: magic number is \(hex(magic)), expected \(expected)",
                code: .badMagic)
        }
        let headerSize = 4 + 4 * dimensionCount
        guard bytes.count >= headerSize else {
            throw DataError(
                file: file,
                message:
                    "file has \(counted(bytes.count, "byte")), too short for the header of "
                    + "\(counted(dimensionCount, "dimension")) (\(headerSize) bytes): the file is truncated",
                code: .truncated)
        }
        let shape = (0..<dimensionCount).map { Int(bigEndianWord(bytes, at: 4 + 4 * $0)) }
        let array = BinaryArray(
            file: file, bytes: bytes, dataOffset: headerSize, shape: shape, type: type,
            typeName: typeName, bigEndian: true)
        try array.checkLength()
        return array
    }

    private static func bigEndianWord(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// `0x00000803`.
    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
