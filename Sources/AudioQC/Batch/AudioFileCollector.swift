import Foundation

/// Expands the paths given to `parloir analyze` into the files to examine.
///
/// A file named on the command line is always examined, whatever its name: a worker's upload
/// may have any extension. Folders are walked recursively, in sorted order, for files whose
/// extension is an audio one (so that a corpus folder's manifest and scripts are skipped).
public enum AudioFileCollector {
    /// Extensions taken from folders.
    public static let audioExtensions: Set<String> = [
        "wav", "wave", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff", "aifc", "au", "snd",
        "caf", "w64", "rf64", "m4a", "aac", "mp4", "webm", "wma", "amr", "3gp",
    ]

    /// The files under `paths`, or an error naming the first path that does not exist.
    public static func collect(_ paths: [String]) throws(CollectionError) -> [String] {
        var files: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CollectionError("no such file or folder: \(path)")
            }
            guard isDirectory.boolValue else { files.append(path); continue }
            guard let walker = manager.enumerator(atPath: path) else {
                throw CollectionError("cannot read the folder \(path)")
            }
            var found: [String] = []
            while let relative = walker.nextObject() as? String {
                let ext = (relative as NSString).pathExtension.lowercased()
                guard audioExtensions.contains(ext) else { continue }
                let full = (path as NSString).appendingPathComponent(relative)
                var childIsDirectory: ObjCBool = false
                if manager.fileExists(atPath: full, isDirectory: &childIsDirectory), !childIsDirectory.boolValue {
                    found.append(full)
                }
            }
            files.append(contentsOf: found.sorted())
        }
        return files
    }

    /// A path that cannot be examined.
    public struct CollectionError: Error, Sendable, CustomStringConvertible {
        public let message: String
        init(_ message: String) { self.message = message }
        public var description: String { message }
    }
}
