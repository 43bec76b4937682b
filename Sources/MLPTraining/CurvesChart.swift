import Foundation

/// Training curves as a self-contained SVG: two panels side by side, cost per epoch (left) and
/// accuracy per epoch (right), each with axes, tick labels, axis titles and a legend.
///
/// The cost axis is logarithmic when all costs are positive and span more than two decades,
/// linear otherwise. The accuracy axis is fitted to the data with round ticks and kept within
/// 0…1 when the data is. NaN and infinite values are skipped (the line joins the neighbouring
/// points); a series with no finite value is left out, legend entry included.
///
/// The output has no scripts, style sheets, fonts, images or links; styling is by presentation
/// attributes, with the generic `sans-serif` font. Each curve is one `<polyline>` whose `class`
/// names it: `train-cost`, `test-cost`, `train-accuracy`, `test-accuracy`.
public enum CurvesChart {
    /// The chart for `rows` (drawn in epoch order) under `title` (escaped for XML).
    public static func svg(_ rows: [EpochMetrics], title: String) -> String {
        let rows = rows.sorted { $0.epoch < $1.epoch }
        let epochs = rows.map { Double($0.epoch) }
        func series(
            _ id: String, _ label: String, _ color: String, _ value: (EpochMetrics) -> Double?
        ) -> Series {
            let points = zip(epochs, rows.map(value)).compactMap { x, y in
                y.flatMap { $0.isFinite ? (x, $0) : nil }
            }
            return Series(id: id, label: label, color: color, points: points)
        }
        let costs = [
            series("train-cost", "train", trainColor) { $0.trainCost },
            series("test-cost", "test", testColor) { $0.testCost },
        ].filter { !$0.points.isEmpty }
        let accuracies = [
            series("train-accuracy", "train", trainColor) { $0.trainAccuracy },
            series("test-accuracy", "test", testColor) { $0.testAccuracy },
        ].filter { !$0.points.isEmpty }

        let xAxis = Axis.epochs(epochs)
        let costValues = costs.flatMap { $0.points.map(\.y) }
        let costAxis = Axis.cost(costValues)
        let accuracyAxis = Axis.accuracy(accuracies.flatMap { $0.points.map(\.y) })

        let (w, h) = (n(width), n(height))
        var svg = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        svg += open(
            "svg",
            [
                "xmlns": "http://www.w3.org/2000/svg", "width": w,
                "height": h, "viewBox": "0 0 \(w) \(h)",
                "font-family": "sans-serif", "font-size": "12",
            ])
        svg += element("title", [:], text: title)
        svg += element(
            "rect", ["x": "0", "y": "0", "width": w, "height": h, "fill": "white"])
        svg += element(
            "text", ["x": n(width / 2), "y": "28", "font-size": "18", "text-anchor": "middle"],
            text: title)
        svg += panel(
            x0: 0, id: "cost", heading: "Cost per epoch", xAxis: xAxis, yAxis: costAxis,
            yTitle: costAxis.isLog ? "cost (log scale)" : "cost", series: costs)
        svg += panel(
            x0: width / 2, id: "accuracy", heading: "Accuracy per epoch", xAxis: xAxis,
            yAxis: accuracyAxis, yTitle: "accuracy", series: accuracies)
        return svg + "</svg>\n"
    }

    // MARK: - Layout

    private static let width = 1000.0
    private static let height = 390.0
    /// Plot area of a panel, relative to the panel's left edge and the chart's top.
    private static let plotLeft = 70.0, plotRight = 480.0, plotTop = 100.0, plotBottom = 340.0
    private static let trainColor = "#1f77b4"
    private static let testColor = "#ff7f0e"

    private struct Series {
        var id: String
        var label: String
        var color: String
        var points: [(x: Double, y: Double)]
    }

    private static func panel(
        x0: Double, id: String, heading: String, xAxis: Axis, yAxis: Axis, yTitle: String,
        series: [Series]
    ) -> String {
        let left = x0 + plotLeft
        let right = x0 + plotRight
        let middleX = n((left + right) / 2)
        let middleY = n((plotTop + plotBottom) / 2)
        func px(_ x: Double) -> Double { left + xAxis.fraction(x) * (right - left) }
        func py(_ y: Double) -> Double { plotBottom - yAxis.fraction(y) * (plotBottom - plotTop) }

        var out = open("g", ["class": "panel \(id)"])
        out += element(
            "text", ["x": n(left), "y": "62", "font-size": "14", "font-weight": "bold"],
            text: heading)
        for (tick, label) in zip(yAxis.ticks, yAxis.labels) {
            let y = n(py(tick))
            out += element(
                "line", ["x1": n(left), "y1": y, "x2": n(right), "y2": y, "stroke": "#e4e4e4"])
            // +4 centres 12 px digits on the tick.
            out += element(
                "text", ["x": n(left - 6), "y": n(py(tick) + 4), "text-anchor": "end"], text: label)
        }
        for (tick, label) in zip(xAxis.ticks, xAxis.labels) {
            let x = n(px(tick))
            out += element(
                "line",
                ["x1": x, "y1": n(plotBottom), "x2": x, "y2": n(plotBottom + 5), "stroke": "#444"])
            out += element(
                "text", ["x": x, "y": n(plotBottom + 18), "text-anchor": "middle"], text: label)
        }
        out += element(
            "rect",
            [
                "x": n(left), "y": n(plotTop), "width": n(right - left),
                "height": n(plotBottom - plotTop),
                "fill": "none", "stroke": "#444",
            ])
        out += element(
            "text", ["x": middleX, "y": n(plotBottom + 40), "text-anchor": "middle"], text: "epoch")
        let titleX = n(left - 52)
        out += element(
            "text",
            [
                "x": titleX, "y": middleY, "text-anchor": "middle",
                "transform": "rotate(-90 \(titleX) \(middleY))",
            ], text: yTitle)

        if series.isEmpty {
            out += element(
                "text", ["x": middleX, "y": middleY, "text-anchor": "middle", "fill": "#888"],
                text: "no data")
        }
        for (index, s) in series.enumerated() {
            let x = left + 80 * Double(index)
            out += element(
                "line",
                [
                    "x1": n(x), "y1": "84", "x2": n(x + 20), "y2": "84", "stroke": s.color,
                    "stroke-width": "2",
                ])
            out += element("text", ["x": n(x + 26), "y": "88"], text: s.label)
        }
        for s in series {
            let points = s.points.map { "\(n(px($0.x))),\(n(py($0.y)))" }.joined(separator: " ")
            out += element(
                "polyline",
                [
                    "class": s.id, "points": points, "fill": "none", "stroke": s.color,
                    "stroke-width": "1.8",
                    "stroke-linejoin": "round",
                ])
            if s.points.count == 1, let p = s.points.first {
                // A one-point line draws nothing; mark the point instead.
                out += element(
                    "circle", ["cx": n(px(p.x)), "cy": n(py(p.y)), "r": "3", "fill": s.color])
            }
        }
        return out + "</g>\n"
    }

    // MARK: - Markup

    /// `<name a="v" …/>` on a line, or `<name a="v" …>text</name>` with `text`; values and text
    /// are escaped.
    static func element(
        _ name: String, _ attributes: KeyValuePairs<String, String>, text: String? = nil
    ) -> String {
        let start = "<" + name + attributeList(attributes)
        guard let text else { return start + "/>\n" }
        return start + ">" + escapeXML(text) + "</" + name + ">\n"
    }

    /// A start tag on a line of its own, for an element with children.
    static func open(_ name: String, _ attributes: KeyValuePairs<String, String>) -> String
    {
        "<" + name + attributeList(attributes) + ">\n"
    }

    static func attributeList(_ attributes: KeyValuePairs<String, String>) -> String {
        attributes.map { " \($0.key)=\"\(escapeXML($0.value))\"" }.joined()
    }

    /// A coordinate, to 0.01 px, without trailing zeros.
    static func n(_ value: Double) -> String {
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// `text` as XML character data or attribute value: markup characters escaped, and the
    /// control characters XML 1.0 forbids (and U+FFFE, U+FFFF) replaced by U+FFFD.
    static func escapeXML(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case "\u{0}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

// MARK: - Axes

/// A value axis: its domain, where values map on it, and its ticks with labels.
struct Axis {
    var lo: Double
    var hi: Double
    var isLog: Bool
    var ticks: [Double]
    var labels: [String]

    /// Where `value` lies between `lo` (0) and `hi` (1). Computed on halves so that a domain
    /// spanning most of the `Double` range does not overflow.
    func fraction(_ value: Double) -> Double {
        if isLog { return (log10(value) - log10(lo)) / (log10(hi) - log10(lo)) }
        return (value / 2 - lo / 2) / (hi / 2 - lo / 2)
    }

    /// Epoch numbers: exactly their range (one epoch is centred), integer ticks.
    static func epochs(_ epochs: [Double]) -> Axis {
        guard let first = epochs.min(), let last = epochs.max() else {
            return linear(0, 1, integer: true, fit: false)
        }
        if first == last { return linear(first - 1, last + 1, integer: true, fit: false) }
        return linear(first, last, integer: true, fit: false)
    }

    /// Costs: logarithmic over whole decades when all are positive and they span more than two
    /// decades, else linear.
    static func cost(_ values: [Double]) -> Axis {
        guard let low = values.min(), let high = values.max() else {
            return linear(0, 1, integer: false, fit: true)
        }
        // Whole decades beyond 1e±300 would round to 0 or overflow.
        if low >= 1e-300, high <= 1e300, high / low > 100 { return logarithmic(low, high) }
        return linear(low, high, integer: false, fit: true)
    }

    /// Accuracies: fitted to the data, not beyond 0…1 when the data lies within it.
    static func accuracy(_ values: [Double]) -> Axis {
        guard let low = values.min(), let high = values.max() else {
            return linear(0, 1, integer: false, fit: true)
        }
        var axis = linear(low, high, integer: false, fit: true)
        if low >= 0, axis.lo < 0 { axis.lo = 0 }
        if high <= 1, axis.hi > 1 { axis.hi = 1 }
        // A tick computed as k × step may miss 0 or 1 by an ulp.
        let slack = (axis.hi - axis.lo) * 1e-9
        let kept = axis.ticks.indices.filter {
            axis.ticks[$0] >= axis.lo - slack && axis.ticks[$0] <= axis.hi + slack
        }
        axis.ticks = kept.map { axis.ticks[$0] }
        axis.labels = kept.map { axis.labels[$0] }
        return axis
    }

    /// A linear axis over `low…high` with 1-2-5 ticks (about five). With `fit`, the domain grows
    /// to the enclosing ticks; a zero-width range is widened first.
    static func linear(_ low: Double, _ high: Double, integer: Bool, fit: Bool) -> Axis {
        var lo = low
        var hi = high
        if lo == hi {
            let pad = lo == 0 ? 1 : abs(lo) / 10
            lo -= pad
            hi += pad
        }
        let (rangeLo, rangeHi) = (lo, hi)
        var step = niceNumber(niceNumber(hi - lo, round: false) / 4, round: true)
        if integer { step = max(1, step.rounded()) }
        // Ticks are whole multiples of the step, counted by their index: recomputing indices
        // from a rounded product could drop the end ticks (0.6 / 0.1 rounds above 6).
        var first = (lo / step).rounded(.up)
        var last = (hi / step).rounded(.down)
        if fit {
            first = (lo / step).rounded(.down)
            last = (hi / step).rounded(.up)
            lo = min(lo, first * step)
            hi = max(hi, last * step)
        }
        // Extreme ranges (overflowing spans, steps too small to count) get plain end ticks.
        guard lo.isFinite, hi.isFinite, step.isFinite, step > 0, first.isFinite, last.isFinite,
            last - first < 50
        else {
            return Axis(
                lo: rangeLo, hi: rangeHi, isLog: false, ticks: [rangeLo, rangeHi],
                labels: [rangeLo.description, rangeHi.description])
        }
        let ticks = stride(from: first, through: last, by: 1).map { $0 * step }
        let decimals = max(0, Int((-log10(step)).rounded(.up)))
        let magnitude = max(abs(lo), abs(hi))
        let labels = ticks.map { tick -> String in
            if decimals <= 6 && magnitude < 1e7 { return String(format: "%.\(decimals)f", tick) }
            let digits = min(17, max(1, Int(log10(magnitude / step).rounded(.up)) + 1))
            return String(format: "%.\(digits)g", tick)
        }
        return Axis(lo: lo, hi: hi, isLog: false, ticks: ticks, labels: labels)
    }

    /// A logarithmic axis over the whole decades around `low…high` (both positive), a tick per
    /// decade or per few decades when there are many.
    static func logarithmic(_ low: Double, _ high: Double) -> Axis {
        let first = Int(log10(low).rounded(.down))
        let last = Int(log10(high).rounded(.up))
        let every = max(1, (last - first + 7) / 8)
        let exponents = stride(from: first, through: last, by: every)
        let labels = exponents.map { k in
            (-4...4).contains(k) ? String(format: "%.\(max(0, -k))f", pow(10, Double(k))) : "1e\(k)"
        }
        return Axis(
            lo: pow(10, Double(first)), hi: pow(10, Double(last)), isLog: true,
            ticks: exponents.map { pow(10, Double($0)) }, labels: labels)
    }

    /// The 1-2-5 number near `x` (Heckbert, "Nice numbers for graph labels", Graphics Gems):
    /// rounded to nearest, or the smallest one not below `x`.
    static func niceNumber(_ x: Double, round: Bool) -> Double {
        let exponent = log10(x).rounded(.down)
        let fraction = x / pow(10, exponent)
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return nice * pow(10, exponent)
    }
}
