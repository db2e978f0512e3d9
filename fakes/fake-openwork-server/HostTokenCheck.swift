/// Compares a presented token with the expected one in constant time (for the lengths seen).
struct HostTokenCheck: Sendable {
    let expected: [UInt8]

    init(_ token: String) { expected = Array(token.utf8) }

    func accepts(_ presented: String?) -> Bool {
        guard let presented, !expected.isEmpty else { return false }
        let given = Array(presented.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in 0..<expected.count {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }
}
