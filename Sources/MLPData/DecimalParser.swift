/// Numbers read straight from bytes, without making a `String` per cell.
///
/// The fast path reads sign, digits, fraction and exponent into an integer mantissa and a
/// power of ten and, when the mantissa fits in 53 bits and the power is at most 10^22 (both
/// exact in `Double`), computes the one correctly rounded `Double` with a single multiply or
/// divide (Clinger's fast path). That covers every value a data file normally holds
/// (`0`, `255`, `0.5`, `-1.25e-3`). Anything else (more than 19 significant digits, large
/// exponents, `nan`, `inf`, hexadecimal) goes to the standard library's correctly rounded
/// parser. Values then become `Float` by rounding the `Double`.
enum DecimalParser {
    /// The number spelled by `bytes[start ..< end]` exactly (no surrounding spaces), or nil
    /// when it is not a number. `nan`, `inf` and out-of-range values parse (as NaN or ±inf);
    /// the caller decides what is allowed.
    @inline(__always)
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Double? {
        var i = start
        guard i < end else { return nil }
        var negative = false
        if bytes[i] == UInt8(ascii: "-") {
            negative = true
            i &+= 1
        } else if bytes[i] == UInt8(ascii: "+") {
            i &+= 1
        }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        var sawDigit = false
        var exact = true  // false once a significant digit did not fit in the mantissa

        while i < end {
            let digit = bytes[i] &- UInt8(ascii: "0")
            if digit > 9 { break }
            sawDigit = true
            if significantDigits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                if mantissa != 0 { significantDigits &+= 1 }
            } else {
                exact = false
            }
            i &+= 1
        }
        if i < end && bytes[i] == UInt8(ascii: ".") {
            i &+= 1
            while i < end {
                let digit = bytes[i] &- UInt8(ascii: "0")
                if digit > 9 { break }
                sawDigit = true
                if significantDigits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    if mantissa != 0 { significantDigits &+= 1 }
                    exponent &-= 1
                } else {
                    exact = false
                }
                i &+= 1
            }
        }
        if sawDigit && i < end && bytes[i] | 0x20 == UInt8(ascii: "e") {
            i &+= 1
            var exponentNegative = false
            if i < end && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i &+= 1
            }
            var written = 0
            var sawExponentDigit = false
            while i < end {
                let digit = bytes[i] &- UInt8(ascii: "0")
                if digit > 9 { break }
                sawExponentDigit = true
                // Beyond ±100000 the value is 0 or infinite anyway; stop growing.
                if written < 100_000 { written = written &* 10 &+ Int(digit) }
                i &+= 1
            }
            if !sawExponentDigit { return slowParse(bytes, from: start, to: end) }
            exponent &+= exponentNegative ? -written : written
        }
        guard sawDigit, i == end, exact else { return slowParse(bytes, from: start, to: end) }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        guard mantissa <= 1 << 53, exponent >= -22, exponent <= 22 else {
            return slowParse(bytes, from: start, to: end)
        }
        let magnitude =
            exponent < 0
            ? Double(mantissa) / powerOfTen(-exponent) : Double(mantissa) * powerOfTen(exponent)
        return negative ? -magnitude : magnitude
    }

    /// 10^n for n in 0...22, each exact in `Double`.
    @inline(__always)
    private static func powerOfTen(_ n: Int) -> Double {
        switch n {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }

    /// The standard library's parser, for what the fast path does not take.
    private static func slowParse(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Double? {
        Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
    }
}
