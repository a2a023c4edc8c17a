import Foundation
import ParloirCore

/// The live dashboard: fetches the report every two seconds (and when the campaign changes),
/// redraws on every key and resize, and gives the terminal back on exit. The report comes
/// from `fetch`, so this type knows nothing of HTTP.
public struct DashboardApp {
    public let campaigns: [CampaignChoice]
    public let initial: Int
    public let fetch: @Sendable (String) async throws -> CampaignReport
    /// Seconds between refreshes.
    public var interval: Double = 2

    public init(campaigns: [CampaignChoice], initial: Int, fetch: @escaping @Sendable (String) async throws -> CampaignReport) {
        self.campaigns = campaigns
        self.initial = initial
        self.fetch = fetch
    }

    public func run() async throws(TerminalError) {
        let terminal = try RawTerminal(fullScreen: true)
        defer { terminal.restore() }
        var state = DashboardState(campaigns: campaigns, campaignIndex: initial)
        var report: CampaignReport?
        var status: String?
        var fetched = Date.distantPast
        var dirty = true
        while !state.quit {
            if Date().timeIntervalSince(fetched) >= interval, let campaign = state.campaign {
                do {
                    report = try await fetch(campaign.id)
                    status = nil
                } catch {
                    status = "refresh failed: \(error)"
                }
                fetched = Date()
                dirty = true
            }
            if RawTerminal.takeResize() { dirty = true }
            if dirty {
                let size = RawTerminal.size()
                terminal.draw(DashboardView(report: report, state: state, status: status).render(width: size.width, height: size.height).lines(colored: true))
                dirty = false
            }
            if let key = terminal.readKey(timeout: 0.1) {
                if state.handle(key) {
                    report = nil
                    fetched = .distantPast
                }
                dirty = true
            }
        }
    }
}
