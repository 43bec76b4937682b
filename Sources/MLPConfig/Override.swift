import Foundation

/// One `--set key.path=value` override, applied to the parsed tree before validation.
///
/// The key path is checked against the schema as it is walked, so a misspelt key fails here,
/// naming the whole override, rather than later as an unknown key of a mapping the override made.
/// The value is parsed as YAML and keeps `--set` as its origin: validation errors about it then
/// say `--set: key.path: …`.
struct Override {
    /// The override as given, e.g. `train.optimizer.learning_rate=0.5`.
    let text: String
    let keys: [String]
    let value: ConfigNode

    /// The origin of errors in the override itself: `--set` followed by the override as given.
    private var origin: SourceLocation { SourceLocation(file: "--set \(text)") }
    /// The origin of the nodes the override puts in the tree.
    private static let valueOrigin = SourceLocation(file: "--set")

    init(parsing text: String) throws {
        self.text = text
        let origin = SourceLocation(file: "--set \(text)")
        guard let equals = text.firstIndex(of: "=") else {
            throw origin.error(key: nil, "expected key.path=value, e.g. --set train.epochs=10")
        }
        let path = text[..<equals].trimmingCharacters(in: .whitespaces)
        keys = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard keys.allSatisfy({ !$0.isEmpty }) else {
            throw origin.error(key: nil, "'\(path)' is not a key path such as train.epochs")
        }
        let valueText = String(text[text.index(after: equals)...])
        do {
            value =
                try ConfigNode.parse(yaml: valueText, file: origin.file, origin: Self.valueOrigin)
                ?? ConfigNode(content: .scalar("", quoted: false), location: Self.valueOrigin)
        } catch let error as ConfigError {
            throw origin.error(key: path, "\(path): the value is not valid YAML: \(error.message)")
        }
    }

    /// Sets the value at the key path in `root` (a mapping), creating missing mappings.
    func apply(to root: inout ConfigNode, schema: KeySchema) throws {
        try set(keys[...], in: &root, schema: schema, path: "")
    }

    private func set(
        _ keys: ArraySlice<String>, in node: inout ConfigNode, schema: KeySchema, path: String
    ) throws {
        guard case .mapping(var entries) = node.content, let key = keys.first else {
            preconditionFailure("overrides are applied to mappings with a non-empty key path")
        }
        let keyPath = path.isEmpty ? key : "\(path).\(key)"
        guard let fieldSchema = schema.field(key) else {
            throw origin.error(key: keyPath, schema.unknownKeyMessage(key, at: path))
        }
        let index = entries.firstIndex { $0.key == key }
        if keys.count == 1 {
            let entry = ConfigEntry(key: key, keyLocation: Self.valueOrigin, value: value)
            if let index { entries[index] = entry } else { entries.append(entry) }
            node.content = .mapping(entries)
            return
        }
        guard case .mapping = fieldSchema else {
            throw origin.error(
                key: keyPath,
                "\(keyPath) takes a value, not keys such as '\(keys[keys.startIndex + 1])'")
        }
        var child = ConfigNode.emptyMapping(at: Self.valueOrigin)
        if let index, !entries[index].value.isNull {
            child = entries[index].value
            guard case .mapping = child.content else {
                throw origin.error(
                    key: keyPath,
                    "\(keyPath) is \(child.found) at \(child.location.place), not a mapping")
            }
        }
        try set(keys.dropFirst(), in: &child, schema: fieldSchema, path: keyPath)
        if let index {
            entries[index].value = child
        } else {
            entries.append(ConfigEntry(key: key, keyLocation: Self.valueOrigin, value: child))
        }
        node.content = .mapping(entries)
    }
}
