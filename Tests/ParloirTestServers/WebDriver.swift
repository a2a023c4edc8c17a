import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1

/// A failure of the browser or of the WebDriver conversation, said in a sentence.
public struct WebDriverError: Error, CustomStringConvertible, Sendable {
    /// The W3C error code (`no such element`, `timeout`, `javascript error`…) or one of ours.
    public let code: String
    public let message: String
    public var description: String { "WebDriver \(code): \(message)" }

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// Headless Chromium driven over the W3C WebDriver protocol (plain HTTP and JSON), through a
/// `chromedriver` of its own on a free loopback port: one browser session per value. The HTTP
/// client is AsyncHTTPClient: Foundation's URLSession on Linux fails chromedriver's answers with
/// "Failed writing header".
///
///     let browser = try await Browser.start()
///     try await browser.open("http://127.0.0.1:\(port)/")
///     let status = try await browser.waitFor("[data-testid=status]", text: "Service disponible")
///     await browser.quit()     // also when the test failed (chromedriver outlives the test otherwise)
///
/// The test command (`scripts/lib/chromium.sh`) names the binaries in `PARLOIR_TEST_CHROMEDRIVER`
/// and `PARLOIR_TEST_CHROMIUM`; without the first, `Browser.isAvailable` is false.
public final class Browser: @unchecked Sendable {
    /// `PARLOIR_TEST_CHROMEDRIVER`: the chromedriver binary.
    public static let chromedriver = ProcessInfo.processInfo.environment["PARLOIR_TEST_CHROMEDRIVER"].flatMap { $0.isEmpty ? nil : $0 }
    /// `PARLOIR_TEST_CHROMIUM`: the browser binary; chromedriver looks for one itself when unset.
    public static let chromium = ProcessInfo.processInfo.environment["PARLOIR_TEST_CHROMIUM"].flatMap { $0.isEmpty ? nil : $0 }
    /// Whether the browser tests can run here.
    public static var isAvailable: Bool { chromedriver != nil }

    /// The key under which WebDriver names an element (W3C WebDriver §12, "web element identifier").
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    private let driver: Process
    private let base: String
    private let session: String
    private let http: HTTPClient
    private let timeout: TimeAmount
    private let lock = NSLock()
    private var quitted = false

    private init(driver: Process, base: String, session: String, http: HTTPClient, timeout: TimeAmount) {
        self.driver = driver
        self.base = base
        self.session = session
        self.http = http
        self.timeout = timeout
    }

    /// Starts chromedriver and a headless Chromium session. `fakeAudioCapture` is a WAV file the
    /// fake microphone plays (looped) instead of its beep; `arguments` are more Chromium switches.
    public static func start(fakeAudioCapture: String? = nil, arguments: [String] = [], timeout: Double = 30) async throws -> Browser {
        guard let chromedriver else { throw WebDriverError("unavailable", "PARLOIR_TEST_CHROMEDRIVER is not set (source scripts/lib/chromium.sh and run ensure_chromium)") }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let limit = TimeAmount.milliseconds(Int64(timeout * 1000))
        // chromedriver binds the port we name, which another process may take in between: try a few.
        var lastError: any Error = WebDriverError("unavailable", "chromedriver did not start")
        for _ in 0..<3 {
            let port = TestServers.freePort()
            let driver = Process()
            driver.executableURL = URL(fileURLWithPath: chromedriver)
            driver.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1", "--log-level=OFF"]
            driver.standardInput = FileHandle.nullDevice
            driver.standardOutput = FileHandle.nullDevice
            driver.standardError = FileHandle.nullDevice
            do {
                try driver.run()
            } catch {
                try? await http.shutdown()
                throw error
            }
            let base = "http://127.0.0.1:\(port)"
            do {
                try await waitUntilReady(base, driver: driver, http: http, within: .seconds(10))
                let session = try await createSession(base, http: http, timeout: limit, fakeAudioCapture: fakeAudioCapture, arguments: arguments)
                return Browser(driver: driver, base: base, session: session, http: http, timeout: limit)
            } catch {
                lastError = error
                await stop(driver)
            }
        }
        try? await http.shutdown()
        throw lastError
    }

    /// Kills chromedriver and waits for it to be gone. SIGKILL, since a process started from a
    /// service that handles SIGTERM itself (ServiceLifecycle sets it to be ignored, and children
    /// inherit that) never dies of SIGTERM; and a poll, since `waitUntilExit` spins a run loop on Linux.
    private static func stop(_ driver: Process) async {
        guard driver.isRunning else { return }
        kill(driver.processIdentifier, SIGKILL)
        for _ in 0..<200 where driver.isRunning {
            try? await Task.sleep(for: .milliseconds(25))
        }
    }

    private static func waitUntilReady(_ base: String, driver: Process, http: HTTPClient, within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            guard driver.isRunning else { throw WebDriverError("unavailable", "chromedriver exited at start (status \(driver.terminationStatus))") }
            if let value = try? await send("GET", base + "/status", nil, http: http, timeout: .seconds(1)) as? [String: Any],
               value["ready"] as? Bool == true {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw WebDriverError("timeout", "chromedriver did not answer on \(base) within \(limit)")
    }

    private static func createSession(_ base: String, http: HTTPClient, timeout: TimeAmount, fakeAudioCapture: String?, arguments: [String]) async throws -> String {
        var args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                    "--no-first-run", "--no-default-browser-check", "--window-size=1280,900"]
        if let fakeAudioCapture { args.append("--use-file-for-fake-audio-capture=\(fakeAudioCapture)") }
        args += arguments
        var options: [String: Any] = ["args": args]
        if let chromium { options["binary"] = chromium }
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": ["browser": "ALL"],
            "timeouts": ["script": 30_000, "pageLoad": 30_000, "implicit": 0],
        ] as [String: Any]]]
        let value = try await send("POST", base + "/session", capabilities, http: http, timeout: timeout)
        guard let id = (value as? [String: Any])?["sessionId"] as? String else {
            throw WebDriverError("session not created", "no session id in \(value)")
        }
        return id
    }

    /// One WebDriver command: the response's `value`, or its error as a `WebDriverError`.
    private static func send(_ method: String, _ url: String, _ body: [String: Any]?, http: HTTPClient, timeout: TimeAmount) async throws -> Any {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: timeout)
        let data = Data(try await response.body.collect(upTo: 64 << 20).readableBytesView)
        let object = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as? [String: Any]
        let value = object?["value"] ?? NSNull()
        guard (200..<300).contains(response.status.code) else {
            let error = value as? [String: Any]
            throw WebDriverError(error?["error"] as? String ?? "http \(response.status.code)",
                                 (error?["message"] as? String).map { $0.split(separator: "\n").first.map(String.init) ?? $0 }
                                     ?? String(decoding: data.prefix(500), as: UTF8.self))
        }
        return value
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any {
        try await Self.send(method, "\(base)/session/\(session)/\(path)", body ?? (method == "POST" ? [:] : nil), http: http, timeout: timeout)
    }

    /// Loads `url` and waits for the document (not the module scripts it may still be running).
    public func open(_ url: String) async throws {
        _ = try await command("POST", "url", ["url": url])
    }

    /// The page's URL and title.
    public func currentURL() async throws -> String { try await command("GET", "url") as? String ?? "" }
    public func title() async throws -> String { try await command("GET", "title") as? String ?? "" }

    /// The first element `selector` (CSS) matches now; `no such element` when none does.
    public func find(_ selector: String) async throws -> Element {
        let value = try await command("POST", "element", ["using": "css selector", "value": selector])
        guard let id = (value as? [String: Any])?[Self.elementKey] as? String else {
            throw WebDriverError("no such element", "\(selector): \(value)")
        }
        return Element(browser: self, id: id, selector: selector)
    }

    /// Every element `selector` matches now, maybe none.
    public func findAll(_ selector: String) async throws -> [Element] {
        let value = try await command("POST", "elements", ["using": "css selector", "value": selector])
        return ((value as? [[String: Any]]) ?? []).compactMap { $0[Self.elementKey] as? String }.map {
            Element(browser: self, id: $0, selector: selector)
        }
    }

    /// The first element `selector` matches, once there is one (and, when `text` is given, once
    /// its text reads `text`), polling until `timeout` seconds have passed.
    @discardableResult
    public func waitFor(_ selector: String, text: String? = nil, timeout: Double = 10) async throws -> Element {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        var seen = "nothing"
        while true {
            do {
                let element = try await find(selector)
                guard let text else { return element }
                let current = try await element.text()
                if current == text { return element }
                seen = "text \"\(current)\""
            } catch let error as WebDriverError where ["no such element", "stale element reference"].contains(error.code) {
                seen = "no element"
            }
            guard ContinuousClock.now < deadline else {
                throw WebDriverError("timeout", "\(selector)\(text.map { " reading \"\($0)\"" } ?? "") not there after \(timeout) s (last: \(seen))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Runs `script` (a function body; `arguments[0]`… are `arguments`) in the page; its return value.
    @discardableResult
    public func execute(_ script: String, _ arguments: [Any] = []) async throws -> Any {
        try await command("POST", "execute/sync", ["script": script, "args": arguments])
    }

    /// Runs `script` in the page and waits for it to call its last argument (the callback) with the result.
    @discardableResult
    public func executeAsync(_ script: String, _ arguments: [Any] = []) async throws -> Any {
        try await command("POST", "execute/async", ["script": script, "args": arguments])
    }

    /// Presses `keys` on whatever has the focus, as a person at the keyboard would (W3C actions:
    /// each character down then up; "\u{E007}" is Enter, "\u{E00C}" Escape, "\u{E009}" Control).
    public func press(_ keys: String, holding modifier: String? = nil) async throws {
        var actions: [[String: Any]] = []
        if let modifier { actions.append(["type": "keyDown", "value": modifier]) }
        for key in keys.map(String.init) {
            actions.append(["type": "keyDown", "value": key])
            actions.append(["type": "keyUp", "value": key])
        }
        if let modifier { actions.append(["type": "keyUp", "value": modifier]) }
        _ = try await command("POST", "actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions]]])
        _ = try await command("DELETE", "actions")
    }

    /// The cookies the browser holds for the page's address, HttpOnly ones included.
    public func cookies() async throws -> [[String: Any]] {
        (try await command("GET", "cookie") as? [[String: Any]]) ?? []
    }

    /// Adds a cookie for the page's address (WebDriver may set HttpOnly ones).
    public func addCookie(_ cookie: [String: Any]) async throws {
        _ = try await command("POST", "cookie", ["cookie": cookie])
    }

    /// Sets the window's size in CSS pixels (a phone's width, a desktop's).
    public func resize(width: Int, height: Int) async throws {
        _ = try await command("POST", "window/rect", ["width": width, "height": height])
    }

    /// The viewport as a PNG.
    public func screenshot() async throws -> Data {
        guard let text = try await command("GET", "screenshot") as? String, let png = Data(base64Encoded: text) else {
            throw WebDriverError("unknown error", "the screenshot is not base64")
        }
        return png
    }

    /// The console's entries since last asked (level and message), chromedriver's log extension.
    public func consoleLog() async throws -> [(level: String, message: String)] {
        let value = try await command("POST", "se/log", ["type": "browser"])
        return ((value as? [[String: Any]]) ?? []).map { ($0["level"] as? String ?? "", $0["message"] as? String ?? "") }
    }

    /// Ends the session and stops chromedriver (and with it the browser); safe to call twice.
    /// A browser a failed or cancelled test did not quit: chromedriver is killed and the HTTP
    /// client closed here (an `HTTPClient` dropped while running stops the whole test process).
    deinit {
        let quit = lock.withLock { quitted }
        guard !quit else { return }
        if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
        let http = http
        // The callback holds the client until it is shut down, so that it is not freed half-way.
        http.shutdown { _ in _ = http }
    }

    public func quit() async {
        let first = lock.withLock {
            let first = !quitted
            quitted = true
            return first
        }
        guard first else { return }
        _ = try? await Self.send("DELETE", "\(base)/session/\(session)", nil, http: http, timeout: timeout)
        await Self.stop(driver)
        try? await http.shutdown()
    }

    /// An element of the page, as WebDriver names it.
    public struct Element: Sendable {
        let browser: Browser
        public let id: String
        /// The selector it was found by, for messages.
        public let selector: String

        /// Its rendered text.
        public func text() async throws -> String {
            try await browser.command("GET", "element/\(id)/text") as? String ?? ""
        }

        /// An attribute as written in the document (`data-state`, `href`), nil when absent.
        public func attribute(_ name: String) async throws -> String? {
            try await browser.command("GET", "element/\(id)/attribute/\(name)") as? String
        }

        /// A DOM property (`value`, `checked`, `disabled`), nil when null.
        public func property(_ name: String) async throws -> Any? {
            let value = try await browser.command("GET", "element/\(id)/property/\(name)")
            return value is NSNull ? nil : value
        }

        public func click() async throws {
            _ = try await browser.command("POST", "element/\(id)/click")
        }

        /// Types `text` into it, as keystrokes.
        public func sendKeys(_ text: String) async throws {
            _ = try await browser.command("POST", "element/\(id)/value", ["text": text])
        }

        public func clear() async throws {
            _ = try await browser.command("POST", "element/\(id)/clear")
        }
    }
}
