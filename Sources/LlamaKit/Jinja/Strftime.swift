import Foundation

/// Python's `datetime.strftime` in the C locale, for `strftime_now` (Llama 3.2 writes
/// `strftime_now("%d %b %Y")`, SmolLM3 `"%d %B %Y"`). Unknown directives are copied through.
enum Strftime {
    private static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let months = ["January", "February", "March", "April", "May", "June", "July", "August",
                                 "September", "October", "November", "December"]

    static func format(_ format: String, date: Date, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday, .nanosecond], from: date)
        let year = c.year ?? 1970
        let month = c.month ?? 1
        let day = c.day ?? 1
        let hour = c.hour ?? 0
        let minute = c.minute ?? 0
        let second = c.second ?? 0
        let weekday = (c.weekday ?? 1) - 1 // 0 = Sunday
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1

        func pad(_ n: Int, _ width: Int, _ noPad: Bool) -> String {
            let s = String(n)
            return noPad ? s : String(repeating: "0", count: max(0, width - s.count)) + s
        }

        var out = ""
        var chars = Array(format)[...]
        while let ch = chars.first {
            chars = chars.dropFirst()
            guard ch == "%", let next = chars.first else {
                out.append(ch)
                continue
            }
            chars = chars.dropFirst()
            var directive = next
            var noPad = false
            if directive == "-", let d = chars.first {
                noPad = true
                directive = d
                chars = chars.dropFirst()
            }
            switch directive {
            case "a": out += String(weekdays[weekday].prefix(3))
            case "A": out += weekdays[weekday]
            case "b", "h": out += String(months[month - 1].prefix(3))
            case "B": out += months[month - 1]
            case "d": out += pad(day, 2, noPad)
            case "e": out += noPad ? String(day) : (day < 10 ? " " : "") + String(day)
            case "m": out += pad(month, 2, noPad)
            case "y": out += pad(year % 100, 2, noPad)
            case "Y": out += String(year)
            case "H": out += pad(hour, 2, noPad)
            case "I": out += pad(hour % 12 == 0 ? 12 : hour % 12, 2, noPad)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "M": out += pad(minute, 2, noPad)
            case "S": out += pad(second, 2, noPad)
            case "f": out += pad((c.nanosecond ?? 0) / 1000, 6, false)
            case "j": out += pad(dayOfYear, 3, noPad)
            case "w": out += String(weekday)
            case "u": out += String(weekday == 0 ? 7 : weekday)
            case "F": out += "\(year)-\(pad(month, 2, false))-\(pad(day, 2, false))"
            case "D": out += "\(pad(month, 2, false))/\(pad(day, 2, false))/\(pad(year % 100, 2, false))"
            case "T": out += "\(pad(hour, 2, false)):\(pad(minute, 2, false)):\(pad(second, 2, false))"
            case "R": out += "\(pad(hour, 2, false)):\(pad(minute, 2, false))"
            case "Z": out += timeZone.abbreviation(for: date) ?? ""
            case "z":
                let offset = timeZone.secondsFromGMT(for: date)
                out += (offset < 0 ? "-" : "+") + pad(abs(offset) / 3600, 2, false) + pad(abs(offset) % 3600 / 60, 2, false)
            case "%": out += "%"
            case "n": out += "\n"
            case "t": out += "\t"
            default:
                out.append("%")
                if noPad { out.append("-") }
                out.append(directive)
            }
        }
        return out
    }
}
