import Foundation
import OpenWorkJSON
import OpenWorkSidecars
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// `.tar.gz` and `.zip` assets: the binary is extracted from a verified archive; unsafe archives are refused
/// whole and leave nothing runnable.
struct ArchiveTests {
    typealias Tar = ArchiveBuilder.TarEntry
    typealias Zip = ArchiveBuilder.ZipEntry

    /// Serves `archive` as `asset` from a file manifest and resolves opencode.
    func resolve(_ archive: [UInt8], asset: String, fixture: SidecarFixture) async throws -> SidecarResolution {
        try await AssetServer.with { server in
            server.serve("/\(asset)", archive)
            let manifest = fixture.root.appending("manifest.json")
            try fixture.write(
                SidecarFixture.manifest(targets: ["linux-x64": SidecarFixture.target(asset, archive)]), to: manifest)
            return try await SidecarFixture.resolving(fixture.settings(manifest: manifest, base: server.baseURL)) {
                try await $0.resolve(.opencode)
            }
        }
    }

    @Test func tarGzipAndZipReleasesAreExtracted() async throws {
        let binary = SidecarFixture.script()
        let tar = ArchiveBuilder.gzip(
            ArchiveBuilder.tar([
                Tar(name: "opencode-linux-x64/", type: UInt8(ascii: "5")),
                Tar(name: "README", content: Array("hi".utf8)),
                Tar(name: "opencode-linux-x64/opencode", content: binary),
            ]))
        let zip = ArchiveBuilder.zip([
            Zip(name: "LICENSE", content: Array("mit".utf8)), Zip(name: "opencode", content: binary),
        ])
        for (archive, asset) in [(tar, "opencode-linux-x64.tar.gz"), (zip, "opencode-linux-x64.zip")] {
            let fixture = try SidecarFixture()
            let first = try await resolve(archive, asset: asset, fixture: fixture)
            #expect(first.path == fixture.sidecarDir + "/1.18.33/linux-x64/opencode")
            #expect(first.verified && first.downloaded && first.version == "1.18.33")
            #expect(FileManager.default.contents(atPath: first.path).map { [UInt8]($0) } == binary)
            #expect(access(first.path, X_OK) == 0)
            #expect(
                fixture.cacheFiles()
                    == [
                        "1.18.33/linux-x64/.opencode.sha256", "1.18.33/linux-x64/\(asset)",
                        "1.18.33/linux-x64/opencode",
                    ]
                    .sorted())
            // Cached: the archive and the extracted binary are both checked; a tampered binary is extracted again.
            try fixture.write(SidecarFixture.script(version: "6.6.6"), to: first.path, mode: 0o755)
            let second = try await resolve(archive, asset: asset, fixture: fixture)
            #expect(!second.downloaded && second.version == "1.18.33")
        }
    }

    static let malicious: [(String, [UInt8])] = {
        let binary = SidecarFixture.script()
        func tgz(_ entries: [Tar]) -> [UInt8] { ArchiveBuilder.gzip(ArchiveBuilder.tar(entries)) }
        /// One pax record: `"<length> <key>=<value>\n"`, the length counting itself.
        func pax(_ key: String, _ value: String) -> [UInt8] {
            let body = " \(key)=\(value)\n"
            var length = body.utf8.count + 1
            while String(length).utf8.count + body.utf8.count != length { length += 1 }
            return Array((String(length) + body).utf8)
        }
        return [
            ("tar ../", tgz([Tar(name: "../opencode", content: binary)])),
            ("tar nested ..", tgz([Tar(name: "a/../../x", content: binary), Tar(name: "opencode", content: binary)])),
            ("tar absolute", tgz([Tar(name: "/tmp/opencode", content: binary)])),
            ("tar symlink", tgz([Tar(name: "opencode", type: UInt8(ascii: "2"), linkName: "/bin/sh")])),
            (
                "tar hard link",
                tgz([Tar(name: "x", content: binary), Tar(name: "opencode", type: UInt8(ascii: "1"), linkName: "x")])
            ),
            (
                "tar char device",
                tgz([Tar(name: "opencode", content: binary), Tar(name: "null", type: UInt8(ascii: "3"))])
            ),
            (
                "tar block device",
                tgz([Tar(name: "sda", type: UInt8(ascii: "4")), Tar(name: "opencode", content: binary)])
            ),
            (
                "tar pax path ../",
                tgz([
                    Tar(name: "PaxHeader", type: UInt8(ascii: "x"), content: pax("path", "../opencode")),
                    Tar(name: "opencode", content: binary),
                ])
            ),
            (
                "tar pax symlink",
                tgz([
                    Tar(name: "PaxHeader", type: UInt8(ascii: "x"), content: pax("linkpath", "/bin/sh")),
                    Tar(name: "opencode", content: binary),
                ])
            ),
            (
                "tar GNU long name ../",
                tgz([
                    Tar(name: "././@LongLink", type: UInt8(ascii: "L"), content: Array("../../opencode".utf8) + [0]),
                    Tar(name: "opencode", content: binary),
                ])
            ),
            ("tar FIFO", tgz([Tar(name: "opencode", content: binary), Tar(name: "pipe", type: UInt8(ascii: "6"))])),
            ("zip ../", ArchiveBuilder.zip([Zip(name: "../opencode", content: binary)])),
            ("zip absolute", ArchiveBuilder.zip([Zip(name: "/opencode", content: binary)])),
            (
                "zip symlink",
                ArchiveBuilder.zip([Zip(name: "opencode", content: Array("/bin/sh".utf8), mode: 0o120777)])
            ),
            (
                "zip device",
                ArchiveBuilder.zip([Zip(name: "opencode", content: binary), Zip(name: "d", mode: 0o020644)])
            ),
        ]
    }()

    @Test(arguments: 0..<malicious.count)
    func maliciousArchivesAreRefusedWhole(index: Int) async throws {
        let (label, archive) = Self.malicious[index]
        let fixture = try SidecarFixture()
        let asset = label.hasPrefix("zip") ? "opencode-linux-x64.zip" : "opencode-linux-x64.tar.gz"
        let error = await resolutionError { _ = try await resolve(archive, asset: asset, fixture: fixture) }
        #expect(error?.code == .sidecarArchiveUnsafe, "\(label): \(error?.description ?? "accepted")")
        #expect(
            error?.message.contains("the archive was refused: entry") == true,
            "\(label): refused for the entry, not as unreadable")
        // The verified archive may stay in the cache (it matched its pin); nothing runnable was extracted.
        #expect(fixture.cacheFiles().allSatisfy { $0.hasSuffix(asset) }, "\(label): \(fixture.cacheFiles())")
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appending("opencode")))
    }

    @Test func corruptArchivesAreRefused() throws {
        let fixture = try SidecarFixture()
        let truncated = Array(
            ArchiveBuilder.gzip(ArchiveBuilder.tar([Tar(name: "opencode", content: SidecarFixture.script())])).dropLast(
                10))
        let path = fixture.root.appending("a.tar.gz")
        try fixture.write(truncated, to: path)
        #expect(throws: OpenWorkError.self) {
            try ArchiveExtractor.extract(path, kind: .tarGzip, member: "opencode", to: fixture.root.appending("out"))
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appending("out")))
        #expect(ArchiveExtractor.unsafeReason("a/b") == nil)
        #expect(ArchiveExtractor.unsafeReason("a/../b") != nil)
        #expect(ArchiveExtractor.unsafeReason("a\\b") != nil)
    }
}
