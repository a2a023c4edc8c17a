import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import AudioQC
import ParloirCore

/// `GET /healthz` (the process answers), `GET /readyz` (the database and the blob store answer
/// and the disk has room, for a load balancer), `GET /metrics` (Prometheus text) and `GET /openapi.yaml`.
struct OperationsRoutes {
    let metrics: ServerMetrics
    let store: any ParloirStore
    let blobs: any BlobStore
    let disk: DiskRoom

    static let openAPI: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let data = try? Data(contentsOf: url) else { return Data() }
        return data
    }()

    func register(on router: Router<ParloirContext>) {
        router.get("healthz") { _, _ in try JSONResponse.make(["status": "ok"]) }
        router.get("readyz") { _, _ in await readiness() }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: Self.openAPI)))
        }
    }

    /// 200 when both stores answer within two seconds and the data directory has room, 503
    /// naming what is wrong otherwise.
    func readiness() async -> Response {
        async let database = Self.check { try await store.ping() }
        async let audio = Self.check { try await blobs.ping() }
        let (databaseProblem, blobProblem) = await (database, audio)
        let diskProblem = disk.shortage
        let ready = databaseProblem == nil && blobProblem == nil && diskProblem == nil
        let body = OrderedJSON.fields([
            "status": .string(ready ? "ready" : "not_ready"),
            "database": .string(databaseProblem ?? "ok"),
            "blobs": .string(blobProblem ?? "ok"),
            "disk": .string(diskProblem ?? "ok"),
        ])
        var response = JSONResponse.make(body, status: ready ? .ok : .serviceUnavailable)
        if !ready { response.headers[.retryAfter] = "5" }
        return response
    }

    /// Nil when `probe` succeeds within two seconds, else what went wrong.
    static func check(_ probe: @escaping @Sendable () async throws -> Void) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do { try await probe(); return nil } catch { return "\(error)" }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(2))
                return "no answer within 2 s"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
