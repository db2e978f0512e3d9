// swift-tools-version: 6.1
import PackageDescription

/// One set of settings for every Swift target: Swift 6 mode and the upcoming features we hold ourselves to.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "openwork",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "openwork", targets: ["openwork"]),
        .library(name: "OpenWorkJSON", targets: ["OpenWorkJSON"]),
        .library(name: "OpenWorkRPC", targets: ["OpenWorkRPC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CJansson",
            path: "Sources/CJansson",
            pkgConfig: "jansson",
            providers: [.apt(["libjansson-dev"]), .brew(["jansson"])]
        ),
        .target(name: "CSystemShims", path: "Sources/CSystemShims"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CNCurses", path: "Sources/CNCurses", providers: [.apt(["libncurses-dev"]), .brew(["ncurses"])]),
        .target(
            name: "OpenWorkJSON",
            dependencies: ["CJansson"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenWorkRPC",
            dependencies: ["OpenWorkJSON", "CSystemShims"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenWorkSystem",
            dependencies: [
                "CSystemShims", "OpenWorkJSON",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenWorkLogging",
            dependencies: ["OpenWorkSystem", "OpenWorkJSON", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenWorkSidecars",
            dependencies: [
                "CZlib", "OpenWorkSystem", "OpenWorkLogging", "OpenWorkJSON",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenWorkCore",
            dependencies: [
                "CSystemShims",
                "OpenWorkSystem", "OpenWorkLogging", "OpenWorkSidecars", "OpenWorkJSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenWorkSandbox",
            dependencies: ["OpenWorkSystem", "OpenWorkJSON"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenWorkHost",
            dependencies: [
                "OpenWorkSandbox", "OpenWorkCore", "OpenWorkSystem", "OpenWorkLogging", "OpenWorkSidecars",
                "OpenWorkJSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenWorkDashboard",
            dependencies: [
                "CNCurses", "CSystemShims", "OpenWorkLogging", "OpenWorkSystem", "OpenWorkJSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenWorkOperations",
            dependencies: [
                "OpenWorkCore", "OpenWorkHost", "OpenWorkSystem", "OpenWorkLogging", "OpenWorkSidecars", "OpenWorkJSON",
                "OpenWorkRPC",
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenWorkClient",
            dependencies: [
                "OpenWorkCore",
                "OpenWorkSystem", "OpenWorkOperations", "OpenWorkRPC", "OpenWorkJSON", "CSystemShims",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenWorkDaemon",
            dependencies: [
                "OpenWorkCore", "OpenWorkHost", "OpenWorkOperations", "OpenWorkClient", "OpenWorkSystem",
                "OpenWorkLogging", "OpenWorkRPC", "OpenWorkJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "openwork",
            dependencies: [
                "OpenWorkClient", "OpenWorkLogging", "OpenWorkOperations", "OpenWorkSidecars", "OpenWorkSystem",
                "OpenWorkDaemon",
                "OpenWorkCore",
                "OpenWorkDashboard",
                "OpenWorkHost",
                "OpenWorkJSON",
                "OpenWorkRPC",
                "OpenWorkSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "openwork-bench",
            dependencies: [
                "OpenWorkSystem",
                "CJansson", "OpenWorkJSON", "OpenWorkRPC", "OpenWorkCore", "OpenWorkTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "openwork-bench-hello",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenWorkTesting",
            dependencies: ["OpenWorkSystem", "CSystemShims", "OpenWorkCore", "OpenWorkJSON", "OpenWorkRPC"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fake-opencode",
            dependencies: [
                "OpenWorkJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "fakes/fake-opencode",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HarnessKit",
            dependencies: [
                "OpenWorkClient", "OpenWorkSidecars", "OpenWorkSystem", "OpenWorkCore", "OpenWorkDaemon",
                "OpenWorkTesting", "OpenWorkJSON", "OpenWorkRPC",
            ],
            path: "Harness/HarnessKit",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "openwork-harness",
            dependencies: [
                "HarnessKit", "OpenWorkJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Harness/openwork-harness",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HarnessTests",
            dependencies: [
                "OpenWorkSystem",
                "HarnessKit", "OpenWorkTesting", "OpenWorkJSON", "openwork", "fake-opencode", "openwork-harness",
                "fake-openwork-server", "fake-opencode-router",
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FakeOpenCodeTests",
            dependencies: [
                "OpenWorkSystem",
                "OpenWorkTesting",
                "OpenWorkJSON",
                "fake-opencode",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OpenWorkSandboxTests",
            dependencies: ["OpenWorkSandbox", "OpenWorkSystem", "OpenWorkJSON", "OpenWorkTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OpenWorkHostTests",
            dependencies: [
                "OpenWorkHost", "OpenWorkClient", "OpenWorkCore", "OpenWorkSystem", "OpenWorkJSON", "OpenWorkTesting",
                "openwork",
                "fake-opencode", "fake-openwork-server", "fake-opencode-router",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OpenWorkDashboardTests",
            dependencies: [
                "OpenWorkDashboard", "OpenWorkLogging", "OpenWorkJSON", "OpenWorkSystem", "OpenWorkTesting", "openwork",
                "fake-opencode", "fake-openwork-server", "fake-opencode-router",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Golden"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OpenWorkJSONTests",
            dependencies: ["OpenWorkJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OpenWorkRPCTests",
            dependencies: ["OpenWorkRPC", "OpenWorkJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OpenWorkCoreTests",
            dependencies: [
                "OpenWorkLogging", "OpenWorkOperations", "OpenWorkSystem",
                "OpenWorkCore", "OpenWorkTesting", "OpenWorkRPC", "OpenWorkJSON",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OpenWorkDaemonTests",
            dependencies: [
                "OpenWorkClient", "OpenWorkLogging", "OpenWorkOperations", "OpenWorkSystem",
                "OpenWorkDaemon", "OpenWorkCore", "OpenWorkTesting", "OpenWorkRPC", "OpenWorkJSON", "openwork",
                "OpenWorkHost", "fake-opencode", "fake-openwork-server",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["Contract"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SidecarTests",
            dependencies: [
                "OpenWorkOperations", "OpenWorkRPC", "OpenWorkSidecars", "OpenWorkSystem",
                "OpenWorkCore", "OpenWorkTesting", "OpenWorkJSON", "fake-opencode", "openwork", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OpenWorkBenchTests",
            dependencies: ["openwork-bench", "openwork", "fake-opencode", "OpenWorkTesting", "OpenWorkJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OpenWorkEndToEndTests",
            dependencies: [
                "OpenWorkCore", "OpenWorkSystem", "OpenWorkTesting", "OpenWorkRPC", "OpenWorkJSON", "openwork",
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "FakeSupport", path: "fakes/FakeSupport", swiftSettings: swiftSettings),
        .executableTarget(
            name: "fake-openwork-server",
            dependencies: [
                "OpenWorkJSON", "FakeSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "fakes/fake-openwork-server",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fake-opencode-router",
            dependencies: [
                "OpenWorkJSON", "FakeSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "fakes/fake-opencode-router",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FakeOpenWorkServerTests",
            dependencies: [
                "OpenWorkSystem", "OpenWorkTesting", "OpenWorkJSON", "fake-opencode", "fake-openwork-server",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FakeOpenCodeRouterTests",
            dependencies: [
                "OpenWorkSystem", "OpenWorkTesting", "OpenWorkJSON", "fake-opencode", "fake-opencode-router",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ApprovalsTests",
            dependencies: [
                "OpenWorkSystem",
                "OpenWorkCore", "OpenWorkDaemon", "OpenWorkTesting", "OpenWorkRPC", "OpenWorkJSON", "openwork",
                "fake-opencode", "fake-openwork-server",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
