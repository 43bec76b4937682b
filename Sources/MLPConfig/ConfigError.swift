import Foundation

/// A configuration that cannot be used: the place at fault and what is wrong there.
///
/// `description` is the line to show a user: `file[:line[:column]]: message`, e.g.
/// `configs/x.yaml:12:5: train.optimizer: unknown key 'learning_rat'; did you mean
/// 'learning_rate'?`. The message already names the key path where one applies, so the
/// description reads on its own.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The configuration file, `--set` for a value that came from an override, or
    /// `--set key.path=value` (the whole override as given) when the override itself is wrong.
    public var file: String
    /// 1-based line in `file`, when the fault has a place there.
    public var line: Int?
    /// 1-based column (counted in Unicode scalars), when the fault has a place there.
    public var column: Int?
    /// The full dotted key path at fault (`train.batch_size`, `model.layers[1]`), if any.
    public var key: String?
    /// What is wrong, as a sentence that begins with the key path where one applies.
    public var message: String

    public init(
        file: String, line: Int? = nil, column: Int? = nil, key: String? = nil, message: String
    ) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    public var description: String {
        "\(SourceLocation(file: file, line: line, column: column).place): \(message)"
    }
}

extension ConfigError: LocalizedError {
    public var errorDescription: String? { description }
}
