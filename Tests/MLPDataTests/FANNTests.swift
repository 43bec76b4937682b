import MLPData
import Testing

@Suite struct FANNTests {
    let fixtures = Fixtures()

    @Test func classificationOutputsGiveLabels() throws {
        let path = fixtures.write("xor.data", "4 2 2\n0 0\n1 0\n0 1\n0 1\n1 0\n0 1\n1 1\n1 0\n")
        let data = try DataLoader.load(DataSourceSpec(path: path), expecting: DataShape(inputCount: 2, outputCount: 2))
        #expect(data.count == 4)
        #expect(data.features == [0, 0, 0, 1, 1, 0, 1, 1])
        #expect(data.targets == [1, 0, 0, 1, 0, 1, 1, 0])
        #expect(data.labels == [0, 1, 1, 0])
    }

    @Test func symmetricOutputsAndAnyLayout() throws {
        // -1/1 outputs (FANN's symmetric activations), values wrapped across lines at random.
        let path = fixtures.write("wrapped.train", "2 3\n3\n0.5 1 1.5 -1 -1\n1\n\t2 2.5\r\n3 -1 1 -1\n")
        let data = try DataLoader.load(DataSourceSpec(path: path), expecting: DataShape(inputCount: 3, outputCount: 3))
        #expect(data.features == [0.5, 1, 1.5, 2, 2.5, 3])
        #expect(data.targets == [-1, -1, 1, -1, 1, -1])
        #expect(data.labels == [2, 1])
    }

    @Test func regressionOutputsHaveNoLabels() throws {
        let shape = DataShape(inputCount: 1, outputCount: 2)
        let path = fixtures.write("reg.fann", "2 1 2\n1\n0.3 0.7\n2\n0.5 0.1\n")
        let data = try DataLoader.load(DataSourceSpec(path: path), expecting: shape)
        #expect(data.targets == [0.3, 0.7, 0.5, 0.1])
        #expect(data.labels == nil)
        // A tie for the maximum is not one-hot-like, nor are rows with a third value.
        let tie = fixtures.write("tie.fann", "2 1 2\n1\n1 0\n2\n1 1\n")
        #expect(try DataLoader.load(DataSourceSpec(path: tie), expecting: shape).labels == nil)
        let three = fixtures.write("three.fann", "2 1 2\n1\n1 0\n2\n0.5 0\n")
        #expect(try DataLoader.load(DataSourceSpec(path: three), expecting: shape).labels == nil)
        // Soft targets that use the same two values throughout are one-hot-like.
        let soft = fixtures.write("soft.fann", "2 1 2\n1\n0.9 0.1\n2\n0.1 0.9\n")
        #expect(try DataLoader.load(DataSourceSpec(path: soft), expecting: shape).labels == [0, 1])
        // A single output has no argmax.
        let single = fixtures.write("one.fann", "2 1 1\n1\n1\n2\n0\n")
        #expect(try DataLoader.load(DataSourceSpec(path: single), expecting: DataShape(inputCount: 1, outputCount: 1)).labels == nil)
    }

    // MARK: - Faults

    @Test func tooFewValues() {
        let path = fixtures.write("short.data", "3 2 1\n0 0\n0\n1 1\n1\n0 1\n")
        expectDataError(
            DataSourceSpec(path: path), DataShape(inputCount: 2, outputCount: 1), code: .countMismatch, line: 6,
            mentions: ["announces 3 examples of 2 inputs and 1 output (9 values)", "ends after 8 values"])
    }

    @Test func extraValues() {
        let path = fixtures.write("long.data", "2 2 1\n0 0\n0\n1 1\n1\n0 1\n")
        expectDataError(
            DataSourceSpec(path: path), DataShape(inputCount: 2, outputCount: 1), code: .countMismatch, line: 6,
            mentions: ["extra value '0' after the 2 examples the header (line 1) announces"])
    }

    @Test func tooFewValuesInATinyFile() {
        let path = fixtures.write("tiny.data", "3 2 1\n0 0\n0\n1 1\n")
        expectDataError(
            DataSourceSpec(path: path), DataShape(inputCount: 2, outputCount: 1), code: .countMismatch, line: 4,
            mentions: ["(9 values), but the file ends after 5 values"])
    }

    @Test func headerFarLongerThanTheFile() {
        let path = fixtures.write("huge.data", "2000000000 100 10\n1 2 3\n")
        expectDataError(
            DataSourceSpec(path: path), DataShape(inputCount: 100, outputCount: 10), code: .countMismatch, line: 1,
            mentions: ["announces 2000000000 examples"])
    }

    @Test func headerDisagreesWithTheModel() {
        let path = fixtures.write("xor.data", "1 2 1\n0 0\n0\n")
        expectDataError(
            DataSourceSpec(path: path), DataShape(inputCount: 3, outputCount: 1), code: .shapeMismatch, line: 1,
            mentions: ["2 inputs per example (num_input in the header), but the first layer (model.layers[0]) has 3 units"])
        expectDataError(
            DataSourceSpec(path: path), DataShape(inputCount: 2, outputCount: 2), code: .shapeMismatch, line: 1,
            mentions: ["1 output per example", "the output layer (the last of model.layers) has 2 units"])
    }

    @Test func badTokens() {
        let shape = DataShape(inputCount: 2, outputCount: 1)
        let header = fixtures.write("h.data", "two 2 1\n")
        expectDataError(DataSourceSpec(path: header), shape, code: .notANumber, line: 1, mentions: ["num_data", "'two'"])
        let text = fixtures.write("t.data", "2 2 1\n0 0\n0\n1 x\n1\n")
        expectDataError(DataSourceSpec(path: text), shape, code: .notANumber, line: 4, mentions: ["example 1, input 1: 'x' is not a number"])
        let nan = fixtures.write("n.data", "2 2 1\n0 0\n0\n1 1\nNaN\n")
        expectDataError(DataSourceSpec(path: nan), shape, code: .notFinite, line: 5, mentions: ["example 1, output 0: 'NaN' is not a finite number"])
        let cut = fixtures.write("c.data", "2 2\n\n")
        expectDataError(DataSourceSpec(path: cut), shape, code: .malformed, line: 1, mentions: ["num_output is missing"])
        let empty = fixtures.write("e.data", "  \n")
        expectDataError(DataSourceSpec(path: empty), shape, code: .empty, line: nil, mentions: ["empty"])
    }
}
