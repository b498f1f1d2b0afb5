import Foundation

/// The global functions of transformers' chat-template environment: Jinja's `range`, `dict`,
/// `namespace`, `joiner` and `cycler`, plus transformers' `raise_exception` and `strftime_now`.
enum JinjaGlobals {
    static func make() -> [String: JinjaValue] {
        var globals: [String: JinjaValue] = [:]
        func add(_ name: String, _ body: @escaping (JinjaCallArguments, JinjaInterpreter) throws(JinjaError) -> JinjaValue) {
            globals[name] = .callable(JinjaCallable(name: name, call: body))
        }

        add("range") { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
            var bounds: [Int] = []
            for v in args.positional {
                guard let i = v.intValue else { throw interpreter.typeError("'\(v.typeName)' object cannot be interpreted as an integer", at: nil) }
                bounds.append(i)
            }
            let (start, stop, step): (Int, Int, Int)
            switch bounds.count {
            case 1: (start, stop, step) = (0, bounds[0], 1)
            case 2: (start, stop, step) = (bounds[0], bounds[1], 1)
            case 3: (start, stop, step) = (bounds[0], bounds[1], bounds[2])
            default: throw interpreter.typeError("range expected 1 to 3 arguments, got \(bounds.count)", at: nil)
            }
            guard step != 0 else { throw interpreter.typeError("range() arg 3 must not be zero", at: nil) }
            // Jinja's sandbox caps ranges too (MAX_RANGE); here the cap is the iteration limit.
            let span = step > 0 ? Double(stop) - Double(start) : Double(start) - Double(stop)
            let count = span <= 0 ? 0 : Int((span / Double(abs(step))).rounded(.up))
            guard count <= interpreter.options.maximumIterations else {
                throw JinjaError(.iterationLimit(interpreter.options.maximumIterations))
            }
            return .list((0 ..< count).map { .int(start + $0 * step) })
        }

        add("dict") { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
            var d = JinjaDict()
            if let first = args.positional.first {
                switch first {
                case let .dict(source): d = source
                default:
                    for pair in try interpreter.iterate(first, at: nil) {
                        guard let items = pair.sequence, items.count == 2 else {
                            throw interpreter.typeError("dictionary update sequence element has wrong length", at: nil)
                        }
                        d[items[0].pythonStr] = items[1]
                    }
                }
            }
            for (k, v) in args.keyword { d[k] = v }
            return .dict(d)
        }

        add("namespace") { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
            let ns = JinjaNamespace()
            if let first = args.positional.first {
                guard case let .dict(d) = first else { throw interpreter.typeError("namespace() takes a mapping", at: nil) }
                ns.attributes = d
            }
            for (k, v) in args.keyword {
                if k.hasPrefix("_") { throw JinjaError(.security("cannot store underscore-prefixed attribute '\(k)' on a namespace")) }
                ns.attributes[k] = v
            }
            return .namespace(ns)
        }

        add("raise_exception") { (args: JinjaCallArguments, _: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
            throw JinjaError(.raised(args.value(0, "message")?.pythonStr ?? ""))
        }

        add("strftime_now") { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
            guard case let .string(format)? = args.value(0, "format") else {
                throw interpreter.typeError("strftime_now() needs a format string", at: nil)
            }
            return .string(Strftime.format(format, date: interpreter.options.now(), timeZone: interpreter.options.timeZone))
        }

        add("joiner") { (args: JinjaCallArguments, _: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
            let separator = args.value(0, "sep")?.pythonStr ?? ", "
            let state = JinjaNamespace()
            return .callable(JinjaCallable(name: "joiner") { _, _ in
                if state.attributes["used"] == nil {
                    state.attributes["used"] = .bool(true)
                    return .string("")
                }
                return .string(separator)
            })
        }

        add("cycler") { (args: JinjaCallArguments, _: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
            // A dict-like object with `next()`, `current` and `reset()`, kept in a namespace.
            let items = args.positional
            let state = JinjaNamespace()
            state.attributes["position"] = .int(0)
            var object = JinjaDict()
            object["next"] = .callable(JinjaCallable(name: "next") { _, _ in
                guard !items.isEmpty else { return JinjaValue.none }
                let p = state.attributes["position"]?.intValue ?? 0
                state.attributes["position"] = .int((p + 1) % items.count)
                return items[p]
            })
            object["reset"] = .callable(JinjaCallable(name: "reset") { _, _ in
                state.attributes["position"] = .int(0)
                return JinjaValue.none
            })
            object["current"] = items.first ?? JinjaValue.none
            return .dict(object)
        }
        return globals
    }
}
