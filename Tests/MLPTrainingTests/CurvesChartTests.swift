import Foundation
import MLPTraining
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct CurvesChartTests {
    static func rows(
        _ count: Int, trainCost: (Int) -> Double = { 2.0 / Double($0) },
        testCost: ((Int) -> Double)? = { 2.2 / Double($0) },
        trainAccuracy: ((Int) -> Double)? = nil,
        testAccuracy: ((Int) -> Double)? = { 0.8 + 0.01 * Double($0) }
    ) -> [EpochMetrics] {
        (1...max(count, 1)).prefix(count).map { e in
            EpochMetrics(
                epoch: e, steps: 100 * e, learningRate: 0.1, trainCost: trainCost(e),
                trainAccuracy: trainAccuracy?(e),
                testCost: testCost?(e), testAccuracy: testAccuracy?(e), examplesPerSecond: 5000,
                seconds: 1)
        }
    }

    @Test func drawsOneLinePerSeriesWithAPointPerEpoch() throws {
        let svg = CurvesChart.svg(
            Self.rows(12, trainAccuracy: { 0.85 + 0.01 * Double($0) }), title: "digits 64-30-10")
        let chart = try Chart(svg)
        #expect(
            chart.lines.keys.sorted() == [
                "test-accuracy", "test-cost", "train-accuracy", "train-cost",
            ])
        for (name, points) in chart.lines {
            #expect(points.count == 12, "\(name)")
            #expect(
                zip(points, points.dropFirst()).allSatisfy { $0.x < $1.x },
                "\(name) goes left to right")
        }
        #expect(chart.texts.contains("digits 64-30-10"))
        #expect(chart.texts.contains("epoch") && chart.texts.contains("accuracy"))
        #expect(chart.texts.contains("train") && chart.texts.contains("test"))
        chart.expectPointsInsidePlots()
        chart.expectSelfContained()
    }

    @Test func decreasingCostDrawsDownwardAndRisingAccuracyUpward() throws {
        let chart = try Chart(CurvesChart.svg(Self.rows(5), title: "t"))
        let cost = try #require(chart.lines["train-cost"])
        let accuracy = try #require(chart.lines["test-accuracy"])
        // SVG y grows downwards.
        #expect(zip(cost, cost.dropFirst()).allSatisfy { $0.y < $1.y })
        #expect(zip(accuracy, accuracy.dropFirst()).allSatisfy { $0.y > $1.y })
    }

    @Test func sortsRowsByEpoch() throws {
        let chart = try Chart(CurvesChart.svg(Self.rows(6).reversed(), title: "t"))
        let points = try #require(chart.lines["train-cost"])
        #expect(zip(points, points.dropFirst()).allSatisfy { $0.x < $1.x && $0.y < $1.y })
    }

    @Test func leavesOutSeriesWithoutData() throws {
        let chart = try Chart(
            CurvesChart.svg(Self.rows(4, testCost: nil, testAccuracy: nil), title: "no test set"))
        #expect(chart.lines.keys.sorted() == ["train-cost"])
        #expect(chart.texts.contains("no data"))
        chart.expectPointsInsidePlots()
    }

    @Test func handlesASingleEpoch() throws {
        let chart = try Chart(CurvesChart.svg(Self.rows(1), title: "one"))
        #expect(
            chart.lines.mapValues(\.count) == ["train-cost": 1, "test-cost": 1, "test-accuracy": 1])
        #expect(chart.circleCount == 3)
        chart.expectPointsInsidePlots()
    }

    @Test func handlesNoRows() throws {
        let chart = try Chart(CurvesChart.svg([], title: "empty"))
        #expect(chart.lines.isEmpty)
    }

    @Test func handlesConstantValues() throws {
        let chart = try Chart(
            CurvesChart.svg(
                Self.rows(
                    5, trainCost: { _ in 0.5 }, testCost: { _ in 0 }, testAccuracy: { _ in 1 }),
                title: "flat"))
        #expect(chart.lines.values.allSatisfy { $0.count == 5 })
        chart.expectPointsInsidePlots()
    }

    @Test func skipsNonFinitePoints() throws {
        let costs: [Double] = [1, .nan, 0.5, .infinity, 0.25, -.infinity]
        let svg = CurvesChart.svg(
            Self.rows(
                6, trainCost: { costs[$0 - 1] }, testCost: { _ in .nan },
                testAccuracy: { $0 == 2 ? .nan : 0.9 }),
            title: "diverged")
        let chart = try Chart(svg)
        #expect(chart.lines["train-cost"]?.count == 3)
        #expect(chart.lines["test-cost"] == nil)
        #expect(chart.lines["test-accuracy"]?.count == 5)
        #expect(!svg.lowercased().contains("nan") && !svg.contains("inf"))
        chart.expectPointsInsidePlots()
    }

    @Test func survivesExtremeMagnitudes() throws {
        let costs: [Double] = [
            1e308, -1e308, .leastNonzeroMagnitude, 1e-300, .greatestFiniteMagnitude,
        ]
        let chart = try Chart(
            CurvesChart.svg(Self.rows(5, trainCost: { costs[$0 - 1] }, testCost: nil), title: "x"))
        #expect(chart.lines["train-cost"]?.count == 5)
        chart.expectPointsInsidePlots()
        let tiny = try Chart(
            CurvesChart.svg(
                Self.rows(
                    3,
                    trainCost: {
                        [.leastNonzeroMagnitude, .leastNonzeroMagnitude * 2000, 1][$0 - 1]
                    }), title: "x"))
        #expect(tiny.lines["train-cost"]?.count == 3)
        tiny.expectPointsInsidePlots()
    }

    @Test func usesLogScaleForCostsSpanningDecades() throws {
        let wide = try Chart(
            CurvesChart.svg(Self.rows(8, trainCost: { 2.3 * pow(0.2, Double($0)) }), title: "w"))
        #expect(wide.texts.contains("cost (log scale)"))
        #expect(wide.texts.contains("0.001") && wide.texts.contains("1"))
        // Equal ratios lie equally far apart on a log axis.
        let ys = try #require(wide.lines["train-cost"]).map(\.y)
        let gaps = zip(ys, ys.dropFirst()).map { $1 - $0 }
        #expect(gaps.allSatisfy { abs($0 - gaps[0]) < 0.05 })
        wide.expectPointsInsidePlots()

        let narrow = try Chart(CurvesChart.svg(Self.rows(8), title: "n"))
        #expect(narrow.texts.contains("cost") && !narrow.texts.contains("cost (log scale)"))
    }

    @Test func accuracyAxisStaysWithinZeroAndOne() throws {
        let chart = try Chart(
            CurvesChart.svg(Self.rows(10, testAccuracy: { 0.95 + 0.005 * Double($0) }), title: "a"))
        let labels = chart.yTickLabels(inPanel: "accuracy").compactMap(Double.init)
        #expect(labels.count >= 3)
        #expect(labels.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(labels.contains(1))
        chart.expectPointsInsidePlots()
    }

    /// A fitted axis ends on labelled ticks; 0.6 / 0.1 rounds above 6, which once lost the 0.6.
    @Test func fittedAxisEndsOnLabelledTicks() throws {
        let chart = try Chart(
            CurvesChart.svg(
                Self.rows(5, testAccuracy: { [0.61, 0.7, 0.8, 0.9, 0.95][$0 - 1] }), title: "a"))
        let labels = chart.yTickLabels(inPanel: "accuracy")
        #expect(labels == ["0.6", "0.7", "0.8", "0.9", "1.0"])
    }

    @Test func escapesTheTitle() throws {
        let title = "<script>alert(\"x\")</script> & 'y' \u{1}\u{FFFE} ✓"
        let svg = CurvesChart.svg(Self.rows(3), title: title)
        let chart = try Chart(svg)
        #expect(chart.texts.contains("<script>alert(\"x\")</script> & 'y' \u{FFFD}\u{FFFD} ✓"))
        #expect(!svg.contains("<script"))
        chart.expectSelfContained()
    }

    @Test func outputIsByteStable() {
        let rows = Self.rows(7, trainAccuracy: { 0.5 + 0.05 * Double($0) })
        #expect(CurvesChart.svg(rows, title: "s") == CurvesChart.svg(rows, title: "s"))
    }
}

// MARK: - Reading the SVG back

/// An SVG chart parsed with Foundation's XML parser (which rejects malformed XML), reduced to
/// what the tests look at.
struct Chart {
    let svg: String
    let root: XMLElement
    /// Points of each `<polyline>`, by its class.
    var lines: [String: [(x: Double, y: Double)]] = [:]
    /// The text content of every `<text>` and `<title>`.
    var texts: [String] = []
    var circleCount = 0
    /// Plot rectangles (fill="none") by panel class.
    var plots: [String: (x: ClosedRange<Double>, y: ClosedRange<Double>)] = [:]

    init(_ svg: String) throws {
        self.svg = svg
        let document = try XMLDocument(data: Data(svg.utf8), options: [])
        root = try #require(document.rootElement())
        #expect(root.name == "svg")
        #expect(root.uri == "http://www.w3.org/2000/svg")
        try visit(root, panel: nil)
    }

    private mutating func visit(_ element: XMLElement, panel: String?) throws {
        var panel = panel
        let attribute = { (name: String) in attributeValue(element, name) }
        switch element.name {
        case "g": panel = attribute("class")?.split(separator: " ").last.map(String.init)
        case "polyline":
            let name = try #require(attribute("class"))
            #expect(lines[name] == nil, "one polyline per series")
            lines[name] = try (attribute("points") ?? "").split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").compactMap { Double($0) }
                try #require(xy.count == 2 && xy.allSatisfy(\.isFinite), "point \(pair)")
                return (xy[0], xy[1])
            }
        case "text", "title": texts.append(element.stringValue ?? "")
        case "circle": circleCount += 1
        case "rect" where attribute("fill") == "none":
            let numbers = ["x", "y", "width", "height"].compactMap {
                attribute($0).flatMap(Double.init)
            }
            try #require(numbers.count == 4)
            plots[panel ?? ""] = (
                numbers[0]...numbers[0] + numbers[2], numbers[1]...numbers[1] + numbers[3]
            )
        default: break
        }
        for case let child as XMLElement in element.children ?? [] {
            try visit(child, panel: panel)
        }
    }

    /// The y-axis tick labels (right-aligned texts) inside `<g class="panel <name>">`.
    func yTickLabels(inPanel name: String) -> [String] {
        var out: [String] = []
        func walk(_ element: XMLElement, inside: Bool) {
            let here =
                inside
                || (element.name == "g" && attributeValue(element, "class") == "panel \(name)")
            if here, element.name == "text", attributeValue(element, "text-anchor") == "end" {
                out.append(element.stringValue ?? "")
            }
            for case let child as XMLElement in element.children ?? [] { walk(child, inside: here) }
        }
        walk(root, inside: false)
        return out
    }

    /// Every curve point lies within its panel's plot rectangle.
    func expectPointsInsidePlots() {
        for (name, points) in lines {
            let panel = name.hasSuffix("cost") ? "cost" : "accuracy"
            guard let plot = plots[panel] else {
                Issue.record("no plot rectangle for \(panel)")
                continue
            }
            for point in points {
                #expect(
                    plot.x.contains(point.x) && plot.y.contains(point.y),
                    "\(name) point \(point) outside \(plot)")
            }
        }
    }

    /// No scripts, style sheets, links or external resources.
    func expectSelfContained() {
        for banned in [
            "<script", "<style", "href", "url(", "@import", "<image", "<foreignObject", "xlink",
        ] {
            #expect(!svg.contains(banned), "contains \(banned)")
        }
    }
}

/// An attribute's value by name. `XMLElement.attribute(forName:)` in swift-corelibs-foundation
/// finds no un-prefixed attribute on an element in a default namespace, so look through them.
func attributeValue(_ element: XMLElement, _ name: String) -> String? {
    element.attributes?.first { $0.name == name }?.stringValue
}
