import Foundation
import MLPTraining
import Testing

@Suite struct MetricsCSVTests {
    static let full = EpochMetrics(
        epoch: 3, steps: 4500, learningRate: 0.1, trainCost: 0.123456789012345,
        trainAccuracy: 0.9712,
        testCost: 1.0 / 3.0, testAccuracy: 0.9655, examplesPerSecond: 123456.789, seconds: 4.5e-05)
    static let sparse = EpochMetrics(
        epoch: 1, steps: 1500, learningRate: 3e-4, trainCost: 2.302585, examplesPerSecond: 1e6,
        seconds: 12)

    @Test func headerNamesTheColumns() {
        #expect(
            MetricsCSV.header
                == "epoch,steps,learning_rate,train_cost,train_accuracy,test_cost,test_accuracy,examples_per_second,seconds"
        )
    }

    @Test func rowPrintsEveryColumnSoItReadsBack() throws {
        let row = MetricsCSV.row(Self.full)
        #expect(
            row
                == "3,4500,0.1,0.123456789012345,0.9712,0.3333333333333333,0.9655,123456.789,4.5e-05"
        )
        let cells = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(cells.count == 9)
        #expect(Int(cells[0]) == 3 && Int(cells[1]) == 4500)
        let doubles = cells[2...].map { Double($0) }
        let originals: [Double?] = [
            Self.full.learningRate, Self.full.trainCost, Self.full.trainAccuracy,
            Self.full.testCost,
            Self.full.testAccuracy, Self.full.examplesPerSecond, Self.full.seconds,
        ]
        #expect(doubles == originals)
    }

    @Test func missingMeasurementsAreEmptyCells() {
        #expect(MetricsCSV.row(Self.sparse) == "1,1500,0.0003,2.302585,,,,1000000.0,12.0")
    }

    @Test func nonFiniteValuesStayReadable() throws {
        var m = Self.sparse
        m.trainCost = .nan
        m.testCost = .infinity
        let cells = MetricsCSV.row(m).split(separator: ",", omittingEmptySubsequences: false)
        #expect(cells[3] == "nan" && cells[5] == "inf")
        #expect(Double(String(cells[3]))?.isNaN == true && Double(String(cells[5])) == .infinity)
    }

    @Test func renderWritesHeaderAndOneTerminatedLinePerRow() {
        let text = MetricsCSV.render([Self.sparse, Self.full])
        #expect(
            text == MetricsCSV.header + "\n" + MetricsCSV.row(Self.sparse) + "\n"
                + MetricsCSV.row(Self.full) + "\n")
        #expect(MetricsCSV.render([]) == MetricsCSV.header + "\n")
    }

    @Test func metricsRoundTripThroughJSON() throws {
        let rows = [Self.full, Self.sparse]
        let decoded = try JSONDecoder().decode(
            [EpochMetrics].self, from: JSONEncoder().encode(rows))
        #expect(decoded == rows)
    }
}
