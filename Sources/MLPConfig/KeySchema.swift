/// The keys a configuration mapping allows, in the order `resolvedYAML()` writes them, and which
/// of them hold mappings of their own.
///
/// Each configuration type declares its schema next to its parsing; `JobConfig.schema` nests them.
/// Unknown-key errors, their suggestions and `--set` paths are all checked against this one tree,
/// so a new section is one more field here plus its type.
indirect enum KeySchema: Sendable {
    /// A key whose value is a scalar or a list.
    case value
    /// A key whose value is a mapping with these keys.
    case mapping([Field])

    struct Field: Sendable {
        var name: String
        var schema: KeySchema

        static func value(_ name: String) -> Field { Field(name: name, schema: .value) }
        static func mapping(_ name: String, _ schema: KeySchema) -> Field {
            Field(name: name, schema: schema)
        }
    }

    /// The allowed key names, in schema order; empty for `.value`.
    var names: [String] {
        if case .mapping(let fields) = self { return fields.map(\.name) }
        return []
    }

    /// The schema of the field `name`, or nil when this is not a mapping with that key.
    func field(_ name: String) -> KeySchema? {
        if case .mapping(let fields) = self { return fields.first { $0.name == name }?.schema }
        return nil
    }

    /// The message for an unknown `key` in the mapping at `path` (this schema's place), with a
    /// "did you mean …" or, when nothing is close, the allowed keys.
    func unknownKeyMessage(_ key: String, at path: String) -> String {
        let place = path.isEmpty ? "unknown top-level key" : "\(path): unknown key"
        if let near = Suggestion.nearest(to: key, among: names) {
            return "\(place) '\(key)'; did you mean '\(near)'?"
        }
        return "\(place) '\(key)'; allowed keys: " + names.joined(separator: ", ")
    }
}

/// Picks the likely intended word for a misspelt one.
enum Suggestion {
    /// The candidate within edit distance 2 of `word` (at most half the longer word's length, so
    /// `lr` does not become `dir`), or sharing a prefix with it (one is a prefix of the other, or
    /// they agree on the first 4 characters); the closest wins, then the longest shared prefix,
    /// then the earlier candidate. Case differences count as edits.
    static func nearest(to word: String, among candidates: [String]) -> String? {
        let w = Array(word)
        var best: (candidate: String, distance: Int, prefix: Int)?
        for candidate in candidates {
            let c = Array(candidate)
            let distance = editDistance(w, c)
            let prefix = zip(w, c).prefix { $0 == $1 }.count
            let isPrefix = prefix >= 2 && prefix == min(w.count, c.count)
            let near = distance <= min(2, max(w.count, c.count) / 2)
            guard near || prefix >= 4 || isPrefix else { continue }
            if let current = best,
                (current.distance, -current.prefix) <= (distance, -prefix)
            {
                continue
            }
            best = (candidate, distance, prefix)
        }
        return best?.candidate
    }

    /// Levenshtein distance: insertions, deletions and substitutions each cost 1.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
