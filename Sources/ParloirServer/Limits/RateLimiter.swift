import Foundation
import ParloirCore

/// A token bucket's size: `burst` calls at once, refilled at `perMinute`.
public struct RateBudget: Sendable, Equatable {
    public var perMinute: Double
    public var burst: Double
    /// Calls refilled per second.
    var rate: Double { perMinute / 60 }

    public init(perMinute: Double, burst: Double) {
        self.perMinute = perMinute
        self.burst = burst
    }

    /// A budget of `perMinute` calls a minute, `burst` of them at once (by default a sixth of a
    /// minute's worth, at least one); zero or less means unlimited.
    public static func perMinute(_ perMinute: Double, burst: Double? = nil) -> RateBudget? {
        perMinute > 0 ? RateBudget(perMinute: perMinute, burst: max(1, burst ?? (perMinute / 6).rounded(.up))) : nil
    }
}

/// How fast one member token and one client address may call. Every budget is a token bucket;
/// nil is unlimited. Address budgets are wider than token ones: several workers may share an
/// address (a family's router, a workplace's NAT), while a token is one worker.
public struct RateLimits: Sendable {
    /// Uploads (`PUT …/recording`) per member token.
    public var memberUploads: RateBudget?
    /// Assignment requests (`POST …/assignments`) per member token.
    public var memberAssignments: RateBudget?
    /// Uploads per client address.
    public var addressUploads: RateBudget?
    /// Assignment requests per client address.
    public var addressAssignments: RateBudget?
    /// Requests refused for a missing or unknown token, per client address: once spent, the
    /// address's requests carrying a token are refused 429 before the token is even looked up.
    public var failedAuthentication: RateBudget?
    /// Peers whose `X-Forwarded-For` is believed (the load balancers in front of the replicas).
    public var trustedProxies: [IPNetwork]

    public init(memberUploads: RateBudget? = .perMinute(30),
                memberAssignments: RateBudget? = .perMinute(60),
                addressUploads: RateBudget? = .perMinute(600),
                addressAssignments: RateBudget? = .perMinute(1200),
                failedAuthentication: RateBudget? = .perMinute(10, burst: 20),
                trustedProxies: [IPNetwork] = []) {
        self.memberUploads = memberUploads
        self.memberAssignments = memberAssignments
        self.addressUploads = addressUploads
        self.addressAssignments = addressAssignments
        self.failedAuthentication = failedAuthentication
        self.trustedProxies = trustedProxies
    }

    /// No limit at all (load tests, a service behind a gateway that limits already).
    public static let unlimited = RateLimits(memberUploads: nil, memberAssignments: nil, addressUploads: nil,
                                             addressAssignments: nil, failedAuthentication: nil)
}

/// Token buckets by name and key, in memory: each replica limits what reaches it (behind a
/// least-connections balancer a client's calls spread over the replicas, so a budget holds per
/// replica). The table is bounded: past `capacity` keys, buckets that have refilled (and so
/// carry no information) are dropped, and if that is not enough the table starts again empty
/// (forgetting debts, never refusing a client for lack of room).
public final class RateLimiter: @unchecked Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
        /// Seconds an empty bucket takes to fill again under its budget.
        var refill: Double
    }

    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]
    private let capacity: Int

    public init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    /// Takes one call out of `key`'s bucket under `budget`: nil if allowed, otherwise the whole
    /// seconds until a call will be (the `Retry-After`).
    public func charge(_ key: String, _ budget: RateBudget, now: ContinuousClock.Instant = .now) -> Int? {
        lock.withLock {
            var bucket = buckets[key] ?? Bucket(tokens: budget.burst, updated: now, refill: budget.burst / budget.rate)
            bucket.tokens = Self.refilled(bucket, budget, now: now)
            bucket.updated = now
            defer {
                if buckets.count >= capacity, buckets[key] == nil { prune(now: now) }
                buckets[key] = bucket
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return Self.retryAfter(tokens: bucket.tokens, budget)
        }
    }

    /// Whether `key` has at least one call left under `budget`, without taking it.
    public func hasRoom(_ key: String, _ budget: RateBudget, now: ContinuousClock.Instant = .now) -> Int? {
        lock.withLock {
            guard let bucket = buckets[key] else { return nil }
            let tokens = Self.refilled(bucket, budget, now: now)
            return tokens >= 1 ? nil : Self.retryAfter(tokens: tokens, budget)
        }
    }

    /// Keys tracked now.
    public var count: Int { lock.withLock { buckets.count } }

    private func prune(now: ContinuousClock.Instant) {
        // A bucket idle for a whole refill of its own budget is full again: forgetting it
        // changes nothing.
        buckets = buckets.filter { (now - $0.value.updated).seconds < $0.value.refill }
        if buckets.count >= capacity { buckets.removeAll(keepingCapacity: true) }
    }

    /// The calls in `bucket` at `now`: what it held, refilled since, up to the burst.
    private static func refilled(_ bucket: Bucket, _ budget: RateBudget, now: ContinuousClock.Instant) -> Double {
        min(budget.burst, bucket.tokens + budget.rate * (now - bucket.updated).seconds)
    }

    /// Whole seconds until a bucket holding `tokens` has one call.
    private static func retryAfter(tokens: Double, _ budget: RateBudget) -> Int {
        max(1, Int(((1 - tokens) / budget.rate).rounded(.up)))
    }
}

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `::1`, `192.168.1.7`), to recognise trusted proxies.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    let address: [UInt8]
    let prefix: Int

    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; nil when it is neither.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let bytes = IPNetwork.bytes(of: first) else { return nil }
        let length = bytes.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : length
        guard let prefix, (0...length).contains(prefix) else { return nil }
        address = bytes
        self.prefix = prefix
    }

    /// Whether `text` (an address) lies in this network.
    public func contains(_ text: String) -> Bool {
        guard let other = IPNetwork.bytes(of: text), other.count == address.count else { return false }
        var remaining = prefix
        for index in address.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[index] & mask != other[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String {
        "\(IPNetwork.text(of: address))/\(prefix)"
    }

    /// The bytes of an IPv4 or IPv6 address (an IPv4-mapped IPv6 address as IPv4).
    static func bytes(of text: String) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        var v4 = in_addr()
        if inet_pton(AF_INET, trimmed, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, trimmed, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
            return bytes
        }
        return nil
    }

    static func text(of bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) } != nil
        return ok ? String(cString: buffer) : "?"
    }
}

/// The address of the client a request came from: the peer, or, when the peer is a trusted
/// proxy, the nearest address in `X-Forwarded-For` that is not one (a client cannot forge its
/// way past a proxy that appends what it saw).
enum ClientAddress {
    /// The key an address's budgets are kept under: the address itself for IPv4, its /64 for
    /// IPv6 (one subscriber holds a whole /64 and could otherwise take a new address per call).
    static func budgetKey(_ address: String) -> String {
        guard let bytes = IPNetwork.bytes(of: address), bytes.count == 16 else { return address }
        return IPNetwork.text(of: Array(bytes[0..<8]) + Array(repeating: 0, count: 8)) + "/64"
    }

    static func resolve(peer: String?, forwardedFor: [String], trusted: [IPNetwork]) -> String {
        guard let peer else { return "unknown" }
        guard !trusted.isEmpty, trusted.contains(where: { $0.contains(peer) }) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard IPNetwork.bytes(of: hop) != nil else { return peer }
            if !trusted.contains(where: { $0.contains(hop) }) { return hop }
        }
        return hops.first ?? peer
    }
}
