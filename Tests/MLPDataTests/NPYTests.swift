import MLPData
import Testing

@Suite struct NPYTests {
    let fixtures = Fixtures()
    let shape = DataShape(inputCount: 3, outputCount: 4)

    /// Labels [3, 0] as int64, the dtype NumPy gives integer arrays by default.
    func int64Labels() -> String {
        fixtures.write("y.npy", bytes: npyFile(descr: "<i8", shape: [2], data: littleEndianBytes([Int64(3), 0])))
    }

    @Test func float32FeaturesWithInt64Labels() throws {
        let x = fixtures.write("x.npy", bytes: npyFile(descr: "<f4", shape: [2, 3], data: littleEndianBytes([Float](arrayLiteral: 1, -2.5, 3, 4, 5, 6e-7))))
        let data = try DataLoader.load(DataSourceSpec(path: x, labelsPath: int64Labels()), expecting: shape)
        #expect(data.features == [1, -2.5, 3, 4, 5, 6e-7])
        #expect(data.labels == [3, 0])
        #expect(data.targets == [0, 0, 0, 1, 1, 0, 0, 0])
    }

    @Test func float64AndUInt8FeaturesVersion2Header() throws {
        let f8 = fixtures.write("f8.npy", bytes: npyFile(descr: "<f8", shape: [2, 3], major: 2, data: littleEndianBytes([Double](arrayLiteral: 0.1, 2, 3, 4, 5, -6))))
        let labels32 = fixtures.write("y32.npy", bytes: npyFile(descr: "<i4", shape: [2], data: littleEndianBytes([Int32(1), 2])))
        let data = try DataLoader.load(DataSourceSpec(path: f8, labelsPath: labels32), expecting: shape)
        #expect(data.features == [Float(0.1), 2, 3, 4, 5, -6])
        #expect(data.labels == [1, 2])
        let u1 = fixtures.write("u1.npy", bytes: npyFile(descr: "|u1", shape: [2, 3], data: [0, 128, 255, 1, 2, 3]))
        let labels8 = fixtures.write("y8.npy", bytes: npyFile(descr: "|u1", shape: [2], data: [0, 3]))
        let bytes = try DataLoader.load(DataSourceSpec(path: u1, labelsPath: labels8), expecting: shape)
        #expect(bytes.features == [0, 128, 255, 1, 2, 3])
        #expect(bytes.labels == [0, 3])
    }

    @Test func imagesAreFlattenedAndTargetsMayBe2D() throws {
        let x = fixtures.write("img.npy", bytes: npyFile(descr: "|u1", shape: [2, 1, 3], data: [1, 2, 3, 4, 5, 6]))
        let y = fixtures.write("t.npy", bytes: npyFile(descr: "<f4", shape: [2, 4], data: littleEndianBytes([Float](arrayLiteral: 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5))))
        let data = try DataLoader.load(DataSourceSpec(path: x, labelsPath: y), expecting: shape)
        #expect(data.features == [1, 2, 3, 4, 5, 6])
        #expect(data.targets == [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5])
        #expect(data.labels == nil)
    }

    // MARK: - Faults

    @Test func fortranOrder() {
        let x = fixtures.write("f.npy", bytes: npyFile(descr: "<f4", shape: [2, 3], fortranOrder: true, data: littleEndianBytes([Float](repeating: 0, count: 6))))
        expectDataError(
            DataSourceSpec(path: x, labelsPath: int64Labels()), shape, code: .unsupported, line: nil,
            mentions: ["Fortran (column-major) order", "only C order"])
    }

    @Test func unsupportedAndBigEndianDtypes() {
        let complex = fixtures.write("c.npy", bytes: npyFile(descr: "<c8", shape: [2, 3], data: [UInt8](repeating: 0, count: 48)))
        expectDataError(
            DataSourceSpec(path: complex, labelsPath: int64Labels()), shape, code: .unsupported, line: nil,
            mentions: ["unsupported dtype '<c8'", "'<f4'"])
        let big = fixtures.write("b.npy", bytes: npyFile(descr: ">f4", shape: [2, 3], data: [UInt8](repeating: 0, count: 24)))
        expectDataError(
            DataSourceSpec(path: big, labelsPath: int64Labels()), shape, code: .unsupported, line: nil,
            mentions: ["big-endian dtype '>f4'", "astype('<f4')"])
        let x = fixtures.write("x.npy", bytes: npyFile(descr: "<f4", shape: [2, 3], data: [UInt8](repeating: 0, count: 24)))
        let badLabels = fixtures.write("l.npy", bytes: npyFile(descr: "<f2", shape: [2], data: [0, 0, 0, 0]))
        expectDataError(
            DataSourceSpec(path: x, labelsPath: badLabels), shape, code: .unsupported, file: badLabels, line: nil,
            mentions: ["unsupported dtype '<f2'"])
    }

    @Test func truncatedData() {
        let x = fixtures.write("t.npy", bytes: npyFile(descr: "<f8", shape: [2, 3], data: [UInt8](repeating: 0, count: 40)))
        expectDataError(
            DataSourceSpec(path: x, labelsPath: int64Labels()), shape, code: .truncated, line: nil,
            mentions: ["expected 48 bytes of data (2 × 3 '<f8' values of 8 bytes), found 40", "truncated"])
        let header = fixtures.write("h.npy", bytes: Array(npyFile(descr: "<f4", shape: [2, 3], data: []).prefix(30)))
        expectDataError(
            DataSourceSpec(path: header, labelsPath: int64Labels()), shape, code: .truncated, line: nil,
            mentions: ["the file is truncated"])
    }

    @Test func badMagicAndHeader() {
        let x = fixtures.write("m.npy", "PK\u{3}\u{4} this is a zip")
        expectDataError(
            DataSourceSpec(path: x, labelsPath: int64Labels()), shape, code: .badMagic, line: nil,
            mentions: ["not an npy file", "expected '\\x93NUMPY'"])
        var broken = npyFile(descr: "<f4", shape: [2, 3], data: [UInt8](repeating: 0, count: 24))
        broken[10] = UInt8(ascii: "[")  // the dict's opening brace
        let h = fixtures.write("h.npy", bytes: broken)
        expectDataError(
            DataSourceSpec(path: h, labelsPath: int64Labels()), shape, code: .malformed, line: nil,
            mentions: ["npy header"])
    }

    @Test func shapesAndCounts() {
        let oneD = fixtures.write("1d.npy", bytes: npyFile(descr: "<f4", shape: [3], data: [UInt8](repeating: 0, count: 12)))
        expectDataError(
            DataSourceSpec(path: oneD, labelsPath: int64Labels()), shape, code: .unsupported, line: nil,
            mentions: ["expected at least 2-D"])
        let three = fixtures.write("x3.npy", bytes: npyFile(descr: "<f4", shape: [3, 3], data: [UInt8](repeating: 0, count: 36)))
        expectDataError(
            DataSourceSpec(path: three, labelsPath: int64Labels()), shape, code: .countMismatch, file: int64Labels(), line: nil,
            mentions: ["2 labels, but \(three) has 3 examples"])
        expectDataError(
            DataSourceSpec(path: three, labelsPath: int64Labels()), DataShape(inputCount: 64, outputCount: 4),
            code: .shapeMismatch, line: nil,
            mentions: ["3 features per example (3), but the first layer (model.layers[0]) has 64 units"])
    }

    @Test func nonFiniteValuesNameTheExample() {
        let x = fixtures.write("n.npy", bytes: npyFile(descr: "<f8", shape: [2, 3], data: littleEndianBytes([Double](arrayLiteral: 1, 2, 3, 4, 5, .infinity))))
        expectDataError(
            DataSourceSpec(path: x, labelsPath: int64Labels()), shape, code: .notFinite, line: nil,
            mentions: ["example 1, value 2: inf is not finite"])
        let big = fixtures.write("big.npy", bytes: npyFile(descr: "<f8", shape: [2, 3], data: littleEndianBytes([Double](arrayLiteral: 1e300, 2, 3, 4, 5, 6))))
        expectDataError(
            DataSourceSpec(path: big, labelsPath: int64Labels()), shape, code: .notFinite, line: nil,
            mentions: ["example 0, value 0", "too large for Float"])
        let y = fixtures.write("ny.npy", bytes: npyFile(descr: "<f4", shape: [2], data: littleEndianBytes([Float](arrayLiteral: 1, .nan))))
        let fine = fixtures.write("fine.npy", bytes: npyFile(descr: "<f4", shape: [2, 3], data: [UInt8](repeating: 0, count: 24)))
        expectDataError(
            DataSourceSpec(path: fine, labelsPath: y), shape, code: .notFinite, file: y, line: nil,
            mentions: ["example 1: label nan is not finite"])
    }
}
