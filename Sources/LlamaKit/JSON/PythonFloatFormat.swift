/// Python's `repr(float)`: the shortest digits that round-trip, in fixed notation when the decimal
/// exponent is in `-4 ..< 16` and in exponent notation otherwise (`1e+16`, `1e-05`, `100000.0`).
///
/// Swift's `description` finds the same shortest digits but switches notation at other thresholds,
/// so the digits are taken from it and laid out again.
enum PythonFloatFormat {
    static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let (negative, digits, pointPosition) = shortestDigits(value)
        var out = negative ? "-" : ""
        // `pointPosition` is Python's `decpt`: value = 0.d1d2d3... × 10^decpt.
        if pointPosition <= -4 || pointPosition > 16 {
            out += String(digits.first ?? "0")
            if digits.count > 1 {
                out += "."
                out += digits.dropFirst()
            }
            let exponent = pointPosition - 1
            out += exponent < 0 ? "e-" : "e+"
            let magnitude = String(abs(exponent))
            out += magnitude.count < 2 ? "0" + magnitude : magnitude
        } else if pointPosition <= 0 {
            out += "0." + String(repeating: "0", count: -pointPosition) + digits
        } else if pointPosition < digits.count {
            let cut = digits.index(digits.startIndex, offsetBy: pointPosition)
            out += digits[..<cut] + "." + digits[cut...]
        } else {
            out += digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
        }
        return out
    }

    /// The sign, the significant digits without leading or trailing zeros, and the decimal point's
    /// position relative to the first digit, read from Swift's shortest round-trip description.
    private static func shortestDigits(_ value: Double) -> (Bool, String, Int) {
        var text = "\(value.magnitude)"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = parts.first.map(String.init) ?? ""
        let fractionPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = integerPart + fractionPart
        var pointPosition = integerPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        if digits.isEmpty { digits = "0" }
        return (value.sign == .minus, digits, pointPosition)
    }
}
