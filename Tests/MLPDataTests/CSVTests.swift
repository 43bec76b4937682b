import MLPCore
import MLPData
import Testing

@Suite struct CSVTests {
    let fixtures = Fixtures()

    // MARK: - Happy paths

    @Test func headerlessClassificationWithLabelLast() throws {
        let path = fixtures.write("plain.csv", "1,2,0\n3.5,-4,2\n")
        let data = try DataLoader.load(DataSourceSpec(path: path), expecting: DataShape(inputCount: 2, outputCount: 3))
        #expect(data.count == 2 && data.inputCount == 2 && data.outputCount == 3)
        #expect(data.features == [1, 2, 3.5, -4])
        #expect(data.targets == [1, 0, 0, 0, 0, 1])
        #expect(data.labels == [0, 2])
        #expect(data.name == path)
    }

    @Test func headerIsDetectedOrForced() throws {
        let shape = DataShape(inputCount: 2, outputCount: 2)
        let named = fixtures.write("named.csv", "x,y,label\n1,2,1\n")
        #expect(try DataLoader.load(DataSourceSpec(path: named), expecting: shape).features == [1, 2])
        // A quoted header with a delimiter inside a name.
        let quotedHeader = fixtures.write("quoted.csv", "\"x, first\",\"y\",\"label\"\n1,2,1\n")
        #expect(try DataLoader.load(DataSourceSpec(path: quotedHeader), expecting: shape).count == 1)
        // Numeric first row: data under .auto, skipped under .present.
        let numeric = fixtures.write("numeric.csv", "5,6,0\n1,2,1\n")
        #expect(try DataLoader.load(DataSourceSpec(path: numeric), expecting: shape).count == 2)
        let forced = try DataLoader.load(DataSourceSpec(path: numeric, header: .present), expecting: shape)
        #expect(forced.features == [1, 2] && forced.labels == [1])
        // .absent makes a non-numeric first row a data row, which is then an error.
        expectDataError(
            DataSourceSpec(path: named, header: .absent), shape, code: .notANumber, line: 1, mentions: ["'x'"])
    }

    @Test func labelColumnFirstAndIndex() throws {
        let shape = DataShape(inputCount: 2, outputCount: 4)
        let path = fixtures.write("labels.csv", "3,10,20\n1,30,40\n")
        let first = try DataLoader.load(DataSourceSpec(path: path, label: .first), expecting: shape)
        #expect(first.features == [10, 20, 30, 40])
        #expect(first.labels == [3, 1])
        let middle = fixtures.write("middle.csv", "10,3,20\n30,1,40\n")
        let indexed = try DataLoader.load(DataSourceSpec(path: middle, label: .index(1)), expecting: shape)
        #expect(indexed.features == [10, 20, 30, 40])
        #expect(indexed.labels == [3, 1])
        #expect(indexed.targets == [0, 0, 0, 1, 0, 1, 0, 0])
    }

    @Test func delimitersQuotesCRLFAndBlankLines() throws {
        let shape = DataShape(inputCount: 2, outputCount: 2)
        let expected: [Float] = [1, 2.5, 3, 4]
        let semicolon = fixtures.write("semi.csv", "a;b;c\r\n1;2.5;0\r\n3;4;1\r\n\r\n")
        #expect(try DataLoader.load(DataSourceSpec(path: semicolon, delimiter: UInt8(ascii: ";")), expecting: shape).features == expected)
        let tab = fixtures.write("tab.txt", "1\t2.5\t0\n\n3\t4\t1")
        #expect(try DataLoader.load(DataSourceSpec(path: tab, delimiter: UInt8(ascii: "\t")), expecting: shape).features == expected)
        // A .tsv name with the default delimiter reads tabs.
        let tsv = fixtures.write("data.tsv", "1\t2.5\t0\n3\t4\t1\n")
        #expect(try DataLoader.load(DataSourceSpec(path: tsv), expecting: shape).features == expected)
        // Space: runs of blanks separate, leading and trailing blanks are ignored.
        let spaces = fixtures.write("spaces.txt", "  1   2.5 0  \n3 \t4 1\n")
        #expect(try DataLoader.load(DataSourceSpec(path: spaces, delimiter: UInt8(ascii: " ")), expecting: shape).features == expected)
        // Quoted numbers and blanks around cells.
        let quoted = fixtures.write("quoted.csv", " \"1\" , 2.5,\"0\"\n3,\"4\" ,1 \n")
        let data = try DataLoader.load(DataSourceSpec(path: quoted), expecting: shape)
        #expect(data.features == expected)
        #expect(data.labels == [0, 1])
    }

    @Test func regressionTargetColumns() throws {
        let path = fixtures.write("reg.csv", "t1,x1,x2,t0\n0.5,1,2,-1\n1.5,3,4,-2\n")
        let spec = DataSourceSpec(path: path, label: .none, targetColumns: [3, 0])
        let data = try DataLoader.load(spec, expecting: DataShape(inputCount: 2, outputCount: 2))
        #expect(data.features == [1, 2, 3, 4])
        #expect(data.targets == [-1, 0.5, -2, 1.5])  // in targetColumns order
        #expect(data.labels == nil)
    }

    @Test func numbersParseAsTheStandardLibraryDoes() throws {
        let cells = [
            "0", "-0", "255", "+7", ".5", "5.", "0.1", "-1.25e-3", "1E3", "3.4028234e38", "1e-30",
            "123456789012345678901234", "0.1000000000000000055511151231257827", "1e-45", "2.5e+2",
            "0x1p-2", "16777217", "9007199254740993",
        ]
        let path = fixtures.write("numbers.csv", cells.map { "\($0),0" }.joined(separator: "\n"))
        let data = try DataLoader.load(DataSourceSpec(path: path), expecting: DataShape(inputCount: 1, outputCount: 1))
        for (cell, value) in zip(cells, data.features) {
            #expect(value == Float(Double(cell)!), "\(cell)")
        }
        #expect(data.features[1].sign == .minus)
    }

    @Test func randomNumbersParseAsTheStandardLibraryDoes() throws {
        // The byte-level parser against the standard library's, on seeded random spellings:
        // signs, leading zeros, fractions, exponents and mantissas too long for the fast path.
        var generator = SeededGenerator(seed: 2024)
        func digits(_ count: Int) -> String {
            String((0..<count).map { _ in Character(String(generator.nextIndex(below: 10))) })
        }
        var cells: [String] = []
        for _ in 0..<3000 {
            var cell = ["", "-", "+"][generator.nextIndex(below: 3)]
            cell += digits(generator.nextIndex(below: 9))
            if generator.nextIndex(below: 3) > 0 { cell += "." + digits(generator.nextIndex(below: 12)) }
            if generator.nextIndex(below: 10) == 0 {
                cell += (cell.contains(".") ? "" : ".") + digits(15 + generator.nextIndex(below: 15))
            }
            if !cell.contains(where: \.isNumber) { cell += "7" }
            if generator.nextIndex(below: 3) == 0 {
                cell += ["e", "E"][generator.nextIndex(below: 2)] + ["", "-", "+"][generator.nextIndex(below: 3)]
                cell += String(generator.nextIndex(below: 25))
            }
            cells.append(cell)
        }
        let path = fixtures.write("random.csv", cells.map { "\($0),0" }.joined(separator: "\n"))
        let data = try DataLoader.load(DataSourceSpec(path: path), expecting: DataShape(inputCount: 1, outputCount: 1))
        var mismatches: [String] = []
        for (cell, value) in zip(cells, data.features) where value != Float(Double(cell)!) {
            mismatches.append("\(cell) → \(value), expected \(Float(Double(cell)!))")
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test func realDigitsData() throws {
        let path = repositoryRoot + "/data/digits.csv.gz"
        let data = try DataLoader.load(DataSourceSpec(path: path), expecting: DataShape(inputCount: 64, outputCount: 10))
        #expect(data.count == 1797)
        #expect(data.features.count == 1797 * 64)
        #expect(data.features.min() == 0 && data.features.max() == 16)
        var histogram = [Int](repeating: 0, count: 10)
        for label in data.labels! { histogram[Int(label)] += 1 }
        #expect(histogram.reduce(0, +) == 1797)
        #expect(histogram.allSatisfy { $0 >= 170 && $0 <= 190 })  // roughly balanced: 174…183 per digit
        #expect(data.targets.reduce(0, +) == 1797)
    }

    // MARK: - Faults

    @Test func raggedRow() {
        let path = fixtures.write("ragged.csv", "1,2,0\n3,4,1\n\n5,6\n")
        expectDataError(
            DataSourceSpec(path: path), DataShape(inputCount: 2, outputCount: 2), code: .raggedRow, line: 4,
            mentions: ["row has 2 cells, expected 3 (as in line 1)"])
        let long = fixtures.write("long.csv", "a,b,c\n1,2,0\n3,4,1,9\n")
        expectDataError(
            DataSourceSpec(path: long), DataShape(inputCount: 2, outputCount: 2), code: .raggedRow, line: 3,
            mentions: ["row has 4 cells, expected 3 (as in line 1)"])
    }

    @Test func nonNumericAndEmptyCells() {
        let shape = DataShape(inputCount: 2, outputCount: 2)
        let path = fixtures.write("text.csv", "x,y,label\n1,2,0\n3,abc,1\n")
        expectDataError(
            DataSourceSpec(path: path), shape, code: .notANumber, line: 3,
            mentions: ["column 1 ('y')", "'abc' is not a number"])
        let empty = fixtures.write("empty-cell.csv", "1,2,0\n3,,1\n")
        expectDataError(DataSourceSpec(path: empty), shape, code: .notANumber, line: 2, mentions: ["column 1 is empty"])
        let wrongDelimiter = fixtures.write("semi.csv", "1;2;0\n")
        expectDataError(
            DataSourceSpec(path: wrongDelimiter), DataShape(inputCount: 2, outputCount: 2), code: .shapeMismatch,
            line: 1, mentions: ["0 feature columns"])
        let mixed = fixtures.write("mixed.csv", "1,2,0\n3;4,5,1\n")
        expectDataError(
            DataSourceSpec(path: mixed), shape, code: .notANumber, line: 2,
            mentions: ["'3;4' is not a number", "is the delimiter ';'?"])
    }

    @Test func nonFiniteValues() {
        let shape = DataShape(inputCount: 2, outputCount: 2)
        for (cell, why) in [("nan", "is not a finite number"), ("-inf", "is not a finite number"), ("1e39", "is too large for Float")] {
            let path = fixtures.write("bad-\(cell).csv", "1,2,0\n3,4,1\n\(cell),5,0\n")
            expectDataError(
                DataSourceSpec(path: path), shape, code: .notFinite, line: 3, mentions: ["column 0", "'\(cell)' \(why)"])
        }
    }

    @Test func labelsOutOfRangeOrNotIntegers() {
        let shape = DataShape(inputCount: 2, outputCount: 10)
        let path = fixtures.write("labels.csv", "1,2,9\n3,4,10\n")
        expectDataError(
            DataSourceSpec(path: path), shape, code: .labelOutOfRange, line: 2,
            mentions: ["label 10 out of range 0…9 for a 10-unit output layer"])
        let negative = fixtures.write("negative.csv", "1,2,-1\n")
        expectDataError(DataSourceSpec(path: negative), shape, code: .labelOutOfRange, line: 1, mentions: ["label -1 out of range"])
        let fraction = fixtures.write("fraction.csv", "1,2,0\n\n1,2,2.5\n")
        expectDataError(DataSourceSpec(path: fraction), shape, code: .labelNotInteger, line: 3, mentions: ["label 2.5 is not an integer"])
    }

    @Test func featureAndTargetCountMismatch() {
        let path = fixtures.write("wide.csv", "1,2,3,0\n")
        expectDataError(
            DataSourceSpec(path: path), DataShape(inputCount: 2, outputCount: 2), code: .shapeMismatch, line: 1,
            mentions: ["3 feature columns, but the first layer (model.layers[0]) has 2 units"])
        expectDataError(
            DataSourceSpec(path: path, label: .none, targetColumns: [0, 1]), DataShape(inputCount: 2, outputCount: 3),
            code: .shapeMismatch, line: 1,
            mentions: ["2 target columns, but the output layer (the last of model.layers) has 3 units"])
    }

    @Test func contradictoryOptions() {
        let shape = DataShape(inputCount: 2, outputCount: 2)
        let path = fixtures.write("opts.csv", "h1,h2,h3\n1,2,0\n")
        expectDataError(
            DataSourceSpec(path: path, label: .index(3)), shape, code: .badOptions, line: 1,
            mentions: ["label column 3 does not exist", "columns 0…2"])
        expectDataError(
            DataSourceSpec(path: path, targetColumns: [2]), shape, code: .badOptions, line: 1,
            mentions: ["label must be none"])
        expectDataError(
            DataSourceSpec(path: path, label: .none), shape, code: .badOptions, line: 1, mentions: ["no targets"])
        expectDataError(
            DataSourceSpec(path: path, label: .none, targetColumns: [2, 2]), DataShape(inputCount: 1, outputCount: 2),
            code: .badOptions, line: 1, mentions: ["target column 2 is listed twice"])
    }

    @Test func emptyFilesAndHeaderOnly() {
        let shape = DataShape(inputCount: 2, outputCount: 2)
        let empty = fixtures.write("empty.csv", "")
        expectDataError(DataSourceSpec(path: empty), shape, code: .empty, line: nil, mentions: ["the file is empty"])
        let blank = fixtures.write("blank.csv", "\n  \r\n")
        expectDataError(DataSourceSpec(path: blank), shape, code: .empty, line: nil, mentions: ["the file is empty"])
        let headerOnly = fixtures.write("header.csv", "a,b,c\n")
        expectDataError(
            DataSourceSpec(path: headerOnly), shape, code: .empty, line: nil, mentions: ["no data rows after the header (line 1)"])
    }

    @Test func unterminatedQuote() {
        let path = fixtures.write("quote.csv", "1,2,0\n1,\"2,0\n")
        expectDataError(
            DataSourceSpec(path: path), DataShape(inputCount: 2, outputCount: 2), code: .malformed, line: 2,
            mentions: ["column 1: unterminated quoted cell"])
    }
}
