// swift-tools-version: 6.0
import PackageDescription

// Agora has no package dependencies: only the toolchain (Foundation, Dispatch,
// Synchronization, XCTest/Swift Testing) and libhiredis through a system-library target.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Agora",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "agora", targets: ["Node"]),
        .library(name: "Bus", targets: ["Bus"]),
        .library(name: "Agents", targets: ["Agents"]),
        .library(name: "Orchestrator", targets: ["Orchestrator"]),
    ],
    targets: [
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"]), .brew(["hiredis"])]
        ),
        .target(name: "Bus", dependencies: ["CHiredis"], swiftSettings: strict),
        .target(name: "Agents", dependencies: ["Bus"], swiftSettings: strict),
        .target(name: "Orchestrator", dependencies: ["Bus", "Agents"], swiftSettings: strict),
        .executableTarget(
            name: "Node",
            dependencies: ["Bus", "Agents", "Orchestrator"],
            swiftSettings: strict
        ),
        // How tests wait (timeouts, polling, blocking work off the pool): one place to get right.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "BusTests", dependencies: ["Bus", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "AgentsTests", dependencies: ["Agents", "Bus", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "OrchestratorTests", dependencies: ["Orchestrator", "Agents", "Bus", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "NodeTests", dependencies: ["Node", "Orchestrator", "Agents", "Bus", "TestSupport"], swiftSettings: strict),
    ]
)
