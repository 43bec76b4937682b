/// Writes block-style YAML, one `key: value` line at a time, with scalars formatted so that the
/// configuration parser reads back exactly the same values.
struct YAMLWriter {
    private(set) var text = ""
    private var indent = 0

    mutating func field(_ key: String, _ value: String) {
        text += String(repeating: " ", count: indent) + "\(key): \(value)\n"
    }

    /// A nested mapping under `key`, its fields written by `body`.
    mutating func mapping(_ key: String, _ body: (inout YAMLWriter) -> Void) {
        text += String(repeating: " ", count: indent) + "\(key):\n"
        indent += 2
        body(&self)
        indent -= 2
    }

    // MARK: - Scalars

    static let null = "null"

    static func bool(_ value: Bool) -> String { value ? "true" : "false" }

    static func int<T: BinaryInteger>(_ value: T) -> String { "\(value)" }

    /// The shortest decimal that reads back as the same `Double` (Swift's `description`), with
    /// `.0` put before a bare exponent (`1e-08` → `1.0e-08`) so YAML 1.1 readers such as PyYAML
    /// also see a number.
    static func number(_ value: Double) -> String {
        precondition(value.isFinite, "configuration numbers are finite")
        var text = "\(value)"
        if !text.contains("."), let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            text.insert(contentsOf: ".0", at: e)
        }
        return text
    }

    /// A flow list of integers: `[64, 64, 10]`.
    static func list(_ values: [Int]) -> String {
        "[" + values.map(String.init).joined(separator: ", ") + "]"
    }

    /// Words that some YAML reader (1.1 or 1.2) takes for null, a boolean or a special float.
    private static let typedWords: Set<String> = [
        "", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
        ".inf", "-.inf", "+.inf", ".nan",
    ]

    /// Plain when the text is made of path-like characters, starts with no digit and would not
    /// read as null, a boolean or a number in any YAML reader; double-quoted otherwise.
    static func string(_ value: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./")
        let pathLike = value.allSatisfy { safe.contains($0) || $0 == "-" || $0 == "+" }
        // A leading digit could read as a date, hex or octal number in YAML 1.1.
        let startsSafely = value.first.map { safe.contains($0) && !$0.isNumber } ?? false
        let looksTyped =
            typedWords.contains(value.lowercased()) || ConfigNode.decimal(value) != nil
            || ConfigNode.isInteger(value)
        if pathLike && startsSafely && !looksTyped { return value }
        return quoted(value)
    }

    /// Always double-quoted (used where a bare character would be unreadable, e.g. `","`).
    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                let v = scalar.value
                // C0 and C1 controls, DEL, line/paragraph separators and BOM: YAML would fold or
                // reject them raw.
                if v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029
                    || v == 0xFEFF
                {
                    let hex = String(v, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
