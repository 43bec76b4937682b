/// Reads one configuration mapping: checks its keys against the schema, then hands out typed
/// values. Every error names the full key path and the position of the value (or, for a missing
/// key, of the mapping's own key).
///
/// An absent or null mapping reads as an empty one, so a missing section reports the first
/// required key inside it. A key whose value is null counts as not given: optional keys take
/// their default, required ones report that null is not a valid value.
struct MappingReader {
    /// Dotted path of this mapping; empty for the top level.
    let path: String
    /// Where errors about this mapping as a whole point: its key in the parent, or the parent's.
    let anchor: SourceLocation
    let schema: KeySchema
    private let entries: [ConfigEntry]

    init(_ node: ConfigNode?, path: String, anchor: SourceLocation, schema: KeySchema) throws {
        self.path = path
        self.anchor = anchor
        self.schema = schema
        guard let node, !node.isNull else {
            entries = []
            return
        }
        guard case .mapping(let entries) = node.content else {
            throw node.location.error(key: path, "\(path): expected a mapping, found \(node.found)")
        }
        self.entries = entries
        for entry in entries where schema.field(entry.key) == nil {
            throw entry.keyLocation.error(
                key: keyPath(entry.key), schema.unknownKeyMessage(entry.key, at: path))
        }
    }

    func keyPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// The entry for `key`, also when its value is null.
    func rawEntry(_ key: String) -> ConfigEntry? {
        precondition(schema.field(key) != nil, "'\(key)' is not in the schema of '\(path)'")
        return entries.first { $0.key == key }
    }

    /// The entry for `key` when it is given with a non-null value.
    func entry(_ key: String) -> ConfigEntry? {
        rawEntry(key).flatMap { $0.value.isNull ? nil : $0 }
    }

    func has(_ key: String) -> Bool { entry(key) != nil }

    /// The nested mapping under `key`, read against its own schema.
    func child(_ key: String) throws -> MappingReader {
        guard let schema = schema.field(key), case .mapping = schema else {
            preconditionFailure("'\(keyPath(key))' is not a mapping in the schema")
        }
        let entry = rawEntry(key)
        return try MappingReader(
            entry?.value, path: keyPath(key), anchor: entry?.keyLocation ?? anchor, schema: schema)
    }

    func missing(_ key: String, _ note: String = "") -> ConfigError {
        anchor.error(key: keyPath(key), "missing required key \(keyPath(key))\(note)")
    }

    /// An error located at `key` (its value when `atValue`, else the key itself).
    func error(at key: String, atValue: Bool = true, _ message: String) -> ConfigError {
        guard let entry = rawEntry(key) else { return anchor.error(key: keyPath(key), message) }
        return (atValue ? entry.value.location : entry.keyLocation).error(
            key: keyPath(key), message)
    }

    /// Rejects `key` when given: it belongs to another choice than `chosen`.
    func reject(_ key: String, appliesTo owner: String, not chosen: String) throws {
        if has(key) {
            throw error(
                at: key, atValue: false, "\(keyPath(key)) applies to \(owner), not \(chosen)")
        }
    }

    /// The value of `key` decoded by `decode`; `defaultValue` when absent or null, a
    /// missing-key error when absent and there is no default.
    func value<T>(
        _ key: String, default defaultValue: T?, _ decode: (ConfigNode, String) throws -> T
    ) throws -> T {
        if let entry = rawEntry(key), !(entry.value.isNull && defaultValue != nil) {
            return try decode(entry.value, keyPath(key))
        }
        if let defaultValue { return defaultValue }
        throw missing(key)
    }

    /// The value of `key` decoded by `decode`, or nil when absent or null.
    func optional<T>(_ key: String, _ decode: (ConfigNode, String) throws -> T) throws -> T? {
        guard let entry = entry(key) else { return nil }
        return try decode(entry.value, keyPath(key))
    }

    // MARK: - Shorthands for the common kinds

    func integer(_ key: String, default defaultValue: Int? = nil, atLeast minimum: Int) throws
        -> Int
    {
        try value(key, default: defaultValue) { try $0.integer($1, atLeast: minimum) }
    }

    func unsigned(_ key: String, default defaultValue: UInt64) throws -> UInt64 {
        try value(key, default: defaultValue) { try $0.unsigned($1) }
    }

    func number(_ key: String, default defaultValue: Double? = nil, _ range: NumberRange) throws
        -> Double
    {
        try value(key, default: defaultValue) { try $0.number($1, range) }
    }

    func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        try value(key, default: defaultValue) { try $0.bool($1) }
    }

    func string(_ key: String, _ what: String) throws -> String {
        try value(key, default: nil) { try $0.string($1, what) }
    }

    func keyword<T: RawRepresentable<String>>(
        _ key: String, default defaultValue: T?, among choices: [T]
    ) throws -> T {
        try value(key, default: defaultValue) { try $0.keyword($1, among: choices) }
    }
}

/// An interval of allowed numbers, with the phrase that describes it in errors.
struct NumberRange: Sendable {
    var lower: (value: Double, inclusive: Bool)?
    var upper: (value: Double, inclusive: Bool)?

    static func above(_ x: Double) -> NumberRange { NumberRange(lower: (x, false)) }
    static func atLeast(_ x: Double) -> NumberRange { NumberRange(lower: (x, true)) }
    /// (a, b), [a, b), (a, b]
    static func open(_ a: Double, _ b: Double) -> NumberRange {
        NumberRange(lower: (a, false), upper: (b, false))
    }
    static func closedOpen(_ a: Double, _ b: Double) -> NumberRange {
        NumberRange(lower: (a, true), upper: (b, false))
    }
    static func openClosed(_ a: Double, _ b: Double) -> NumberRange {
        NumberRange(lower: (a, false), upper: (b, true))
    }

    func contains(_ x: Double) -> Bool {
        if let (a, inclusive) = lower, inclusive ? x < a : x <= a { return false }
        if let (b, inclusive) = upper, inclusive ? x > b : x >= b { return false }
        return true
    }

    /// "> 0", "≥ 0", "in [0, 1)" …
    var phrase: String {
        switch (lower, upper) {
        case (let lower?, let upper?):
            return "in \(lower.inclusive ? "[" : "(")\(Self.text(lower.value)), "
                + "\(Self.text(upper.value))\(upper.inclusive ? "]" : ")")"
        case (let lower?, nil): return "\(lower.inclusive ? "≥" : ">") \(Self.text(lower.value))"
        case (nil, let upper?): return "\(upper.inclusive ? "≤" : "<") \(Self.text(upper.value))"
        case (nil, nil): return "(any)"
        }
    }

    private static func text(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }
}

// MARK: - Decoding single values

extension ConfigNode {
    /// The text of a plain (unquoted) scalar, the only form numbers and booleans may take.
    private var plainText: String? {
        if case .scalar(let text, quoted: false) = content, !isNull { return text }
        return nil
    }

    private func mismatch(_ path: String, _ expected: String) -> ConfigError {
        location.error(key: path, "\(path): expected \(expected), found \(found)")
    }

    func integer(_ path: String, atLeast minimum: Int) throws -> Int {
        let expected = "an integer ≥ \(minimum)"
        guard let text = plainText, Self.isInteger(text), let value = Int(text.trimmingPlus),
            value >= minimum
        else { throw mismatch(path, expected) }
        return value
    }

    func unsigned(_ path: String) throws -> UInt64 {
        guard let text = plainText, Self.isInteger(text), let value = UInt64(text.trimmingPlus)
        else {
            throw mismatch(path, "an unsigned integer (0 to \(UInt64.max))")
        }
        return value
    }

    func number(_ path: String, _ range: NumberRange) throws -> Double {
        guard let value = plainText.flatMap(Self.decimal), range.contains(value) else {
            throw mismatch(path, "a number \(range.phrase)")
        }
        return value
    }

    func bool(_ path: String) throws -> Bool {
        switch plainText {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw mismatch(path, "true or false")
        }
    }

    /// Any non-null, non-empty scalar, as written (`dir: 2024` is the string "2024").
    func string(_ path: String, _ what: String) throws -> String {
        guard case .scalar(let text, _) = content, !isNull, !text.isEmpty else {
            throw mismatch(path, what)
        }
        return text
    }

    func keyword<T: RawRepresentable<String>>(_ path: String, among choices: [T]) throws -> T {
        let names = choices.map(\.rawValue)
        if case .scalar(let text, _) = content, !isNull,
            let choice = choices.first(where: { $0.rawValue == text })
        {
            return choice
        }
        var message = "\(path): expected one of \(names.joined(separator: ", ")), found \(found)"
        if case .scalar(let text, _) = content,
            let near = Suggestion.nearest(to: text, among: names)
        {
            message += "; did you mean '\(near)'?"
        }
        throw location.error(key: path, message)
    }

    /// A list of integers ≥ `minimum` with at least `minCount` entries; element errors name
    /// `path[i]`.
    func integerList(_ path: String, minCount: Int, atLeast minimum: Int) throws -> [Int] {
        let expected =
            "a list of at least \(minCount) integer\(minCount == 1 ? "" : "s") ≥ \(minimum)"
        guard case .sequence(let items) = content else { throw mismatch(path, expected) }
        guard items.count >= minCount else {
            throw location.error(
                key: path, "\(path): expected \(expected), found a list of \(items.count)")
        }
        return try items.enumerated().map { i, item in
            try item.integer("\(path)[\(i)]", atLeast: minimum)
        }
    }

    /// Decimal integers only: no `0x`, `0o`, `_` or YAML 1.1 sexagesimal forms.
    static func isInteger(_ text: String) -> Bool {
        let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// A finite decimal number: `[+-]digits[.digits][e[+-]digits]` or `[+-].digits…`.
    /// Accepts `1e-8` (which YAML 1.1 would read as a string) and rejects `.inf`, `.nan`, hex.
    static func decimal(_ text: String) -> Double? {
        var rest = Substring(text)
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        let mantissaEnd = rest.firstIndex { $0 == "e" || $0 == "E" } ?? rest.endIndex
        let mantissa = rest[..<mantissaEnd]
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digitsOnly = { (s: Substring) in s.allSatisfy { $0.isASCII && $0.isNumber } }
        guard parts.allSatisfy(digitsOnly), parts.contains(where: { !$0.isEmpty }) else {
            return nil
        }
        if mantissaEnd != rest.endIndex {
            var exponent = rest[rest.index(after: mantissaEnd)...]
            if exponent.first == "-" || exponent.first == "+" { exponent = exponent.dropFirst() }
            guard !exponent.isEmpty, digitsOnly(exponent) else { return nil }
        }
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }
}

extension String {
    fileprivate var trimmingPlus: String { hasPrefix("+") ? String(dropFirst()) : self }
}
