import Foundation

/// Where the store's URLs come from: the flag, then the environment (`PARLOIR_DATABASE_URL`,
/// `PARLOIR_BLOBS_URL`), else nil for the embedded default under the data folder.
enum StoreURLs {
    static func database(_ flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        flag ?? environment["PARLOIR_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func blobs(_ flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        flag ?? environment["PARLOIR_BLOBS_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
