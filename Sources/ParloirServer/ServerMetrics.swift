import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import Prometheus

/// Prometheus metrics of one server: uploads, verdicts and reasons, bytes stored, request latency.
/// Each server owns its registry (no global bootstrap), so that tests can run several servers.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let bytesStored: Gauge
    private let uploadedBytes: Counter
    private let analysesWaiting: Gauge
    private let waitingAnalyses: @Sendable () -> Int

    /// `waitingAnalyses` tells, when metrics are read, how many uploads wait for an analysis thread.
    init(storedBytes: Int, waitingAnalyses: @escaping @Sendable () -> Int = { 0 }) {
        bytesStored = registry.makeGauge(descriptor: Self.name("parloir_stored_bytes", "Bytes of audio stored in the blob folder."))
        uploadedBytes = registry.makeCounter(descriptor: Self.name("parloir_upload_bytes_total", "Bytes of audio accepted for storage."))
        analysesWaiting = registry.makeGauge(descriptor: Self.name("parloir_analysis_waiting_uploads", "Uploads waiting for an analysis thread."))
        self.waitingAnalyses = waitingAnalyses
        bytesStored.set(Double(storedBytes))
    }

    func recordUpload(verdict: String, reasons: [String], bytes: Int) {
        registry.makeCounter(descriptor: Self.name("parloir_uploads_total", "Takes uploaded, by verdict."), labels: [("verdict", verdict)]).increment()
        for code in Set(reasons) {
            registry.makeCounter(descriptor: Self.name("parloir_reasons_total", "Reasons found on takes, by code."), labels: [("code", code)]).increment()
        }
        uploadedBytes.increment(by: Int64(bytes))
        bytesStored.increment(by: Double(bytes))
    }

    func recordRefusedUpload(code: String) {
        registry.makeCounter(descriptor: Self.name("parloir_refused_uploads_total", "Uploads refused before storage, by error code."), labels: [("code", code)]).increment()
    }

    func recordRateLimited(budget: String, scope: String) {
        registry.makeCounter(descriptor: Self.name("parloir_rate_limited_total", "Requests refused 429, by budget and by whose budget it was (member or address)."),
                             labels: [("budget", budget), ("scope", scope)]).increment()
    }

    func recordRequest(method: String, route: String, status: Int, seconds: Double) {
        registry.makeDurationHistogram(
            descriptor: Self.name("parloir_http_request_duration_seconds", "Request latency by route."),
            labels: [("method", method), ("route", route), ("status", String(status))],
            buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)]
        ).recordNanoseconds(Int64(seconds * 1e9))
    }

    /// A descriptor from a full metric name whose last word is its unit (`…_bytes`, `…_total`, `…_seconds`).
    private static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        let split = name.range(of: "_", options: .backwards)!
        return MetricNameDescriptor(metricName: String(name[..<split.lowerBound]), unitName: String(name[split.upperBound...]), helpText: help)
    }

    /// The metrics in Prometheus text format.
    func exposition() -> String {
        analysesWaiting.set(Double(waitingAnalyses()))
        return registry.emitToString()
    }
}

/// Times every request into `ServerMetrics`, labelled by route pattern rather than concrete path.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = ParloirContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: ParloirContext, next: (Request, ParloirContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let seconds = elapsed.seconds
        metrics.recordRequest(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                              status: Int(response.status.code), seconds: seconds)
        return response
    }
}
