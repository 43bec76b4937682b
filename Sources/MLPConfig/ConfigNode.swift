import Yams

/// Where a node came from: a file position, or `--set` for override values.
struct SourceLocation: Equatable, Sendable {
    var file: String
    var line: Int?
    var column: Int?

    init(file: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    init(file: String, mark: Mark?) {
        self.init(file: file, line: mark?.line, column: mark?.column)
    }

    /// `file`, `file:line` or `file:line:column`, as far as known.
    var place: String {
        guard let line else { return file }
        guard let column else { return "\(file):\(line)" }
        return "\(file):\(line):\(column)"
    }

    func error(key: String?, _ message: String) -> ConfigError {
        ConfigError(file: file, line: line, column: column, key: key, message: message)
    }
}

/// A YAML tree reduced to what a configuration needs, every node carrying its origin.
///
/// Yams nodes are converted once, right after parsing; overrides then edit this tree, so a value
/// set by `--set` keeps `--set` as its origin while the rest keeps its file positions.
struct ConfigNode {
    enum Content {
        /// `quoted` is true for quoted or block scalars and for `!!str`: such text is a string,
        /// never a number, boolean or null.
        case scalar(String, quoted: Bool)
        case sequence([ConfigNode])
        case mapping([ConfigEntry])
    }

    var content: Content
    var location: SourceLocation

    static func emptyMapping(at location: SourceLocation) -> ConfigNode {
        ConfigNode(content: .mapping([]), location: location)
    }

    /// True for YAML null: an empty plain value, `~` or `null`.
    var isNull: Bool {
        if case .scalar(let text, quoted: false) = content {
            return ["", "~", "null", "Null", "NULL"].contains(text)
        }
        return false
    }

    /// How the value reads in a "found …" phrase.
    var found: String {
        switch content {
        case .scalar(let text, let quoted):
            if quoted { return "the string \"\(text)\"" }
            return isNull ? "null" : "'\(text)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// One `key: value` pair of a mapping.
struct ConfigEntry {
    var key: String
    var keyLocation: SourceLocation
    var value: ConfigNode
}

// MARK: - From YAML text

extension ConfigNode {
    /// Parses one YAML document; nil when it holds no node at all.
    ///
    /// Syntax errors, duplicate keys and non-string keys become `ConfigError`s naming `file` and
    /// the line. With `origin`, every node gets that location instead of its position in `yaml`
    /// (used for `--set` values, whose positions mean nothing to the user).
    static func parse(yaml: String, file: String, origin: SourceLocation? = nil) throws
        -> ConfigNode?
    {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml, .default, .default, .utf8)
        } catch let error as YamlError {
            throw yamlError(error, yaml: yaml, file: file)
        }
        return try root.map { try ConfigNode($0, file: file, origin: origin) }
    }

    private init(_ node: Node, file: String, origin: SourceLocation?) throws {
        let location = origin ?? SourceLocation(file: file, mark: node.mark)
        switch node {
        case .scalar(let scalar):
            let quoted =
                scalar.style != .plain && scalar.style != .any
                || scalar.tag.rawValue == Tag.Name.str.rawValue
            self.init(content: .scalar(scalar.string, quoted: quoted), location: location)
        case .sequence(let sequence):
            let items = try sequence.map { try ConfigNode($0, file: file, origin: origin) }
            self.init(content: .sequence(items), location: location)
        case .mapping(let mapping):
            var entries: [ConfigEntry] = []
            for (key, value) in mapping {
                let keyLocation = origin ?? SourceLocation(file: file, mark: key.mark)
                guard case .scalar(let keyScalar) = key else {
                    throw keyLocation.error(
                        key: nil, "mapping keys must be plain names, found a \(key.kindName)")
                }
                let entry = ConfigEntry(
                    key: keyScalar.string, keyLocation: keyLocation,
                    value: try ConfigNode(value, file: file, origin: origin))
                entries.append(entry)
            }
            self.init(content: .mapping(entries), location: location)
        case .alias:
            // Yams' composer substitutes the anchored node for every alias; nothing else is valid.
            throw location.error(key: nil, "unresolved YAML alias")
        }
    }

    private static func yamlError(_ error: YamlError, yaml: String, file: String) -> ConfigError {
        func located(_ mark: Mark, _ problem: String, _ context: YamlError.Context?) -> ConfigError
        {
            var message = "invalid YAML: \(problem)"
            if let context { message += " (\(context.text), line \(context.mark.line))" }
            return ConfigError(file: file, line: mark.line, column: mark.column, message: message)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _):
            return located(mark, problem, context)
        case .composer(let context, let problem, let mark, _):
            // The composer's context for a second document is a fixed 1:1 mark; leave it out.
            return located(
                mark, problem, context?.text.hasPrefix("expected a single") == true ? nil : context)
        case .reader(let problem, let offset, _, _):
            let (line, column) = offset.map { position(ofCharacter: $0, in: yaml) } ?? (nil, nil)
            return ConfigError(
                file: file, line: line, column: column, message: "unreadable YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return duplicateKeyError(
                duplicates.first ?? "", firstAt: context.mark, yaml: yaml, file: file)
        default:
            return ConfigError(file: file, message: "invalid YAML: \(error)")
        }
    }

    private static func position(ofCharacter offset: Int, in text: String) -> (Int?, Int?) {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return (line, column)
    }
}

// MARK: - Duplicate keys

extension ConfigNode {
    /// Yams reports a duplicate key with the position of one occurrence only and no key path.
    /// To name both places and the path, the occurrence it reported is renamed with a marker and
    /// the text is parsed again; the mapping holding the marked key gives the path, and the
    /// namesake there the other position. If that second parse fails (several duplicates, an
    /// unusual key), the error falls back to the one position Yams gave.
    private static let duplicateMarker = "mlpdDuplicateKeyMarker_"

    private static func duplicateKeyError(
        _ key: String, firstAt mark: Mark, yaml: String, file: String
    )
        -> ConfigError
    {
        let fallback = ConfigError(
            file: file, line: mark.line, column: mark.column, message: "duplicate key '\(key)'")
        guard let index = stringIndex(of: mark, in: yaml) else { return fallback }
        var markedText = yaml
        markedText.insert(contentsOf: duplicateMarker, at: index)
        guard let root = try? parse(yaml: markedText, file: file),
            let found = root.findDuplicate(of: key, path: "")
        else { return fallback }
        // Positions after the marker on its line moved right by the marker's length.
        var other = found.other
        if other.line == mark.line, let column = other.column, column > mark.column {
            other.column = column - duplicateMarker.unicodeScalars.count
        }
        let marked = SourceLocation(file: file, mark: mark)
        let (earlier, later) =
            (marked.line ?? 0, marked.column ?? 0) < (other.line ?? 0, other.column ?? 0)
            ? (marked, other) : (other, marked)
        let keyPath = found.path.isEmpty ? key : "\(found.path).\(key)"
        let prefix = found.path.isEmpty ? "" : "\(found.path): "
        return later.error(
            key: keyPath,
            "\(prefix)duplicate key '\(key)' (first given at line \(earlier.line ?? 0))")
    }

    private func findDuplicate(of key: String, path: String)
        -> (path: String, other: SourceLocation)?
    {
        switch content {
        case .scalar: return nil
        case .sequence(let items):
            for (i, item) in items.enumerated() {
                if let found = item.findDuplicate(of: key, path: "\(path)[\(i)]") { return found }
            }
            return nil
        case .mapping(let entries):
            if entries.contains(where: { $0.key.hasPrefix(Self.duplicateMarker) }),
                let other = entries.first(where: { $0.key == key })
            {
                return (path, other.keyLocation)
            }
            for entry in entries {
                let childPath = path.isEmpty ? entry.key : "\(path).\(entry.key)"
                if let found = entry.value.findDuplicate(of: key, path: childPath) { return found }
            }
            return nil
        }
    }

    /// The index of a 1-based line and column (in Unicode scalars) in `text`.
    private static func stringIndex(of mark: Mark, in text: String) -> String.Index? {
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        var line = 1
        while line < mark.line {
            guard let newline = scalars[index...].firstIndex(of: "\n") else { return nil }
            index = scalars.index(after: newline)
            line += 1
        }
        return scalars.index(index, offsetBy: mark.column - 1, limitedBy: scalars.endIndex)
    }
}

extension Node {
    fileprivate var kindName: String {
        switch self {
        case .scalar: return "scalar"
        case .sequence: return "list"
        case .mapping: return "mapping"
        case .alias: return "alias"
        }
    }
}
