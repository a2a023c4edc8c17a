import Foundation

/// A TCP connection to a test server on loopback, byte by byte: for clients that misbehave
/// (a head sent slowly, a body that stops) where an HTTP client library would not.
public final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    /// Connects to 127.0.0.1:`port`.
    public init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawConnectionError.failed("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw RawConnectionError.failed("connect: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    /// Sends `bytes`; false if the server closed the connection.
    @discardableResult
    public func send(_ bytes: Data) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let sent = Glibc.send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 && errno == EINTR { continue }
                guard sent > 0 else { return false }
                offset += sent
            }
            return true
        }
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    /// What the server sends until it closes the connection or `timeout` passes, and whether it closed.
    public func receive(timeout: Double) -> (data: Data, closed: Bool) {
        var data = Data()
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return (data, false) }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, remaining * 1000)))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return (data, false) }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return (data, true) }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    /// Sends the head of an upload of `length` bytes of WAV on `assignment` (and nothing of the
    /// body: the caller sends what it wants of it, when it wants).
    @discardableResult
    public func sendUploadHead(assignment: String, token: String, length: Int, extra: String = "") -> Bool {
        send("PUT /v1/assignments/\(assignment)/recording HTTP/1.1\r\nHost: parloir\r\nAuthorization: Bearer \(token)\r\n"
             + "Content-Type: audio/wav\r\nContent-Length: \(length)\r\n\(extra)\r\n")
    }

    /// `receive(timeout:)` on a thread of its own, so that waiting does not hold one of the few
    /// threads the server under test runs its handlers on.
    public func received(timeout: Double) async -> (data: Data, closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.receive(timeout: timeout)) }
        }
    }

    /// The status of the first response in `data` (`HTTP/1.1 408 …` → 408), if one is there.
    public static func status(of data: Data) -> Int? {
        let text = String(decoding: data.prefix(32), as: UTF8.self)
        let parts = text.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else { return nil }
        return Int(parts[1])
    }

    /// The JSON body of the first response in `data`, if it has one.
    public static func jsonBody(of data: Data) -> [String: Any]? {
        guard let split = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data[split.upperBound...])) as? [String: Any]
    }

    /// The value of header `name` in the first response in `data`.
    public static func header(_ name: String, in data: Data) -> String? {
        guard let split = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        for line in String(decoding: data[..<split.lowerBound], as: UTF8.self).split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}

public enum RawConnectionError: Error {
    case failed(String)
}
