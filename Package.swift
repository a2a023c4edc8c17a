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
    ],
    targets: [
        .systemLibrary(
            name: "CSndFile",
            pkgConfig: "sndfile",
            providers: [.apt(["libsndfile1-dev"]), .brew(["libsndfile"])]
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
            dependencies: ["AudioQC"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "parloir",
            dependencies: [
                "AudioQC",
                "ParloirTerminal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AudioQCTests",
            dependencies: ["AudioQC"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParloirTerminalTests",
            dependencies: ["ParloirTerminal", "AudioQC"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParloirCLITests",
            dependencies: ["parloir"],
            swiftSettings: swiftSettings
        ),
    ]
)
