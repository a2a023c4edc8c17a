import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import ParloirCore

/// How long a connection may take over each part of its life, and how many may be open at once.
/// A phone on a bad network is slow but keeps moving; a client that stops sending is closed, so
/// that a few hundred stalled sockets cannot hold the service.
public struct ConnectionLimits: Sendable {
    /// A request head must arrive whole within this time of its first byte.
    public var headerTimeout: Duration
    /// Once a request head arrived, its body must not pause longer than this between bytes.
    public var bodyIdleTimeout: Duration
    /// A request's body must have arrived whole within this time after its head.
    public var uploadDeadline: Duration
    /// A connection that sends nothing (new, or between requests) is closed after this time.
    public var keepAliveTimeout: Duration
    /// Connections open at once; further ones wait in the listen backlog.
    public var maxConnections: Int
    /// Largest request head (request line and header fields), in bytes.
    public var maxHeaderBytes: Int
    /// On SIGTERM, requests still under way after this time are answered 503 (a body still
    /// arriving) or cut, so that the process stops within it.
    public var shutdownGrace: Duration

    public init(headerTimeout: Duration = .seconds(10), bodyIdleTimeout: Duration = .seconds(30),
                uploadDeadline: Duration = .seconds(300), keepAliveTimeout: Duration = .seconds(60),
                maxConnections: Int = 4096, maxHeaderBytes: Int = 16 << 10, shutdownGrace: Duration = .seconds(10)) {
        self.headerTimeout = headerTimeout
        self.bodyIdleTimeout = bodyIdleTimeout
        self.uploadDeadline = uploadDeadline
        self.keepAliveTimeout = keepAliveTimeout
        self.maxConnections = maxConnections
        self.maxHeaderBytes = maxHeaderBytes
        self.shutdownGrace = shutdownGrace
    }
}

/// Why a request's body stopped being read: the client went quiet, took too long, or the
/// service is stopping. Delivered to the route through the body stream, so the route answers
/// with this status and cleans up as for any failed upload.
struct RequestBodyDeadline: HTTPResponseError, CustomStringConvertible {
    enum Kind: Sendable { case idle, deadline, shutdown }
    let kind: Kind
    let after: Duration

    var status: HTTPResponse.Status { kind == .shutdown ? .serviceUnavailable : .requestTimeout }

    var parloirError: ParloirError {
        switch kind {
        case .idle:
            return ParloirError(status: 408, code: "body_timeout",
                                message: "no byte of the body arrived for \(Self.seconds(after)) s; nothing was kept, send the request again",
                                details: ["message_fr": "La connexion s'est interrompue pendant l'envoi. Rien n'a été gardé : renvoyez votre prise."])
        case .deadline:
            return ParloirError(status: 408, code: "upload_deadline",
                                message: "the body did not arrive whole within \(Self.seconds(after)) s; nothing was kept, send it again on a better connection",
                                details: ["message_fr": "L'envoi a pris trop de temps. Rien n'a été gardé : renvoyez votre prise avec une meilleure connexion."])
        case .shutdown:
            return ParloirError(status: 503, code: "shutting_down",
                                message: "the service is restarting; nothing was kept, send the request again in a few seconds",
                                details: ["message_fr": "Le service redémarre. Rien n'a été gardé : renvoyez votre prise dans quelques secondes."],
                                retryAfter: 5)
        }
    }

    var description: String { parloirError.description }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.error(parloirError)
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%g", duration.seconds)
    }
}

/// Enforces `ConnectionLimits`' times on one HTTP/1 connection, between the HTTP codec and the
/// request handling. It sees request parts as they are decoded and response parts as they are
/// written, and keeps one timer at a time:
/// - waiting for a head: the keep-alive timeout while the client sends nothing (a new connection,
///   or after a response), the header timeout once a head's first bytes arrived; when it fires
///   the connection is closed (no request is under way to answer);
/// - reading a body: the idle timeout (checked against the last body part) and the upload
///   deadline; when one fires, a `RequestBodyDeadline` error ends the body stream, so the route
///   answers 408 and discards what it had, and the connection is closed after that answer;
/// - on the server's quiesce event (SIGTERM), a request still under way after the shutdown grace
///   gets the same treatment with 503, and whatever remains is closed a moment later.
/// A response written while more than a megabyte of its request's body is still unread (413 on a
/// declared size, 401 or 408 on an upload) carries `Connection: close` and closes the connection,
/// so the rest of the body is never read.
final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    enum Phase { case awaitingHead, readingBody, responding }

    private let limits: ConnectionLimits
    private var phase = Phase.awaitingHead
    private var timer: Scheduled<Void>?
    private var started = false
    private var headArrived = NIODeadline.now()
    private var lastBodyPart = NIODeadline.now()
    private var closeAfterResponse = false
    private var bodyEnded = false
    /// The current request's declared `Content-Length`, if any.
    private var declaredLength: Int?
    /// An unread body up to this size is read and dropped after an early answer, so the
    /// connection stays usable; a larger or unsized one closes the connection instead.
    static let drainLimit = 1 << 20
    /// How long the rest of an unread body is read and dropped after an early answer.
    static let lingeringClose = TimeAmount.seconds(2)
    private var shuttingDown = false
    /// Whether bytes of the next head have arrived since the last response.
    private var headBegun = false
    private var context: ChannelHandlerContext?
    private var watcher: FirstBytesWatcher?
    /// Set on SIGTERM for a request under way; no phase change cancels it.
    private var shutdownTimer: Scheduled<Void>?
    /// Set while the client does not read what is written (the channel is not writable).
    private var stallTimer: Scheduled<Void>?
    /// Since when the request handling has been asking for body bytes that have not come
    /// (nil while it is busy elsewhere: its own slowness is not the client's idleness).
    private var askingSince: NIODeadline?
    /// The answer was written while the request's (small) body still arrives, to be read and dropped.
    private var answeredEarly = false

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // Bytes are watched before the HTTP decoder: a head that has begun to arrive is on the
        // header timeout, while a connection that has sent nothing yet is merely idle.
        let watcher = FirstBytesWatcher(deadlines: self)
        self.watcher = watcher
        try? context.pipeline.syncOperations.addHandler(watcher, position: .first)
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelAllTimers()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelAllTimers()
        context.fireChannelInactive()
    }

    private func cancelAllTimers() {
        cancelTimer()
        shutdownTimer?.cancel()
        shutdownTimer = nil
        stallTimer?.cancel()
        stallTimer = nil
    }

    /// A client that stops reading what it asked for (its window full, the outbound buffer over
    /// its high mark) holds the connection for at most the body timeout.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallTimer?.cancel()
            stallTimer = nil
        } else if stallTimer == nil {
            stallTimer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: TimeAmount(limits.bodyIdleTimeout)) { [self] in
                stallTimer = nil
                if !context.channel.isWritable { context.close(promise: nil) }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if askingSince == nil { askingSince = .now() }
        context.read()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        schedule(context, in: limits.keepAliveTimeout)
    }

    /// Bytes arrived from the client: if they begin a head, the head has the header timeout.
    fileprivate func bytesArrived() {
        guard phase == .awaitingHead, !headBegun, !shuttingDown, let context else { return }
        headBegun = true
        schedule(context, in: limits.headerTimeout)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            phase = .readingBody
            headBegun = false
            bodyEnded = false
            declaredLength = head.headerFields[.contentLength].flatMap { Int($0) }
            answeredEarly = false
            askingSince = nil
            headArrived = .now()
            lastBodyPart = headArrived
            schedule(context, in: min(limits.bodyIdleTimeout, limits.uploadDeadline))
        case .body:
            lastBodyPart = .now()
            askingSince = nil
        case .end:
            bodyEnded = true
            if answeredEarly {
                // The rest of a body answered early has been read and dropped: the connection
                // is ready for the next request.
                answeredEarly = false
                phase = .awaitingHead
                schedule(context, in: limits.keepAliveTimeout)
            } else if phase == .readingBody {
                phase = .responding
                cancelTimer()
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            // Answered before a large body was read (or during shutdown): the connection is not
            // reused, since reading the rest of the body to reach the next request is not worth it.
            let largeUnread = !bodyEnded && (declaredLength.map { $0 > Self.drainLimit } ?? true)
            if closeAfterResponse || largeUnread || shuttingDown || head.headerFields[.connection]?.lowercased() == "close" {
                closeAfterResponse = true
                head.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            if closeAfterResponse {
                cancelTimer()
                // A lingering close: the answer is followed by our FIN, and what the client still
                // sends is read and dropped for a moment before the socket closes. Closing at once
                // with unread bytes would make the kernel reset the connection, and a client still
                // sending its body would lose the answer (the 413 or 507 telling it why).
                let lingering = bodyEnded ? TimeAmount.zero : Self.lingeringClose
                let watcher = self.watcher
                context.writeAndFlush(data).whenComplete { _ in
                    guard lingering > .zero else { return context.close(promise: nil) }
                    context.close(mode: .output, promise: nil)
                    // Read and drop here, whether or not the request handling still reads.
                    watcher?.drain()
                    context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: lingering) { context.close(promise: nil) }
                }
                promise?.succeed()
                return
            }
            if bodyEnded {
                phase = .awaitingHead
                schedule(context, in: limits.keepAliveTimeout)
            } else {
                // A small body still arriving after an early answer is read and dropped under
                // the body's own timers, not taken for the start of the next head.
                answeredEarly = true
            }
            context.write(data, promise: promise)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, !shuttingDown {
            shuttingDown = true
            // An idle connection is closed by the server's own quiesce handling; a request under
            // way has the grace to finish, whatever it does meanwhile.
            if phase != .awaitingHead {
                shutdownTimer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: TimeAmount(limits.shutdownGrace)) { [self] in
                    shutdownTimer = nil
                    guard context.channel.isActive else { return }
                    if phase == .readingBody && !answeredEarly {
                        endBody(context, RequestBodyDeadline(kind: .shutdown, after: limits.shutdownGrace))
                    } else {
                        context.close(promise: nil)
                    }
                }
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func schedule(_ context: ChannelHandlerContext, in delay: Duration) {
        cancelTimer()
        let loop = context.eventLoop.assumeIsolatedUnsafeUnchecked()
        timer = loop.scheduleTask(in: TimeAmount(delay)) { [self] in
            timer = nil
            fire(context)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    private func fire(_ context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        switch phase {
        case .awaitingHead:
            context.close(promise: nil)
        case .readingBody:
            let now = NIODeadline.now()
            let deadline = headArrived + TimeAmount(limits.uploadDeadline)
            // Idle only while the request handling asks for bytes that do not come.
            let idleUntil = askingSince.map { max($0, lastBodyPart) + TimeAmount(limits.bodyIdleTimeout) }
                ?? now + TimeAmount(limits.bodyIdleTimeout)
            if now >= deadline {
                endBody(context, RequestBodyDeadline(kind: .deadline, after: limits.uploadDeadline))
            } else if now >= idleUntil {
                endBody(context, RequestBodyDeadline(kind: .idle, after: limits.bodyIdleTimeout))
            } else {
                schedule(context, in: Duration(min(deadline, idleUntil) - now))
            }
        case .responding:
            break
        }
    }

    /// Ends the request body with `error` (the route answers with it) and closes the connection
    /// shortly after if the answer does not come.
    private func endBody(_ context: ChannelHandlerContext, _ error: RequestBodyDeadline) {
        phase = .responding
        closeAfterResponse = true
        context.fireErrorCaught(error)
        let loop = context.eventLoop.assumeIsolatedUnsafeUnchecked()
        timer = loop.scheduleTask(in: .seconds(1)) { context.close(promise: nil) }
    }
}

/// Tells the deadline handler when bytes arrive, ahead of the HTTP decoder (which says nothing
/// until a head is whole), and drops what arrives during a lingering close.
private final class FirstBytesWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private weak var deadlines: ConnectionDeadlineHandler?
    private var context: ChannelHandlerContext?
    /// Set for a lingering close: bytes are read and dropped here, unseen by the decoder.
    private var draining = false

    init(deadlines: ConnectionDeadlineHandler) {
        self.deadlines = deadlines
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Reads and drops whatever the client still sends (the socket then closes without a reset
    /// that would lose the answer just written).
    func drain() {
        draining = true
        context?.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if draining {
            context.read()
            return
        }
        deadlines?.bytesArrived()
        context.fireChannelRead(data)
    }
}
