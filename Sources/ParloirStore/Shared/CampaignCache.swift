import Foundation
import ParloirCore

/// Campaigns by id, shared by the store's callers.
final class CampaignCache: @unchecked Sendable {
    private let lock = NSLock()
    private var campaigns: [String: Campaign] = [:]

    subscript(id: String) -> Campaign? {
        get { lock.withLock { campaigns[id] } }
        set { lock.withLock { campaigns[id] = newValue } }
    }
}
