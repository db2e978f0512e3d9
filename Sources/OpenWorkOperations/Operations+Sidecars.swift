import OpenWorkCore
import OpenWorkJSON
import OpenWorkRPC
import OpenWorkSidecars
import OpenWorkSystem

extension Operations {
    private struct ResolveParams: Decodable {
        var name: String
        var source: String?
    }

    static let sidecarListSchema: JSONValue = object([
        "sidecarDir": string, "manifest": string, "target": nullable("string"), "allowExternal": boolean,
        "sidecars": array(
            object(
                [
                    "name": string, "source": string, "skipped": strings,
                    "from": ["enum": ["bundled", "downloaded", "external"]], "path": string,
                    "expectedVersion": nullable("string"), "verified": boolean, "cached": boolean, "url": string,
                    "wouldDownload": boolean, "origin": string,
                    "error": object(["message": string, "kind": string]),
                ],
                required: ["name", "source"])),
    ])

    /// `sidecar.list` and `sidecar.resolve`, served by the engine's ``SidecarResolver``.
    static func sidecarMethods(_ engine: Engine?) -> [RPCMethod] {
        @Sendable func need() throws(OpenWorkError) -> Engine {
            guard let engine else { throw OpenWorkError(.dataDirUnusable, "no engine is running") }
            return engine
        }
        let names = SidecarName.allCases.map { JSONValue.string($0.rawValue) }
        let sources = SidecarSource.allCases.map { JSONValue.string($0.rawValue) }
        return [
            RPCMethod(
                "sidecar.list",
                summary:
                    "For each sidecar: what would be used, from where (bundled, downloaded, external), which version, verified or not; downloads nothing.",
                result: RPCResultDescription("sidecars", schema: sidecarListSchema), decoding: NoParams.self
            ) { _ in try await need().sidecars.list() },
            RPCMethod(
                "sidecar.resolve",
                summary:
                    "Finds, downloads (sha256- and size-verified, cached) and version-checks one sidecar; `sidecar.progress` events report the download.",
                params: [
                    RPCParameter("name", "the sidecar", schema: ["enum": .array(names)]),
                    RPCParameter(
                        "source", "overrides the configured source", schema: ["enum": .array(sources)],
                        required: false),
                ],
                result: RPCResultDescription("resolution", schema: ref("SidecarResolution")),
                decoding: ResolveParams.self
            ) { params in
                guard let name = SidecarName(rawValue: params.name) else {
                    throw RPCError.invalidParams(
                        "name: unknown sidecar \(params.name.debugDescription); known: \(SidecarName.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                var source: SidecarSource?
                if let text = params.source {
                    guard let value = SidecarSource(rawValue: text) else {
                        throw RPCError.invalidParams("source: must be auto, bundled, downloaded or external")
                    }
                    source = value
                }
                return try await need().sidecars.resolve(name, source: source).json
            },
        ]
    }
}
