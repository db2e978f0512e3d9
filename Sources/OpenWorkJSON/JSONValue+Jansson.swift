internal import CJansson

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension JSONValue {
    /// Parses one JSON text (any value, not only objects and arrays) from UTF-8 bytes.
    ///
    /// - Throws: ``JSONError`` with a stable ``JSONError/Kind``.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(JSONError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw JSONError(.emptyInput, "empty input: expected a JSON value", line: 1, column: 0, position: 0)
        }
        var error = json_error_t()
        let flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL
        guard let root = json_loadb(base.assumingMemoryBound(to: CChar.self), bytes.count, Int(flags), &error) else {
            throw JSONError(loading: error)
        }
        defer { cjansson_decref(root) }
        self = try JSONValue(jansson: root, depth: 0)
    }

    /// Parses one JSON text from UTF-8 bytes.
    public init(parsing bytes: some Collection<UInt8>) throws(JSONError) {
        let parsed: Result<JSONValue, JSONError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONError) in try JSONValue(parsing: UnsafeRawBufferPointer(buffer)) }
        }
        let result =
            parsed
            ?? Array(bytes).withUnsafeBytes { buffer in
                Result { () throws(JSONError) in try JSONValue(parsing: buffer) }
            }
        self = try result.get()
    }

    /// Parses one JSON text.
    public init(parsing text: String) throws(JSONError) {
        var text = text
        let result = text.withUTF8 { buffer in
            Result { () throws(JSONError) in try JSONValue(parsing: UnsafeRawBufferPointer(buffer)) }
        }
        self = try result.get()
    }

    /// Serializes this value as UTF-8 bytes, with no trailing newline.
    ///
    /// - Throws: ``JSONError/Kind/notEncodable`` for NaN or infinity, ``JSONError/Kind/tooDeep`` past
    ///   ``maximumDepth``.
    public func serializedBytes(_ format: JSONFormat = .compact) throws(JSONError) -> [UInt8] {
        var digits = 1
        let root = try makeJansson(depth: 0, realDigits: &digits)
        defer { cjansson_decref(root) }
        var flags = Int(JSON_ENCODE_ANY) | cjansson_real_precision(Int32(digits))
        switch format {
        case .compact: flags |= Int(JSON_COMPACT)
        case .canonical: flags |= Int(JSON_COMPACT | JSON_SORT_KEYS)
        case .pretty: flags |= Int(JSON_SORT_KEYS) | cjansson_indent(2)
        }
        var output = OutputBuffer()
        let status = withUnsafeMutablePointer(to: &output) { pointer in
            json_dump_callback(root, appendToOutputBuffer, pointer, flags)
        }
        guard status == 0 else { throw JSONError(.notEncodable, "jansson could not serialize the value") }
        return output.bytes
    }

    /// Serializes this value as a string, with no trailing newline.
    public func serialized(_ format: JSONFormat = .compact) throws(JSONError) -> String {
        String(decoding: try serializedBytes(format), as: UTF8.self)
    }
}

/// Where `json_dump_callback` appends its output.
private struct OutputBuffer {
    var bytes: [UInt8] = []
}

private func appendToOutputBuffer(_ buffer: UnsafePointer<CChar>?, _ size: Int, _ data: UnsafeMutableRawPointer?)
    -> Int32
{
    guard let buffer, let data else { return -1 }
    let output = data.assumingMemoryBound(to: OutputBuffer.self)
    buffer.withMemoryRebound(to: UInt8.self, capacity: size) { bytes in
        output.pointee.bytes.append(contentsOf: UnsafeBufferPointer(start: bytes, count: size))
    }
    return 0
}

extension JSONError {
    fileprivate init(loading error: json_error_t) {
        var error = error
        let text = withUnsafeBytes(of: &error.text) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let kind: Kind =
            switch json_error_code(rawValue: UInt32(cjansson_error_code(&error))) {
            case json_error_invalid_utf8: .invalidUTF8
            case json_error_duplicate_key: .duplicateKey
            case json_error_numeric_overflow: .numberOutOfRange
            case json_error_stack_overflow: .tooDeep
            case json_error_null_byte_in_key: .nulInKey
            case json_error_premature_end_of_input where error.position == 0: .emptyInput
            default: .syntax
            }
        self.init(kind, text, line: Int(error.line), column: Int(error.column), position: Int(error.position))
    }
}

extension JSONValue {
    /// Converts a jansson tree into a value. Recursion is bounded by ``maximumDepth``.
    fileprivate init(jansson json: UnsafeMutablePointer<json_t>, depth: Int) throws(JSONError) {
        switch cjansson_typeof(json) {
        case JSON_NULL:
            self = .null
        case JSON_TRUE:
            self = .bool(true)
        case JSON_FALSE:
            self = .bool(false)
        case JSON_INTEGER:
            self = .integer(json_integer_value(json))
        case JSON_REAL:
            self = .double(json_real_value(json))
        case JSON_STRING:
            self = .string(Self.string(json_string_value(json), count: json_string_length(json)))
        case JSON_ARRAY:
            guard depth < Self.maximumDepth else { throw .nestedTooDeep }
            let count = json_array_size(json)
            var elements: [JSONValue] = []
            elements.reserveCapacity(count)
            for index in 0..<count {
                guard let element = json_array_get(json, index) else { continue }
                elements.append(try JSONValue(jansson: element, depth: depth + 1))
            }
            self = .array(elements)
        case JSON_OBJECT:
            guard depth < Self.maximumDepth else { throw .nestedTooDeep }
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(json_object_size(json))
            var iterator = json_object_iter(json)
            while let current = iterator {
                let key = Self.string(json_object_iter_key(current), count: json_object_iter_key_len(current))
                if let member = json_object_iter_value(current) {
                    members[key] = try JSONValue(jansson: member, depth: depth + 1)
                }
                iterator = json_object_iter_next(json, current)
            }
            self = .object(members)
        default:
            self = .null
        }
    }

    private static func string(_ pointer: UnsafePointer<CChar>?, count: Int) -> String {
        guard let pointer else { return "" }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: count) { bytes in
            String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
        }
    }

    /// Builds a jansson tree (owned by the caller) and tracks how many significant digits the reals need.
    ///
    /// jansson prints every real with one precision per document; asking for the fewest digits that let each
    /// real round-trip keeps `0.1` as `0.1` instead of `0.10000000000000001`.
    fileprivate func makeJansson(depth: Int, realDigits: inout Int) throws(JSONError) -> UnsafeMutablePointer<json_t> {
        let made: UnsafeMutablePointer<json_t>?
        switch self {
        case .null:
            made = json_null()
        case .bool(let value):
            made = value ? json_true() : json_false()
        case .integer(let value):
            made = json_integer(value)
        case .double(let value):
            guard value.isFinite else {
                throw JSONError(.notEncodable, "\(value) cannot be encoded as JSON (NaN and infinity are not JSON)")
            }
            realDigits = max(realDigits, Self.significantDigits(value))
            made = json_real(value)
        case .string(let value):
            made = value.withCString { json_stringn_nocheck($0, value.utf8.count) }
        case .array(let elements):
            guard depth < Self.maximumDepth else { throw .nestedTooDeep }
            guard let array = json_array() else { throw .outOfMemory }
            for element in elements {
                let child: UnsafeMutablePointer<json_t>
                do {
                    child = try element.makeJansson(depth: depth + 1, realDigits: &realDigits)
                } catch {
                    cjansson_decref(array)
                    throw error
                }
                json_array_append_new(array, child)
            }
            made = array
        case .object(let members):
            guard depth < Self.maximumDepth else { throw .nestedTooDeep }
            guard let object = json_object() else { throw .outOfMemory }
            for (key, member) in members {
                guard !key.utf8.contains(0) else {
                    cjansson_decref(object)
                    throw JSONError(.nulInKey, "object keys cannot contain NUL (\\u0000)")
                }
                let child: UnsafeMutablePointer<json_t>
                do {
                    child = try member.makeJansson(depth: depth + 1, realDigits: &realDigits)
                } catch {
                    cjansson_decref(object)
                    throw error
                }
                _ = key.withCString { json_object_setn_new_nocheck(object, $0, key.utf8.count, child) }
            }
            made = object
        }
        guard let made else { throw .outOfMemory }
        return made
    }

    /// The number of significant decimal digits in the shortest representation that round-trips.
    private static func significantDigits(_ value: Double) -> Int {
        var count = 0
        var leading = true
        for character in value.description.utf8 {
            if character == UInt8(ascii: "e") || character == UInt8(ascii: "E") { break }
            guard character >= UInt8(ascii: "0"), character <= UInt8(ascii: "9") else { continue }
            if leading && character == UInt8(ascii: "0") { continue }
            leading = false
            count += 1
        }
        return min(max(count, 1), 17)
    }
}

extension JSONError {
    fileprivate static let nestedTooDeep = JSONError(
        .tooDeep,
        "nesting deeper than \(JSONValue.maximumDepth) levels of arrays and objects"
    )
    fileprivate static let outOfMemory = JSONError(.notEncodable, "jansson could not allocate a value")
}
