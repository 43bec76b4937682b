import Foundation
@testable import MLPTraining
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct ScalingChartTests {
    static func result(threads: Int, speedup: Double) -> Benchmark.Result {
        Benchmark.Result(
            threads: threads, steps: 10, seconds: 1, examplesPerSecond: 1000 * speedup, gflops: 50 * speedup,
            speedup: speedup, efficiency: speedup / Double(threads),
            serialFraction: threads == 1 ? nil : (1 / speedup - 1 / Double(threads)) / (1 - 1 / Double(threads)),
            forwardShare: 0.4, backwardShare: 0.5, reductionShare: 0.04, updateShare: 0.04, waitingShare: 0.02,
            coordinationMicroseconds: 1, ceilingGflops: 100, ceilingShare: 0.5)
    }

    static let results = [(1, 1.0), (2, 1.9), (4, 3.5), (8, 6.0)].map { result(threads: $0.0, speedup: $0.1) }

    /// (x, y) of a polyline mapped back through two known points of it.
    @Test func drawsMeasuredAndIdealLinesInBothPanels() throws {
        let chart = try Chart(ScalingChart.svg(Self.results, title: "wide 784-1024-1024-10", subtitle: "a CPU"))
        #expect(chart.lines.keys.sorted() == ["efficiency", "ideal-efficiency", "ideal-speedup", "speedup"])
        #expect(chart.lines["speedup"]?.count == 4 && chart.lines["efficiency"]?.count == 4)
        #expect(chart.circleCount == 8, "a marker per measured point and panel")
        #expect(chart.texts.contains("wide 784-1024-1024-10") && chart.texts.contains("a CPU"))
        #expect(chart.texts.contains("threads") && chart.texts.contains("speedup") && chart.texts.contains("efficiency"))
        chart.expectSelfContained()
        for (name, points) in chart.lines {
            let panel = name.hasSuffix("speedup") ? "speedup" : "efficiency"
            let plot = try #require(chart.plots[panel], "plot rectangle of \(panel)")
            for p in points { #expect(plot.x.contains(p.x) && plot.y.contains(p.y), "\(name) \(p) inside \(plot)") }
        }
    }

    @Test func idealSpeedupIsTheDiagonalAndMeasuredLiesOnItWherePerfect() throws {
        let chart = try Chart(ScalingChart.svg(Self.results, title: "t"))
        let ideal = try #require(chart.lines["ideal-speedup"])
        let measured = try #require(chart.lines["speedup"])
        // The ideal runs from p = 1 to p = 8 at speedup = p; the measured p = 1 point (speedup
        // 1) is its first point, and the measured p = 8 point (6.0) lies below its last.
        #expect(ideal.count == 2)
        #expect(abs(measured[0].x - ideal[0].x) < 0.01 && abs(measured[0].y - ideal[0].y) < 0.01)
        #expect(abs(measured[3].x - ideal[1].x) < 0.01)
        #expect(measured[3].y > ideal[1].y, "6.0 is drawn lower than 8 (SVG y grows downwards)")
        // Linear in p: the ideal's y for p = 4, interpolated, is where a speedup of 4 would be.
        let slope = (ideal[1].y - ideal[0].y) / (ideal[1].x - ideal[0].x)
        let yAt4 = ideal[0].y + slope * (measured[2].x - ideal[0].x)
        #expect(measured[2].y > yAt4, "3.5 at p = 4 is below the ideal 4")
    }

    @Test func idealEfficiencyIsFlatAtOneAndMeasuredFallsBelowIt() throws {
        let chart = try Chart(ScalingChart.svg(Self.results, title: "t"))
        let ideal = try #require(chart.lines["ideal-efficiency"])
        let measured = try #require(chart.lines["efficiency"])
        #expect(ideal.count == 2 && abs(ideal[0].y - ideal[1].y) < 0.01)
        #expect(abs(measured[0].y - ideal[0].y) < 0.01, "efficiency 1 at one thread")
        #expect(zip(measured, measured.dropFirst()).allSatisfy { $0.y < $1.y }, "falling efficiency draws downward")
        #expect(chart.yTickLabels(inPanel: "efficiency").contains("1.0"))
    }

    @Test func unsortedAndSingleRowsAndTitlesAreHandled() throws {
        let chart = try Chart(ScalingChart.svg(Self.results.reversed(), title: "a < b & \"c\""))
        let points = try #require(chart.lines["speedup"])
        #expect(zip(points, points.dropFirst()).allSatisfy { $0.x < $1.x })
        #expect(chart.texts.contains("a < b & \"c\""))
        let one = try Chart(ScalingChart.svg([Self.result(threads: 1, speedup: 1)], title: "one"))
        #expect(one.lines["speedup"]?.count == 1 && one.circleCount == 2)
        let none = try Chart(ScalingChart.svg([], title: "none"))
        #expect(none.lines["speedup"] == nil && none.texts.contains("no data"))
    }
}
