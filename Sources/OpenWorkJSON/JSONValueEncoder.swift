/// Encodes `Encodable` types into a ``JSONValue`` without going through text.
///
/// `nil` optionals are left out of objects (Swift's synthesized `encodeIfPresent`); non-finite doubles are
/// accepted here and refused later, when the value is serialized.
public struct JSONValueEncoder: Sendable {
    public init() {}

    public func encode(_ value: some Encodable) throws -> JSONValue {
        if let direct = value as? JSONValue { return direct }
        let encoding = JSONValueEncoding(storage: Slot(), codingPath: [])
        try value.encode(to: encoding)
        return encoding.storage.resolved
    }
}

/// One place a value will be written: a leaf, or an object or array whose children are slots too.
final class Slot {
    enum Content {
        case pending
        case value(JSONValue)
        case object([String: Slot])
        case array([Slot])
    }

    var content: Content = .pending

    var value: JSONValue {
        get { resolved }
        set { content = .value(newValue) }
    }

    var resolved: JSONValue {
        switch content {
        case .pending: return .object([:])
        case .value(let value): return value
        case .object(let members): return .object(members.mapValues(\.resolved))
        case .array(let elements): return .array(elements.map(\.resolved))
        }
    }

    func member(_ key: String) -> Slot {
        var members: [String: Slot] = [:]
        if case .object(let existing) = content { members = existing }
        let slot = members[key] ?? Slot()
        members[key] = slot
        content = .object(members)
        return slot
    }

    func makeObject() {
        if case .object = content { return }
        content = .object([:])
    }

    func makeArray() {
        if case .array = content { return }
        content = .array([])
    }

    func append() -> Slot {
        var elements: [Slot] = []
        if case .array(let existing) = content { elements = existing }
        let slot = Slot()
        elements.append(slot)
        content = .array(elements)
        return slot
    }

    var count: Int {
        if case .array(let elements) = content { return elements.count }
        return 0
    }
}

struct JSONValueEncoding: Encoder {
    let storage: Slot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        storage.makeObject()
        return KeyedEncodingContainer(KeyedContainer<Key>(storage: storage, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        storage.makeArray()
        return UnkeyedContainer(storage: storage, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValue(encoder: self) }

    /// Writes `value` into `slot`, turning scalars into JSON directly.
    static func write<T: Encodable>(_ value: T, into slot: Slot, codingPath: [any CodingKey]) throws {
        if let scalar = scalar(value) {
            slot.value = scalar
        } else {
            try value.encode(to: JSONValueEncoding(storage: slot, codingPath: codingPath))
        }
    }

    private static func scalar(_ value: some Encodable) -> JSONValue? {
        switch value {
        case let value as JSONValue: return value
        case let value as Bool: return .bool(value)
        case let value as String: return .string(value)
        case let value as Double: return .double(value)
        case let value as Float: return .double(Double(value))
        case let value as any FixedWidthInteger:
            guard let exact = Int64(exactly: value) else { return .double(Double(value)) }
            return .integer(exact)
        default: return nil
        }
    }

    private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let storage: Slot
        let codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) throws { storage.member(key.stringValue).value = .null }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try JSONValueEncoding.write(value, into: storage.member(key.stringValue), codingPath: codingPath + [key])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type,
            forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            JSONValueEncoding(storage: storage.member(key.stringValue), codingPath: codingPath + [key])
                .container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            JSONValueEncoding(storage: storage.member(key.stringValue), codingPath: codingPath + [key])
                .unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            JSONValueEncoding(storage: storage.member("super"), codingPath: codingPath)
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            JSONValueEncoding(storage: storage.member(key.stringValue), codingPath: codingPath + [key])
        }
    }

    private struct UnkeyedContainer: UnkeyedEncodingContainer {
        let storage: Slot
        let codingPath: [any CodingKey]
        var count: Int { storage.count }

        mutating func encodeNil() throws { storage.append().value = .null }

        mutating func encode<T: Encodable>(_ value: T) throws {
            let path = codingPath + [IndexKey(count)]
            try JSONValueEncoding.write(value, into: storage.append(), codingPath: path)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type
        ) -> KeyedEncodingContainer<NestedKey> {
            let path = codingPath + [IndexKey(count)]
            return JSONValueEncoding(storage: storage.append(), codingPath: path).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let path = codingPath + [IndexKey(count)]
            return JSONValueEncoding(storage: storage.append(), codingPath: path).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            JSONValueEncoding(storage: storage.append(), codingPath: codingPath + [IndexKey(count)])
        }
    }

    private struct SingleValue: SingleValueEncodingContainer {
        let encoder: JSONValueEncoding
        var codingPath: [any CodingKey] { encoder.codingPath }

        mutating func encodeNil() throws { encoder.storage.value = .null }

        mutating func encode<T: Encodable>(_ value: T) throws {
            try JSONValueEncoding.write(value, into: encoder.storage, codingPath: codingPath)
        }
    }
}
