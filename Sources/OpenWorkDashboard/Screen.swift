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
        case red = 1
        case green, yellow, blue, magenta, cyan
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
        guard let first = character.unicodeScalars.first else { return 0 }
        if first.value < 0x7F { return 1 }
        // A character is one grapheme: its first scalar decides; combining marks after it take no column.
        switch first.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: return isWide(first.value) ? 2 : 1
        }
    }

    /// East Asian wide and fullwidth ranges (Unicode 15, the common blocks) and emoji: two columns.
    static func isWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
            0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            true
        default:
            false
        }
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
