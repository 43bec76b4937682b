import MLPData
import Testing

@Suite struct IDXTests {
    let fixtures = Fixtures()

    /// Three 2×2 ubyte images and their labels.
    func writeImages(gzip: Bool = false) -> (images: String, labels: String) {
        let images = idxUByte(shape: [3, 2, 2], [0, 1, 2, 3, 10, 11, 12, 13, 255, 254, 253, 252])
        let labels = idxUByte(shape: [3], [2, 0, 1])
        if gzip {
            return (
                fixtures.writeGzip("train-images-idx3-ubyte.gz", bytes: images),
                fixtures.writeGzip("train-labels-idx1-ubyte.gz", bytes: labels)
            )
        }
        return (
            fixtures.write("train-images-idx3-ubyte", bytes: images),
            fixtures.write("train-labels-idx1-ubyte", bytes: labels)
        )
    }

    @Test(arguments: [false, true])
    func ubyteImagesAndLabels(gzip: Bool) throws {
        let (images, labels) = writeImages(gzip: gzip)
        let data = try DataLoader.load(
            DataSourceSpec(path: images, labelsPath: labels), expecting: DataShape(inputCount: 4, outputCount: 3))
        #expect(data.count == 3 && data.inputCount == 4)
        #expect(data.features == [0, 1, 2, 3, 10, 11, 12, 13, 255, 254, 253, 252])
        #expect(data.labels == [2, 0, 1])
        #expect(data.targets == [0, 0, 1, 1, 0, 0, 0, 1, 0])
    }

    @Test func floatFeaturesAndRegressionTargets() throws {
        let features = fixtures.write("x.idx", bytes: idxFloat(shape: [2, 3], [1.5, -2, 0, 1e-3, 3e5, -0.25]))
        let targets = fixtures.write("y.idx", bytes: idxFloat(shape: [2, 2], [0.5, 1, -1, 2]))
        let data = try DataLoader.load(
            DataSourceSpec(path: features, labelsPath: targets), expecting: DataShape(inputCount: 3, outputCount: 2))
        #expect(data.features == [1.5, -2, 0, 1e-3, 3e5, -0.25])
        #expect(data.targets == [0.5, 1, -1, 2])
        #expect(data.labels == nil)
    }

    @Test func otherElementTypes() throws {
        // sbyte, big-endian short and int, double.
        let shape = DataShape(inputCount: 2, outputCount: 2)
        let labels = fixtures.write("labels.idx", bytes: idxUByte(shape: [1], [1]))
        let cases: [(UInt8, [UInt8], [Float])] = [
            (0x09, [0xFF, 0x05], [-1, 5]),
            (0x0B, [0xFF, 0xFE, 0x01, 0x00], [-2, 256]),
            (0x0C, [0x00, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF], [65536, -1]),
            (0x0E, withUnsafeBytes(of: (0.5 as Double).bitPattern.bigEndian, Array.init)
                + withUnsafeBytes(of: (-3.0 as Double).bitPattern.bigEndian, Array.init), [0.5, -3]),
        ]
        for (type, data, expected) in cases {
            let path = fixtures.write("type-\(type).idx", bytes: idxFile(type: type, shape: [1, 2], data: data))
            let loaded = try DataLoader.load(DataSourceSpec(path: path, labelsPath: labels), expecting: shape)
            #expect(loaded.features == expected, "type 0x\(String(type, radix: 16))")
        }
    }

    @Test func realMNISTSubset() throws {
        let folder = repositoryRoot + "/data/mnist5k/"
        let shape = DataShape(inputCount: 784, outputCount: 10)
        let train = try DataLoader.load(
            DataSourceSpec(path: folder + "train-images-idx3-ubyte.gz", labelsPath: folder + "train-labels-idx1-ubyte.gz"),
            expecting: shape)
        let test = try DataLoader.load(
            DataSourceSpec(path: folder + "t10k-images-idx3-ubyte.gz", labelsPath: folder + "t10k-labels-idx1-ubyte.gz"),
            expecting: shape)
        #expect(train.count == 4000 && test.count == 1000)
        #expect(train.features.count == 4000 * 784)
        #expect(train.features.min() == 0 && train.features.max() == 255)
        var histogram = [Int](repeating: 0, count: 10)
        for label in train.labels! + test.labels! { histogram[Int(label)] += 1 }
        // The 5000 images are 500 of each digit, shuffled before the split.
        #expect(histogram == [Int](repeating: 500, count: 10))
        #expect(train.targets.reduce(0, +) == 4000)
        #expect(test.targets.reduce(0, +) == 1000)
    }

    // MARK: - Faults

    @Test func wrongMagic() {
        let (images, labels) = writeImages()
        let shape = DataShape(inputCount: 4, outputCount: 3)
        // Labels given as features and features as labels.
        let text = fixtures.write("not-idx-ubyte", "hello, world")
        expectDataError(
            DataSourceSpec(path: text, labelsPath: labels), shape, code: .badMagic, line: nil,
            mentions: ["magic number is 0x68656C6C", "expected 0x00000803"])
        let badType = fixtures.write("bad-type.idx", bytes: idxFile(type: 0x07, shape: [3], data: [1, 2, 3]))
        expectDataError(
            DataSourceSpec(path: images, labelsPath: badType), shape, code: .badMagic, file: badType, line: nil,
            mentions: ["magic number is 0x00000701", "expected 0x00000801"])
    }

    @Test func truncatedAndOverlongData() {
        let labels = fixtures.write("labels-idx1-ubyte", bytes: idxUByte(shape: [3], [0, 1, 2]))
        let shape = DataShape(inputCount: 4, outputCount: 3)
        let short = fixtures.write("short-idx3-ubyte", bytes: idxUByte(shape: [3, 2, 2], [UInt8](repeating: 1, count: 10)))
        expectDataError(
            DataSourceSpec(path: short, labelsPath: labels), shape, code: .truncated, line: nil,
            mentions: ["expected 12 bytes of data (3 × 2 × 2 ubyte values of 1 byte), found 10", "truncated"])
        let long = fixtures.write("long-idx3-ubyte", bytes: idxUByte(shape: [3, 2, 2], [UInt8](repeating: 1, count: 13)))
        expectDataError(
            DataSourceSpec(path: long, labelsPath: labels), shape, code: .truncated, line: nil,
            mentions: ["expected 12 bytes of data", "found 13", "goes on after its data"])
        let header = fixtures.write("header-idx3-ubyte", bytes: [0, 0, 8, 3, 0, 0, 0, 3])
        expectDataError(
            DataSourceSpec(path: header, labelsPath: labels), shape, code: .truncated, line: nil,
            mentions: ["too short for the header of 3 dimensions"])
        let floats = fixtures.write("floats.idx", bytes: Array(idxFloat(shape: [3, 4], [Float](repeating: 1, count: 12)).dropLast(3)))
        expectDataError(
            DataSourceSpec(path: floats, labelsPath: labels), shape, code: .truncated, line: nil,
            mentions: ["expected 48 bytes of data (3 × 4 float values of 4 bytes), found 45"])
    }

    @Test func labelCountMismatch() {
        let images = fixtures.write("images-idx3-ubyte", bytes: idxUByte(shape: [3, 2, 2], [UInt8](repeating: 0, count: 12)))
        let labels = fixtures.write("labels-idx1-ubyte", bytes: idxUByte(shape: [2], [0, 1]))
        expectDataError(
            DataSourceSpec(path: images, labelsPath: labels), DataShape(inputCount: 4, outputCount: 3),
            code: .countMismatch, file: labels, line: nil, mentions: ["2 labels, but \(images) has 3 images"])
    }

    @Test func labelOutOfRangeNamesTheExample() {
        let images = fixtures.write("images-idx3-ubyte", bytes: idxUByte(shape: [3, 2, 2], [UInt8](repeating: 0, count: 12)))
        let labels = fixtures.write("labels-idx1-ubyte", bytes: idxUByte(shape: [3], [0, 9, 10]))
        expectDataError(
            DataSourceSpec(path: images, labelsPath: labels), DataShape(inputCount: 4, outputCount: 10),
            code: .labelOutOfRange, file: labels, line: nil,
            mentions: ["example 2: label 10 out of range 0…9 for a 10-unit output layer"])
    }

    @Test func featureCountMismatch() {
        let (images, labels) = writeImages()
        expectDataError(
            DataSourceSpec(path: images, labelsPath: labels), DataShape(inputCount: 784, outputCount: 3),
            code: .shapeMismatch, line: nil,
            mentions: ["4 features per image (2 × 2), but the first layer (model.layers[0]) has 784 units"])
    }

    @Test func nonFiniteFloatNamesTheExample() {
        let labels = fixtures.write("labels.idx", bytes: idxUByte(shape: [2], [0, 1]))
        let features = fixtures.write("x.idx", bytes: idxFloat(shape: [2, 3], [1, 2, 3, 4, .nan, 6]))
        expectDataError(
            DataSourceSpec(path: features, labelsPath: labels), DataShape(inputCount: 3, outputCount: 2),
            code: .notFinite, line: nil, mentions: ["example 1, value 1: nan is not finite"])
    }

    @Test func missingLabelsPathSuggestsTheMNISTName() {
        let (images, _) = writeImages()
        expectDataError(
            DataSourceSpec(path: images), DataShape(inputCount: 4, outputCount: 3), code: .badOptions, line: nil,
            mentions: ["idx features need a labelsPath", "train-labels-idx1-ubyte"])
    }
}
