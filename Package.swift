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
            swiftSettings: swiftSettings
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
