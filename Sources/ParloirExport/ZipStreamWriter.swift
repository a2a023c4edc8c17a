import CZlib
import Foundation

/// Writes a ZIP archive to a stream as its entries come, without knowing their sizes first and
/// without holding an entry whole: each is deflated as its bytes arrive, its CRC-32 and sizes
/// follow it in a data descriptor, and the central directory closes the archive.
///
/// Entries hold less than 4 GiB each (a take is capped far below that); the archive itself may
/// pass 4 GiB, in which case the central directory gets its ZIP64 records. Names are UTF-8.
/// One entry at a time: `beginEntry`, `write`…, `endEntry`; then `finish`.
public final class ZipStreamWriter: @unchecked Sendable {
    /// Where the archive's bytes go, in order.
    public typealias Output = @Sendable ([UInt8]) async throws -> Void

    private let output: Output
    private let dosTime: UInt16
    private let dosDate: UInt16
    private var written: UInt64 = 0
    private var pending: [UInt8] = []
    private var directory: [CentralEntry] = []
    private var entry: OpenEntry?
    /// The deflate stream of the open entry; C state that never leaves this file.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)

    /// Bytes gathered before they are handed to `output`.
    private static let flushSize = 1 << 16
    private static let sizeLimit = UInt64(UInt32.max)

    private struct CentralEntry {
        var name: [UInt8]
        var crc: UInt32
        var compressed: UInt64
        var size: UInt64
        var offset: UInt64
    }

    private struct OpenEntry {
        var name: [UInt8]
        var offset: UInt64
        var crc: UInt32
        var size: UInt64
        var compressedStart: UInt64
    }

    /// A writer whose entries are all dated `modified` (ZIP keeps local time to two seconds;
    /// this writes UTC).
    public init(modified: Date, output: @escaping Output) {
        self.output = output
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: modified)
        let year = min(max((parts.year ?? 1980) - 1980, 0), 127)
        dosDate = UInt16(year << 9 | (parts.month ?? 1) << 5 | (parts.day ?? 1))
        dosTime = UInt16((parts.hour ?? 0) << 11 | (parts.minute ?? 0) << 5 | (parts.second ?? 0) / 2)
        stream.initialize(to: z_stream())
    }

    deinit {
        if entry != nil { deflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Adds a whole entry.
    public func add(_ name: String, _ bytes: [UInt8], level: Int32 = Z_DEFAULT_COMPRESSION) async throws {
        try await beginEntry(name, level: level)
        try await write(bytes)
        try await endEntry()
    }

    /// Starts an entry at `level` (1 for audio, which deflate barely shrinks; the default for text).
    public func beginEntry(_ name: String, level: Int32 = Z_DEFAULT_COMPRESSION) async throws {
        guard entry == nil else { throw ExportError("the archive entry before \(name) was not ended") }
        let nameBytes = Array(name.utf8)
        guard parloir_deflate_init_raw(stream, level) == Z_OK else { throw ExportError("zlib cannot start a deflate stream") }
        entry = OpenEntry(name: nameBytes, offset: position, crc: 0, size: 0, compressedStart: 0)
        var header: [UInt8] = []
        header.append(le32: 0x0403_4B50)
        header.append(le16: 20)
        header.append(le16: Self.flags)
        header.append(le16: 8)
        header.append(le16: dosTime)
        header.append(le16: dosDate)
        header.append(le32: 0)
        header.append(le32: 0)
        header.append(le32: 0)
        header.append(le16: UInt16(nameBytes.count))
        header.append(le16: 0)
        header += nameBytes
        try await emit(header)
        entry?.compressedStart = position
    }

    /// Bit 3: the CRC and sizes follow the data; bit 11: the name is UTF-8.
    private static let flags: UInt16 = 0x0808

    /// Appends bytes to the open entry.
    public func write(_ bytes: [UInt8]) async throws {
        guard var open = entry else { throw ExportError("no archive entry is open") }
        guard !bytes.isEmpty else { return }
        open.crc = bytes.withUnsafeBufferPointer { UInt32(crc32(uLong(open.crc), $0.baseAddress, uInt($0.count))) }
        open.size += UInt64(bytes.count)
        guard open.size <= Self.sizeLimit else { throw ExportError("an archive entry cannot hold 4 GiB or more") }
        entry = open
        try await deflateInput(bytes, flush: Z_NO_FLUSH)
    }

    /// Ends the open entry: the rest of its deflate stream, then its data descriptor.
    public func endEntry() async throws {
        guard let open = entry else { throw ExportError("no archive entry is open") }
        try await deflateInput([], flush: Z_FINISH)
        deflateEnd(stream)
        entry = nil
        let compressed = position - open.compressedStart
        guard compressed <= Self.sizeLimit else { throw ExportError("an archive entry cannot hold 4 GiB or more") }
        var descriptor: [UInt8] = []
        descriptor.append(le32: 0x0807_4B50)
        descriptor.append(le32: open.crc)
        descriptor.append(le32: UInt32(compressed))
        descriptor.append(le32: UInt32(open.size))
        try await emit(descriptor)
        directory.append(CentralEntry(name: open.name, crc: open.crc, compressed: compressed, size: open.size, offset: open.offset))
    }

    /// Writes the central directory and hands over the last bytes.
    public func finish() async throws {
        guard entry == nil else { throw ExportError("the last archive entry was not ended") }
        let start = position
        var central: [UInt8] = []
        for item in directory {
            let far = item.offset >= Self.sizeLimit
            central.append(le32: 0x0201_4B50)
            central.append(le16: 3 << 8 | 45)
            central.append(le16: far ? 45 : 20)
            central.append(le16: Self.flags)
            central.append(le16: 8)
            central.append(le16: dosTime)
            central.append(le16: dosDate)
            central.append(le32: item.crc)
            central.append(le32: UInt32(item.compressed))
            central.append(le32: UInt32(item.size))
            central.append(le16: UInt16(item.name.count))
            central.append(le16: far ? 12 : 0)
            central.append(le16: 0)
            central.append(le16: 0)
            central.append(le16: 0)
            central.append(le32: 0o100644 << 16)
            central.append(le32: far ? UInt32.max : UInt32(item.offset))
            central += item.name
            if far {
                central.append(le16: 0x0001)
                central.append(le16: 8)
                central.append(le64: item.offset)
            }
            try await emit(central)
            central.removeAll(keepingCapacity: true)
        }
        let end = position
        let size = end - start
        var trailer: [UInt8] = []
        let count = UInt64(directory.count)
        if count >= 0xFFFF || start >= Self.sizeLimit || size >= Self.sizeLimit {
            trailer.append(le32: 0x0606_4B50)
            trailer.append(le64: 44)
            trailer.append(le16: 3 << 8 | 45)
            trailer.append(le16: 45)
            trailer.append(le32: 0)
            trailer.append(le32: 0)
            trailer.append(le64: count)
            trailer.append(le64: count)
            trailer.append(le64: size)
            trailer.append(le64: start)
            trailer.append(le32: 0x0706_4B50)
            trailer.append(le32: 0)
            trailer.append(le64: end)
            trailer.append(le32: 1)
        }
        trailer.append(le32: 0x0605_4B50)
        trailer.append(le16: 0)
        trailer.append(le16: 0)
        trailer.append(le16: UInt16(min(count, 0xFFFF)))
        trailer.append(le16: UInt16(min(count, 0xFFFF)))
        trailer.append(le32: UInt32(min(size, Self.sizeLimit)))
        trailer.append(le32: UInt32(min(start, Self.sizeLimit)))
        trailer.append(le16: 0)
        try await emit(trailer)
        try await flush()
    }

    /// Runs `bytes` through the open deflate stream and queues what comes out.
    private func deflateInput(_ bytes: [UInt8], flush mode: Int32) async throws {
        // Straight into the queue: no copy of the input, no array per call.
        var queued = pending
        pending = []
        let status = deflate(stream, bytes, mode: mode, chunk: &chunk) { queued.append(contentsOf: $0) }
        pending = queued
        let done = mode == Z_FINISH ? status == Z_STREAM_END : (status == Z_OK || status == Z_BUF_ERROR)
        guard done else { throw ExportError("zlib failed to compress an archive entry (code \(status))") }
        if pending.count >= Self.flushSize { try await flush() }
    }

    /// Where the next byte goes in the archive.
    private var position: UInt64 { written + UInt64(pending.count) }

    private func emit(_ bytes: [UInt8]) async throws {
        pending += bytes
        if pending.count >= Self.flushSize { try await flush() }
    }

    private func flush() async throws {
        guard !pending.isEmpty else { return }
        let bytes = pending
        pending.removeAll(keepingCapacity: true)
        written += UInt64(bytes.count)
        try await output(bytes)
    }
}

extension [UInt8] {
    fileprivate mutating func append(le16 value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    fileprivate mutating func append(le32 value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }

    fileprivate mutating func append(le64 value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { append(UInt8((value >> UInt64(shift)) & 0xFF)) }
    }
}
