/// Decodes `Decodable` types from a ``JSONValue`` without going through text.
///
/// Numbers convert only when exact (`1.0` decodes as `Int` 1, `1.5` does not); `Double` accepts integers.
/// Unknown object members are ignored, as Swift's synthesized `Decodable` does.
public struct JSONValueDecoder: Sendable {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        if let direct = value as? T { return direct }
        return try T(from: JSONValueDecoding(value: value, codingPath: []))
    }
}

struct JSONValueDecoding: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw mismatch([String: JSONValue].self, expected: "object")
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([JSONValue].self, expected: "array") }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValue(decoder: self) }

    func mismatch(_ type: Any.Type, expected: String) -> DecodingError {
        .typeMismatch(
            type,
            .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(value.typeName)")
        )
    }

    func decodeScalar<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is Bool.Type:
            if let value = value.boolValue, let result = value as? T { return result }
            throw mismatch(type, expected: "boolean")
        case is String.Type:
            if let value = value.stringValue, let result = value as? T { return result }
            throw mismatch(type, expected: "string")
        case is Double.Type:
            if let value = value.doubleValue, let result = value as? T { return result }
            throw mismatch(type, expected: "number")
        case is Float.Type:
            if let value = value.doubleValue, let result = Float(value) as? T { return result }
            throw mismatch(type, expected: "number")
        default:
            if let integer = try decodeInteger(type) { return integer }
            if let direct = value as? T { return direct }
            return try T(from: self)
        }
    }

    private func decodeInteger<T>(_ type: T.Type) throws -> T? {
        guard let integerType = type as? any FixedWidthInteger.Type else { return nil }
        guard let whole = value.int64Value else { throw mismatch(type, expected: "integer") }
        guard let converted = integerType.init(exactly: whole) as? T else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath, debugDescription: "\(whole) does not fit in \(integerType)")
            )
        }
        return converted
    }

    private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: JSONValue]
        let codingPath: [any CodingKey]
        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

        func decodeNil(forKey key: Key) throws -> Bool { (members[key.stringValue] ?? .null) == .null }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            guard let member = members[key.stringValue] else {
                throw DecodingError.keyNotFound(
                    key,
                    .init(codingPath: codingPath, debugDescription: "no member \"\(key.stringValue)\"")
                )
            }
            return try JSONValueDecoding(value: member, codingPath: codingPath + [key]).decodeScalar(type)
        }

        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            guard let member = members[key.stringValue], member != .null else { return nil }
            return try JSONValueDecoding(value: member, codingPath: codingPath + [key]).decodeScalar(type)
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type,
            forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try child(key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try child(key).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder {
            JSONValueDecoding(value: members["super"] ?? .null, codingPath: codingPath)
        }

        func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }

        private func child(_ key: Key) throws -> JSONValueDecoding {
            guard let member = members[key.stringValue] else {
                throw DecodingError.keyNotFound(
                    key,
                    .init(codingPath: codingPath, debugDescription: "no member \"\(key.stringValue)\"")
                )
            }
            return JSONValueDecoding(value: member, codingPath: codingPath + [key])
        }
    }

    private struct UnkeyedContainer: UnkeyedDecodingContainer {
        let elements: [JSONValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        init(elements: [JSONValue], codingPath: [any CodingKey]) {
            self.elements = elements
            self.codingPath = codingPath
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, elements[currentIndex] == .null else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let decoder = try next()
            return try decoder.decodeScalar(type)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try next().unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder { try next() }

        private mutating func next() throws -> JSONValueDecoding {
            let path = codingPath + [IndexKey(currentIndex)]
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(
                    JSONValue.self,
                    .init(codingPath: path, debugDescription: "array has only \(elements.count) elements")
                )
            }
            defer { currentIndex += 1 }
            return JSONValueDecoding(value: elements[currentIndex], codingPath: path)
        }
    }

    private struct SingleValue: SingleValueDecodingContainer {
        let decoder: JSONValueDecoding
        var codingPath: [any CodingKey] { decoder.codingPath }

        func decodeNil() -> Bool { decoder.value == .null }

        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeScalar(type) }
    }
}

/// A coding key for an array position.
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { intValue.map(String.init) ?? "" }

    init(_ index: Int) { intValue = index }
    init?(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}
