import CZlib

/// Runs `input` through the open deflate `stream` with the flush `mode`, handing each piece of
/// output (at most `chunk.count` bytes) to `sink`; returns zlib's last status. With `Z_FINISH` it
/// runs until the stream ends; otherwise until deflate has taken all the input and left output
/// room. The gzip manifests and the archive entries share it.
func deflate(_ stream: UnsafeMutablePointer<z_stream>, _ input: [UInt8], mode: Int32, chunk: inout [UInt8],
             into sink: (UnsafeBufferPointer<UInt8>) -> Void) -> Int32 {
    input.withUnsafeBufferPointer { source in
        // zlib reads through next_in and never writes it.
        stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
        stream.pointee.avail_in = uInt(source.count)
        defer { stream.pointee.next_in = nil }
        var result: Int32 = Z_OK
        repeat {
            result = chunk.withUnsafeMutableBufferPointer { buffer in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(buffer.count)
                let code = CZlib.deflate(stream, mode)
                sink(UnsafeBufferPointer(rebasing: buffer[0..<(buffer.count - Int(stream.pointee.avail_out))]))
                return code
            }
        } while result == Z_OK && (mode == Z_FINISH || stream.pointee.avail_out == 0)
        return result
    }
}
