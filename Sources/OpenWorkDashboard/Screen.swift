import CNCurses

/// A drawn frame: exactly `height` lines, each at most `width` columns, made of styled spans. Pure data, so
/// what the dashboard shows is tested as text; ``TerminalScreen`` puts it on the terminal.
public struct Screen: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var lines: [[Span]]

    /// The frame as plain text (styles dropped), one line per row, trailing spaces trimmed.
    public var text: String {
        lines.map { line in
            var row = line.map(\.text).joined()
            while row.last == " " { row.removeLast() }
            return row
        }.joined(separator: "\n")
    }
}

/// A run of text with one style.
public struct Span: Sendable, Equatable {
    public var text: String
    public var style: Style

    public init(_ text: String, _ style: Style = Style()) {
        self.text = text
        self.style = style
    }
}

/// How a span looks: a foreground colour and attributes.
public struct Style: Sendable, Equatable {
    public enum Colour: Int, Sendable, CaseIterable {
        case red = 1, green, yellow, blue, magenta, cyan
    }

    public var colour: Colour?
    public var bold = false
    public var dim = false
    public var reverse = false

    public init(colour: Colour? = nil, bold: Bool = false, dim: Bool = false, reverse: Bool = false) {
        self.colour = colour
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
    }

    public static let plain = Style()
    public static let bold = Style(bold: true)
    public static let dim = Style(dim: true)
    public static let reverse = Style(reverse: true)
}

/// Terminal column widths of text (wide characters take two, control characters are replaced by `?`).
enum TextWidth {
    static func of(_ character: Character) -> Int {
        var width = 0
        for scalar in character.unicodeScalars {
            let columns = Int(cncurses_wcwidth(scalar.value))
            width += max(0, columns)
        }
        return character.unicodeScalars.first.map { $0.value < 0x20 || $0.value == 0x7F } == true ? 1 : width
    }

    static func of(_ text: String) -> Int { text.reduce(0) { $0 + of($1) } }

    /// Printable text: control characters (tabs, escapes of a child's coloured output) become spaces or go.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        var result = ""
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            switch scalar.value {
            case 0x1B:
                // An ANSI escape sequence (CSI … final byte): dropped.
                if let next = scalars.next(), next == "[" {
                    while let part = scalars.next(), !(0x40...0x7E).contains(part.value) {}
                }
            case 0x09: result += "    "
            case 0..<0x20, 0x7F: continue
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// `text` cut to at most `columns` columns, ending in `…` when cut.
    static func truncate(_ text: String, to columns: Int) -> String {
        guard columns > 0 else { return "" }
        if of(text) <= columns { return text }
        var result = ""
        var used = 0
        for character in text {
            let width = of(character)
            if used + width > columns - 1 { break }
            result.append(character)
            used += width
        }
        return result + "…"
    }

    /// `text` cut from the left to at most `columns` columns, starting with `…` when cut (for paths).
    static func truncateLeading(_ text: String, to columns: Int) -> String {
        guard columns > 0 else { return "" }
        if of(text) <= columns { return text }
        var result = ""
        var used = 0
        for character in text.reversed() {
            let width = of(character)
            if used + width > columns - 1 { break }
            result.insert(character, at: result.startIndex)
            used += width
        }
        return "…" + result
    }

    /// `text` padded with spaces (or cut) to exactly `columns` columns.
    static func pad(_ text: String, to columns: Int) -> String {
        let cut = truncate(text, to: columns)
        return cut + String(repeating: " ", count: max(0, columns - of(cut)))
    }
}
