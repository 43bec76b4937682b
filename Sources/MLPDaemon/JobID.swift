import Foundation

/// Job identifiers: the submission time in UTC to the microsecond, `YYYYMMDD-HHMMSS-uuuuuu`
/// (e.g. `20261120-153012-004211`). They sort as text in submission order, read as a time, and
/// are safe as file names.
///
/// Uniqueness: the generator never hands out a value at or below the last one, bumping by one
/// microsecond when the clock has not moved (or went back); at startup it is seeded with the
/// largest identifier already in the state directory, so identifiers stay unique and ordered
/// across restarts even if the clock steps back.
public struct JobIDGenerator: Sendable {
    private var last: Int64

    /// A generator that hands out identifiers above `after` (microseconds since 1970).
    public init(after: Int64 = 0) { last = after }

    /// A generator that continues after the largest of `existing` (ignoring malformed names).
    public init(continuingAfter existing: some Sequence<String>) {
        self.init(after: existing.compactMap(Self.microseconds(of:)).max() ?? 0)
    }

    /// The next identifier, given the current time.
    public mutating func next(now: Date = Date()) -> String {
        let micros = Int64((now.timeIntervalSince1970 * 1_000_000).rounded(.down))
        last = max(micros, last + 1)
        return Self.format(microseconds: last)
    }

    /// The identifier for a time in microseconds since 1970.
    public static func format(microseconds: Int64) -> String {
        var time = time_t(microseconds / 1_000_000)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d%02d%02d-%02d%02d%02d-%06d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec),
            Int(microseconds % 1_000_000))
    }

    /// The time an identifier stands for, in microseconds since 1970; nil if `id` is not one.
    public static func microseconds(of id: String) -> Int64? {
        let bytes = Array(id.utf8)
        guard bytes.count == 22, bytes[8] == UInt8(ascii: "-"), bytes[15] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for b in bytes[range] {
                guard b >= 48 && b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
            let micros = number(16..<22), (1...12).contains(month), (1...31).contains(day), hour < 24,
            minute < 60, second < 61
        else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts))
        let value = seconds * 1_000_000 + Int64(micros)
        // Reject names that do not round-trip (31 February and the like).
        return format(microseconds: value) == id ? value : nil
    }
}
