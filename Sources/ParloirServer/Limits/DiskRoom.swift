import Foundation
import ParloirCore

/// Free space where the service writes (uploads are staged in the data directory, and the
/// embedded store keeps its database and audio there): below the minimum, `/readyz` says not
/// ready and uploads are refused 507 before their body is read, rather than failing half-way.
struct DiskRoom: Sendable {
    let path: String
    let minimumFreeBytes: Int64

    /// Bytes available to the service at `path`, nil if the file system cannot be asked.
    var freeBytes: Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    /// Nil when there is room, else what is wrong, in a sentence.
    var shortage: String? {
        guard minimumFreeBytes > 0, let free = freeBytes, free < minimumFreeBytes else { return nil }
        return "\(free >> 20) MB free in \(path), below the minimum of \(minimumFreeBytes >> 20) MB"
    }
}
