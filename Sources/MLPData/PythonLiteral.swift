/// The small part of Python's literal syntax that npy headers use: dicts, tuples, lists,
/// quoted strings, integers, `True`, `False` and `None`.
enum PythonLiteral {
    case dictionary([(String, PythonLiteral)])
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case none

    /// The literal spelled by `text` (surrounding blanks and a trailing newline allowed).
    static func parse(_ text: ArraySlice<UInt8>, file: String) throws -> PythonLiteral {
        var parser = Parser(text: Array(text), file: file)
        let value = try parser.value()
        parser.skipBlanks()
        guard parser.position == parser.text.count else { throw parser.fault("unexpected text after the value") }
        return value
    }

    private struct Parser {
        let text: [UInt8]
        let file: String
        var position = 0

        func fault(_ what: String) -> DataError {
            DataError(
                file: file, message: "the npy header is not a readable dictionary: \(what) at byte \(position)",
                code: .malformed)
        }

        mutating func skipBlanks() {
            while position < text.count, [0x20, 0x09, 0x0A, 0x0D].contains(text[position]) { position += 1 }
        }

        /// Consumes `byte` (after blanks) if it is next.
        mutating func take(_ byte: UInt8) -> Bool {
            skipBlanks()
            guard position < text.count, text[position] == byte else { return false }
            position += 1
            return true
        }

        mutating func value() throws -> PythonLiteral {
            skipBlanks()
            guard position < text.count else { throw fault("unexpected end") }
            switch text[position] {
            case UInt8(ascii: "{"):
                position += 1
                var entries: [(String, PythonLiteral)] = []
                while !take(UInt8(ascii: "}")) {
                    guard case .string(let key) = try value() else { throw fault("a key that is not a string") }
                    guard take(UInt8(ascii: ":")) else { throw fault("a missing ':'") }
                    entries.append((key, try value()))
                    guard take(UInt8(ascii: ",")) || peek(UInt8(ascii: "}")) else { throw fault("a missing ','") }
                }
                return .dictionary(entries)
            case UInt8(ascii: "("):
                position += 1
                return .tuple(try items(until: UInt8(ascii: ")")))
            case UInt8(ascii: "["):
                position += 1
                return .list(try items(until: UInt8(ascii: "]")))
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                let quote = text[position]
                position += 1
                let start = position
                while position < text.count && text[position] != quote { position += 1 }
                guard position < text.count else { throw fault("an unterminated string") }
                position += 1
                return .string(String(decoding: text[start..<(position - 1)], as: UTF8.self))
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                let negative = text[position] == UInt8(ascii: "-")
                if negative { position += 1 }
                var number = 0
                var digits = 0
                while position < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[position]) {
                    let (times10, overflow1) = number.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = times10.addingReportingOverflow(Int(text[position] - 48))
                    guard !overflow1 && !overflow2 else { throw fault("an integer too large") }
                    number = sum
                    digits += 1
                    position += 1
                }
                guard digits > 0 else { throw fault("a '-' without digits") }
                if position < text.count && text[position] == UInt8(ascii: "L") { position += 1 }  // Python 2
                return .integer(negative ? -number : number)
            default:
                for (word, literal) in [("True", PythonLiteral.boolean(true)), ("False", .boolean(false)), ("None", .none)] {
                    let bytes = Array(word.utf8)
                    if text[position...].starts(with: bytes) {
                        position += bytes.count
                        return literal
                    }
                }
                throw fault("an unexpected character '\(String(UnicodeScalar(text[position])))'")
            }
        }

        func peek(_ byte: UInt8) -> Bool {
            var i = position
            while i < text.count, [0x20, 0x09, 0x0A, 0x0D].contains(text[i]) { i += 1 }
            return i < text.count && text[i] == byte
        }

        /// Comma-separated values up to `closing` (a trailing comma allowed).
        mutating func items(until closing: UInt8) throws -> [PythonLiteral] {
            var items: [PythonLiteral] = []
            while !take(closing) {
                items.append(try value())
                guard take(UInt8(ascii: ",")) || peek(closing) else { throw fault("a missing ','") }
            }
            return items
        }
    }
}
