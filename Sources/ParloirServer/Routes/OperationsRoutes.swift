import Foundation
import HTTPTypes
import NIOCore
import Hummingbird

/// `GET /healthz`, `GET /metrics` (Prometheus text) and `GET /openapi.yaml`.
struct OperationsRoutes {
    let metrics: ServerMetrics

    static let openAPI: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let data = try? Data(contentsOf: url) else { return Data() }
        return data
    }()

    func register(on router: Router<ParloirContext>) {
        router.get("healthz") { _, _ in try JSONResponse.make(["status": "ok"]) }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: Self.openAPI)))
        }
    }
}
