/// Splits a server-sent-event body (the WHATWG `text/event-stream` format, as OpenAI
/// streams use it) into the `data` of each event, fed in whatever pieces the network
/// delivers.
///
/// Follows the specification's field rules: lines end in LF, CRLF or CR; a blank line
/// ends an event; `data:` lines of one event join with LF (one space after the colon is
/// dropped); `event:`, `id:`, `retry:` and `:` comment lines are read and ignored (OpenAI
/// servers put everything in `data`). An event without data lines is skipped.
struct ServerSentEventParser {
    /// A body that is not an event stream, or an event that is not what the stream should carry.
    struct Malformed: Error, CustomStringConvertible {
        var description: String

        init(description: String) { self.description = description }

        /// A line that is no server-sent-event field.
        init(line: String) {
            description = "a server-sent-event line is neither 'data: …' nor another field nor blank: '\(line.prefix(200))' "
                + "(is the server streaming? stream: true should answer text/event-stream)"
        }
    }

    private var pending: [UInt8] = []
    private var data: [String] = []
    private var sawCarriageReturn = false
    /// Longest line accepted, bytes: a body with no line breaks is not an event stream.
    private let maxLineBytes = 16 << 20

    /// Events completed by `bytes`, in order.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws(Malformed) -> [String] {
        var events: [String] = []
        for byte in bytes {
            if sawCarriageReturn {
                sawCarriageReturn = false
                if byte == 0x0A { continue }   // CRLF: the CR ended the line
            }
            if byte == 0x0A || byte == 0x0D {
                sawCarriageReturn = byte == 0x0D
                if let event = try endLine() { events.append(event) }
            } else {
                pending.append(byte)
                if pending.count > maxLineBytes { throw Malformed(line: String(decoding: pending.prefix(200), as: UTF8.self)) }
            }
        }
        return events
    }

    /// The last event when the body ended without a blank line after it.
    mutating func finish() throws(Malformed) -> [String] {
        var events: [String] = []
        if !pending.isEmpty, let event = try endLine() { events.append(event) }
        if let event = try endLine() { events.append(event) }
        return events
    }

    private mutating func endLine() throws(Malformed) -> String? {
        let line = String(decoding: pending, as: UTF8.self)
        pending.removeAll(keepingCapacity: true)
        if line.isEmpty {
            defer { data.removeAll() }
            return data.isEmpty ? nil : data.joined(separator: "\n")
        }
        if line.hasPrefix(":") { return nil }
        let name = line.prefix { $0 != ":" }
        var value = line.dropFirst(name.count)
        if value.hasPrefix(":") { value = value.dropFirst() }
        if value.hasPrefix(" ") { value = value.dropFirst() }
        switch name {
        case "data": data.append(String(value))
        case "event", "id", "retry": break
        default: throw Malformed(line: line)
        }
        return nil
    }
}
