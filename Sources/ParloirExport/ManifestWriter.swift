import CZlib
import Crypto
import Foundation
import ParloirCore

/// Writes manifests (write to a temporary name, then rename) and the checksum list.
enum ManifestWriter {
    static func write(_ manifest: ManifestFile, root: String) throws {
        let path = root + "/" + manifest.path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let bytes = Data(manifest.text.utf8)
        let data = manifest.gzip ? try gzip(bytes) : bytes
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else { throw ExportError("cannot write \(manifest.path)") }
        guard rename(temporary, path) == 0 else { throw ExportError("cannot move \(manifest.path) into place") }
    }

    /// gzip at level 9 with no file name or time in the header, so equal text gives equal bytes.
    static func gzip(_ data: Data) throws -> Data {
        var stream = z_stream()
        guard parloir_deflate_init_gzip(&stream, 9) == Z_OK else { throw ExportError("zlib cannot start a gzip stream") }
        defer { deflateEnd(&stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let status = withUnsafeMutablePointer(to: &stream) { stream in
            deflate(stream, [UInt8](data), mode: Z_FINISH, chunk: &chunk) { output.append($0) }
        }
        guard status == Z_STREAM_END else { throw ExportError("zlib failed to compress (code \(status))") }
        return output
    }

    /// `SHA256SUMS` of every file under `root`, sorted by path, in `sha256sum -c`'s format;
    /// returns how many files it lists.
    static func writeChecksums(root: String) throws -> Int {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { throw ExportError("cannot list \(root)") }
        var paths: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                paths.append(path)
            }
        }
        paths.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var lines = ""
        for path in paths {
            guard let handle = FileHandle(forReadingAtPath: root + "/" + path) else { throw ExportError("cannot read \(path)") }
            defer { try? handle.close() }
            var hasher = SHA256()
            while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty { hasher.update(data: block) }
            lines += Identifiers.hex(hasher.finalize()) + "  " + path + "\n"
        }
        try write(ManifestFile(path: "SHA256SUMS", text: lines), root: root)
        return paths.count + 1
    }
}
