import Foundation
import MLPTraining
import Testing

@Suite struct SafetensorsTests {
    /// Values chosen to catch byte-order and conversion slips: signs, zero of both signs,
    /// subnormals, infinities, NaN with a payload.
    static let specialValues: [Float] = [
        1, -2.5, 0, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity, -.infinity,
        Float(bitPattern: 0x7FC0_1234), 0.1, 3.1415927,
    ]

    static let sample = SafetensorsFile(
        tensors: [
            SafetensorsTensor(
                name: "layers.0.weight", shape: [3, 4],
                values: (0..<12).map { Float($0) * 0.25 - 1 }),
            SafetensorsTensor(name: "layers.0.bias", shape: [3], values: [0.5, -0.5, 0.125]),
            SafetensorsTensor(name: "special", shape: [11], values: specialValues),
            SafetensorsTensor(name: "scalar", shape: [], values: [42]),
            SafetensorsTensor(name: "empty", shape: [0, 5], values: []),
            SafetensorsTensor(
                name: "quote\" back\\slash\nnewline ünïcode 🙂", shape: [1], values: [7]),
        ],
        metadata: [
            "format": "mlpd-mlp", "sizes": "[784,30,10]", "activation": "sigmoid",
            "escaped": "tab\there \"quoted\" \u{1} ✓",
        ])

    static func bits(_ file: SafetensorsFile) -> [[UInt32]] {
        file.tensors.map { $0.values.map(\.bitPattern) }
    }

    @Test func roundTripsThroughBytesAndFiles() throws {
        let bytes = Self.sample.serialized()
        let parsed = try SafetensorsFile.parse(bytes, file: "sample.safetensors")
        #expect(parsed.metadata == Self.sample.metadata)
        #expect(parsed.tensors.map(\.name) == Self.sample.tensors.map(\.name))
        #expect(parsed.tensors.map(\.shape) == Self.sample.tensors.map(\.shape))
        #expect(Self.bits(parsed) == Self.bits(Self.sample))

        try withTemporaryDirectory { dir throws in
            let path = dir + "/model.safetensors"
            try Self.sample.write(to: path)
            #expect(try contents(path) == bytes)
            let read = try SafetensorsFile.read(path: path)
            #expect(Self.bits(read) == Self.bits(Self.sample))
            #expect(read.metadata == Self.sample.metadata)
            #expect(try listing(dir) == ["model.safetensors"])
        }
    }

    @Test func equalContentGivesIdenticalBytes() throws {
        var reordered: [String: String] = [:]
        for key in Self.sample.metadata.keys.sorted().reversed() {
            reordered[key] = Self.sample.metadata[key]
        }
        let same = SafetensorsFile(tensors: Self.sample.tensors, metadata: reordered)
        #expect(same.serialized() == Self.sample.serialized())

        try withTemporaryDirectory { dir throws in
            try Self.sample.write(to: dir + "/a.safetensors")
            try same.write(to: dir + "/b.safetensors")
            #expect(try contents(dir + "/a.safetensors") == contents(dir + "/b.safetensors"))
        }
    }

    /// The exact bytes of a small file, worked out by hand from the format description.
    @Test func matchesHandWrittenBytes() throws {
        let file = SafetensorsFile(
            tensors: [
                SafetensorsTensor(name: "w", shape: [1, 2], values: [1, -2]),
                SafetensorsTensor(name: "b", shape: [1], values: [0.5]),
            ],
            metadata: ["z": "last", "a": "first"])
        let json =
            #"{"__metadata__":{"a":"first","z":"last"},"#
            + #""w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var expected: [UInt8] = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
        expected += header
        expected += [0x00, 0x00, 0x80, 0x3F]  // 1.0 = 0x3F800000
        expected += [0x00, 0x00, 0x00, 0xC0]  // -2.0 = 0xC0000000
        expected += [0x00, 0x00, 0x00, 0x3F]  // 0.5 = 0x3F000000
        #expect(json.utf8.count % 8 != 0, "the case must exercise padding")
        #expect(file.serialized() == expected)
    }

    @Test func omitsEmptyMetadata() throws {
        let file = SafetensorsFile(tensors: [SafetensorsTensor(name: "x", shape: [1], values: [1])])
        let bytes = file.serialized()
        #expect(String(decoding: bytes[8..<13], as: UTF8.self) == #"{"x":"#)
        #expect(try SafetensorsFile.parse(bytes, file: "x") == file)
        let none = SafetensorsFile(tensors: [])
        #expect(try SafetensorsFile.parse(none.serialized(), file: "none") == none)
    }

    @Test func findsTensorsByName() {
        #expect(Self.sample.tensor(named: "layers.0.bias")?.values == [0.5, -0.5, 0.125])
        #expect(Self.sample.tensor(named: "layers.0.bias")?.shape == [3])
        #expect(Self.sample.tensor(named: "layers.9.bias") == nil)
    }

    @Test func refusesToWriteInvalidContent() throws {
        let cases: [(SafetensorsFile, String)] = [
            (
                SafetensorsFile(tensors: [
                    SafetensorsTensor(name: "a", shape: [2, 2], values: [1, 2, 3])
                ]), "does not hold"
            ),
            (
                SafetensorsFile(tensors: [SafetensorsTensor(name: "a", shape: [-1], values: [])]),
                "negative"
            ),
            (
                SafetensorsFile(tensors: [
                    SafetensorsTensor(name: "a", shape: [1], values: [1]),
                    SafetensorsTensor(name: "a", shape: [1], values: [2]),
                ]), "duplicate"
            ),
            (
                SafetensorsFile(tensors: [
                    SafetensorsTensor(name: "__metadata__", shape: [], values: [1])
                ]), "__metadata__"
            ),
        ]
        try withTemporaryDirectory { dir throws in
            for (file, fragment) in cases {
                let path = dir + "/bad.safetensors"
                let error = #expect(throws: ArtifactError.self) { try file.write(to: path) }
                #expect(error?.code == .invalidContent)
                #expect(error?.path == path)
                #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
            }
            #expect(try listing(dir) == [])
        }
    }

    @Test func readReportsMissingFile() throws {
        let error = #expect(throws: ArtifactError.self) {
            try SafetensorsFile.read(path: "/nonexistent/model.safetensors")
        }
        #expect(error?.code == .io)
        #expect(error?.path == "/nonexistent/model.safetensors")
        #expect(error?.description.contains("No such file or directory") == true)
    }

    // MARK: - Other writers

    /// A file as another writer might lay it out: whitespace, metadata last, header order
    /// differing from data order, and the other dtypes this reader converts.
    @Test func readsOtherDtypesAndLayouts() throws {
        var data: [UInt8] = []
        // "h" F16 [5]: 1, -2, 65504, 2^-24 (smallest subnormal), -0
        for half: UInt16 in [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000] { data += le(half) }
        // "h2" F16 [3]: +inf, -inf, NaN
        for half: UInt16 in [0x7C00, 0xFC00, 0x7E00] { data += le(half) }
        // "bf" BF16 [2]: 1, -3 (top halves of the float32 patterns)
        for half: UInt16 in [0x3F80, 0xC040] { data += le(half) }
        // "d" F64 [2, 1]: 0.1 (rounded to Float), -1e300 (overflows to -inf)
        for double in [0.1, -1e300] { data += le(double.bitPattern) }
        let header = """
            { "d": {"shape": [2, 1], "dtype": "F64", "data_offsets": [20, 36]},
              "h": {"dtype": "F16", "shape": [5], "data_offsets": [0, 10]},
              "bf": {"dtype": "BF16", "shape": [2], "data_offsets": [16, 20]},
              "h2": {"dtype": "F16", "shape": [3], "data_offsets": [10, 16]},
              "__metadata__": {"source": "elsewhere"} }\n
            """
        let file = try SafetensorsFile.parse(
            safetensorsBytes(header: header, data: data), file: "other.safetensors")
        #expect(file.tensors.map(\.name) == ["d", "h", "bf", "h2"])
        #expect(file.metadata == ["source": "elsewhere"])
        #expect(file.tensor(named: "d")?.shape == [2, 1])
        #expect(file.tensor(named: "d")?.values == [Float(0.1), -.infinity])
        #expect(
            file.tensor(named: "h")?.values.map(\.bitPattern)
                == [Float]([1, -2, 65504, 0x1p-24, -0.0]).map(\.bitPattern))
        let h2 = try #require(file.tensor(named: "h2")?.values)
        #expect(h2[0] == .infinity && h2[1] == -.infinity && h2[2].isNaN)
        #expect(file.tensor(named: "bf")?.values == [1, -3])
    }

    /// Every finite half-precision value converts exactly: spot-check against Float's own
    /// arithmetic over all exponents for one mantissa, and all subnormals.
    @Test func convertsHalfPrecisionExactly() throws {
        var data: [UInt8] = []
        var expected: [Float] = []
        for exponent in 1..<31 {
            data += le(UInt16(exponent << 10 | 0x155))
            expected.append(
                (1 + Float(0x155) / 1024)
                    * Float(sign: .plus, exponent: exponent - 15, significand: 1))
        }
        for mantissa in 1..<1024 {
            data += le(UInt16(0x8000 | mantissa))
            expected.append(-Float(mantissa) * 0x1p-24)
        }
        let header =
            #"{"t":{"dtype":"F16","shape":[\#(expected.count)],"data_offsets":[0,\#(data.count)]}}"#
        let file = try SafetensorsFile.parse(
            safetensorsBytes(header: header, data: data), file: "half")
        #expect(file.tensors[0].values == expected)
    }
}

// MARK: - Helpers

/// Safetensors bytes from header text and data, with the header length prefix; `length`
/// overrides the declared header length.
func safetensorsBytes(header: String, data: [UInt8], length: UInt64? = nil) -> [UInt8] {
    safetensorsBytes(header: Array(header.utf8), data: data, length: length)
}

func safetensorsBytes(header: [UInt8], data: [UInt8], length: UInt64? = nil) -> [UInt8] {
    le(length ?? UInt64(header.count)) + header + data
}

/// The little-endian bytes of an integer.
func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}
