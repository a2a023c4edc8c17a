// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Parloir",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "parloir", targets: ["parloir"]),
        .library(name: "AudioQC", targets: ["AudioQC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSndFile",
            pkgConfig: "sndfile",
            providers: [.apt(["libsndfile1-dev"]), .brew(["libsndfile"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .target(
            name: "ParloirExport",
            dependencies: [
                "ParloirCore", "AudioQC", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CFFTW3",
            pkgConfig: "fftw3f",
            providers: [.apt(["libfftw3-dev"]), .brew(["fftw"])]
        ),
        .target(
            name: "AudioQC",
            dependencies: ["CSndFile", "CFFTW3"],
            // The DSP loops touch buffers owned by classes once per sample or frame; dynamic
            // exclusivity checks cost a tenth of the analysis time there. AudioQC's objects are
            // confined to one analysis (handed over whole between threads, never shared).
            swiftSettings: swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        .target(
            name: "ParloirTerminal",
            dependencies: ["AudioQC", "ParloirCore", "Transcripts"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Transcripts",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ParloirCore",
            dependencies: [
                "AudioQC",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ParloirStore",
            dependencies: [
                "ParloirCore",
                "Transcripts",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ParloirServer",
            dependencies: [
                "AudioQC",
                "Transcripts",
                "ParloirCore",
                "ParloirStore",
                "ParloirExport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Resources/openapi.yaml"), .copy("Resources/web")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ParloirClient",
            dependencies: ["ParloirCore"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "parloir",
            dependencies: [
                "AudioQC",
                "ParloirTerminal",
                "ParloirCore",
                "ParloirServer",
                "ParloirClient",
                "ParloirExport",
                "ParloirStore",
                "Transcripts",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CraftedAudio",
            path: "Tests/CraftedAudio",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ParloirTestServers",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/ParloirTestServers",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AudioQCTests",
            dependencies: ["AudioQC", "Transcripts", "CraftedAudio"],
            // Inputs the fuzz regression tests read from the source tree (scripts/fuzz.sh adds to them).
            exclude: ["FuzzRegressions"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParloirTerminalTests",
            dependencies: ["ParloirTerminal", "AudioQC", "ParloirCore", "Transcripts"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TranscriptsTests",
            dependencies: ["Transcripts"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParloirCoreTests",
            dependencies: ["ParloirCore", "AudioQC"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParloirServerTests",
            dependencies: [
                "ParloirServer",
                "ParloirStore",
                "ParloirCore",
                "AudioQC",
                "CraftedAudio",
                "ParloirTestServers",
                "ParloirExport",
                "CZlib",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParloirStoreTests",
            dependencies: [
                "ParloirStore",
                "ParloirCore",
                "AudioQC",
                "Transcripts",
                "ParloirTestServers",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParloirCLITests",
            dependencies: ["parloir", "ParloirTestServers"],
            swiftSettings: swiftSettings
        ),
    ]
)
