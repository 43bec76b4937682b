import Foundation

/// `mlpd bench --svg`: speedup and parallel efficiency against the thread count as a
/// self-contained SVG, two panels side by side, each with its ideal line (speedup = p,
/// efficiency = 1) drawn dashed under the measured one.
///
/// Same markup rules as `CurvesChart` (no scripts, style sheets, fonts, images or links). Each
/// line is one `<polyline>` whose `class` names it: `speedup`, `ideal-speedup`, `efficiency`,
/// `ideal-efficiency`; every measured point also gets a `<circle>`.
public enum ScalingChart {
    /// The chart of `results` (drawn in thread order) under `title` and an optional second line
    /// `subtitle` (both escaped for XML).
    public static func svg(_ results: [Benchmark.Result], title: String, subtitle: String = "") -> String {
        let rows = results.sorted { $0.workers < $1.workers }
        let threads = rows.map { Double($0.workers) }
        let maxThreads = max(threads.max() ?? 1, 1)
        // Ideal lines run over the whole thread axis, from 1 to the largest count. The efficiency
        // axis reaches past 1 so the ideal line does not hide in the frame.
        let idealX = [1, maxThreads]
        let speedups = rows.map(\.speedup).filter(\.isFinite)
        let efficiencies = rows.map(\.efficiency).filter(\.isFinite)
        let xAxis = Axis.linear(1, maxThreads == 1 ? 2 : maxThreads, integer: true, fit: false)
        let speedupAxis = Axis.linear(0, max(maxThreads, speedups.max() ?? 1), integer: false, fit: true)
        let efficiencyAxis = Axis.linear(0, max(1.1, 1.05 * (efficiencies.max() ?? 1)), integer: false, fit: false)

        let (w, h) = (CurvesChart.n(width), CurvesChart.n(height))
        var svg = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        svg += CurvesChart.open(
            "svg",
            [
                "xmlns": "http://www.w3.org/2000/svg", "width": w, "height": h, "viewBox": "0 0 \(w) \(h)",
                "font-family": "sans-serif", "font-size": "12",
            ])
        svg += CurvesChart.element("title", [:], text: title)
        svg += CurvesChart.element("rect", ["x": "0", "y": "0", "width": w, "height": h, "fill": "white"])
        svg += CurvesChart.element(
            "text", ["x": CurvesChart.n(width / 2), "y": "26", "font-size": "18", "text-anchor": "middle"], text: title)
        if !subtitle.isEmpty {
            svg += CurvesChart.element(
                "text", ["x": CurvesChart.n(width / 2), "y": "46", "font-size": "11", "text-anchor": "middle",
                         "fill": "#555"], text: subtitle)
        }
        func points(_ value: (Benchmark.Result) -> Double) -> [(x: Double, y: Double)] {
            rows.compactMap { r in value(r).isFinite ? (Double(r.workers), value(r)) : nil }
        }
        let xTitle = rows.contains { $0.ranks > 1 } ? "workers (MPI ranks × threads)" : "threads"
        svg += panel(
            x0: 0, id: "speedup", heading: "Speedup", xAxis: xAxis, xTitle: xTitle, yAxis: speedupAxis, yTitle: "speedup",
            measured: Line(id: "speedup", label: "measured", points: points(\.speedup)),
            ideal: Line(id: "ideal-speedup", label: "ideal (p)", points: idealX.map { ($0, $0) }))
        svg += panel(
            x0: width / 2, id: "efficiency", heading: "Parallel efficiency", xAxis: xAxis, xTitle: xTitle, yAxis: efficiencyAxis,
            yTitle: "efficiency", measured: Line(id: "efficiency", label: "measured", points: points(\.efficiency)),
            ideal: Line(id: "ideal-efficiency", label: "ideal (1)", points: idealX.map { ($0, 1) }))
        return svg + "</svg>\n"
    }

    private static let width = 1000.0
    private static let height = 400.0
    private static let plotLeft = 70.0, plotRight = 480.0, plotTop = 110.0, plotBottom = 350.0
    private static let measuredColor = "#1f77b4"
    private static let idealColor = "#888888"

    private struct Line {
        var id: String
        var label: String
        var points: [(x: Double, y: Double)]
    }

    private static func panel(x0: Double, id: String, heading: String, xAxis: Axis, xTitle: String, yAxis: Axis, yTitle: String,
                              measured: Line, ideal: Line) -> String {
        typealias C = CurvesChart
        let left = x0 + plotLeft, right = x0 + plotRight
        func px(_ x: Double) -> Double { left + xAxis.fraction(x) * (right - left) }
        func py(_ y: Double) -> Double { plotBottom - yAxis.fraction(y) * (plotBottom - plotTop) }
        let middleX = C.n((left + right) / 2), middleY = C.n((plotTop + plotBottom) / 2)
        var out = C.open("g", ["class": "panel \(id)"])
        out += C.element("text", ["x": C.n(left), "y": "72", "font-size": "14", "font-weight": "bold"], text: heading)
        for (tick, label) in zip(yAxis.ticks, yAxis.labels) {
            let y = C.n(py(tick))
            out += C.element("line", ["x1": C.n(left), "y1": y, "x2": C.n(right), "y2": y, "stroke": "#e4e4e4"])
            out += C.element("text", ["x": C.n(left - 6), "y": C.n(py(tick) + 4), "text-anchor": "end"], text: label)
        }
        for (tick, label) in zip(xAxis.ticks, xAxis.labels) {
            let x = C.n(px(tick))
            out += C.element("line", ["x1": x, "y1": C.n(plotBottom), "x2": x, "y2": C.n(plotBottom + 5), "stroke": "#444"])
            out += C.element("text", ["x": x, "y": C.n(plotBottom + 18), "text-anchor": "middle"], text: label)
        }
        out += C.element(
            "rect",
            ["x": C.n(left), "y": C.n(plotTop), "width": C.n(right - left), "height": C.n(plotBottom - plotTop),
             "fill": "none", "stroke": "#444"])
        out += C.element("text", ["x": middleX, "y": C.n(plotBottom + 38), "text-anchor": "middle"], text: xTitle)
        let titleX = C.n(left - 52)
        out += C.element(
            "text", ["x": titleX, "y": middleY, "text-anchor": "middle", "transform": "rotate(-90 \(titleX) \(middleY))"],
            text: yTitle)
        // Legend.
        for (index, line) in [measured, ideal].enumerated() {
            let x = left + 110 * Double(index)
            let dashed = index == 1
            out += C.element(
                "line",
                ["x1": C.n(x), "y1": "92", "x2": C.n(x + 20), "y2": "92", "stroke": dashed ? idealColor : measuredColor,
                 "stroke-width": "2", "stroke-dasharray": dashed ? "6 4" : "none"])
            out += C.element("text", ["x": C.n(x + 26), "y": "96"], text: line.label)
        }
        func polyline(_ line: Line, color: String, dashed: Bool) -> String {
            C.element(
                "polyline",
                ["class": line.id, "points": line.points.map { "\(C.n(px($0.x))),\(C.n(py($0.y)))" }.joined(separator: " "),
                 "fill": "none", "stroke": color, "stroke-width": dashed ? "1.5" : "2",
                 "stroke-dasharray": dashed ? "6 4" : "none", "stroke-linejoin": "round"])
        }
        out += polyline(ideal, color: idealColor, dashed: true)
        if measured.points.isEmpty {
            out += C.element("text", ["x": middleX, "y": middleY, "text-anchor": "middle", "fill": "#888"], text: "no data")
        } else {
            out += polyline(measured, color: measuredColor, dashed: false)
            for p in measured.points {
                out += C.element("circle", ["cx": C.n(px(p.x)), "cy": C.n(py(p.y)), "r": "3.5", "fill": measuredColor])
            }
        }
        return out + "</g>\n"
    }
}
