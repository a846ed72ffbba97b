import Foundation

/// When and how long to wait before trying a failed request again.
///
/// Retries 429, 408, 5xx, timeouts and connection errors; other 4xx fail at once.
/// Waits follow "exponential backoff with full jitter" (AWS Architecture Blog, "Exponential
/// Backoff And Jitter", 2015): attempt k sleeps a uniform random time in
/// `[0, min(maxDelay, baseDelay · 2^(k-1))]`, which spreads a burst of clients that
/// failed together instead of making them retry in lockstep. A server's `Retry-After`
/// wins over the backoff: the endpoint is not asked again before it has passed.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (1 = never retry).
    public var maxAttempts: Int
    /// The backoff ceiling of the first retry, seconds.
    public var baseDelay: Double
    /// The largest backoff ceiling, seconds.
    public var maxDelay: Double
    /// The longest `Retry-After` honoured, seconds; a longer one is clamped to this (a
    /// hosted API's "come back tomorrow" should fail the run's request, not hang it).
    public var maxRetryAfter: Double

    public init(maxAttempts: Int = 6, baseDelay: Double = 0.5, maxDelay: Double = 30, maxRetryAfter: Double = 120) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Whether an HTTP status is worth retrying: 408 (request timeout), 409 (conflict, as
    /// OpenAI documents for transient lock errors), 425, 429 and every 5xx.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 409 || status == 425 || status == 429 || status >= 500
    }

    /// The backoff ceiling before retry number `retry` (1 = the first retry).
    public func backoffCeiling(retry: Int) -> Double {
        let exponent = Double(max(0, retry - 1))
        return min(maxDelay, baseDelay * pow(2, min(exponent, 62)))
    }

    /// A full-jitter wait before retry number `retry`, from `random` in [0, 1).
    public func backoff(retry: Int, random: Double = Double.random(in: 0 ..< 1)) -> Double {
        backoffCeiling(retry: retry) * random
    }
}

/// The `Retry-After` response header (RFC 9110 §10.2.3): a number of seconds, or an HTTP date.
public enum RetryAfter {
    /// Seconds to wait from `now`, or nil when the header is absent or malformed.
    /// A date in the past means 0.
    public static func seconds(fromHeader value: String?, now: Date = Date()) -> Double? {
        guard let raw = value?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        if let seconds = Double(raw), seconds.isFinite, seconds >= 0 { return seconds }
        guard let date = httpDate(raw) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    /// Parses the three date forms RFC 9110 §5.6.7 requires recipients to accept:
    /// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`)
    /// and asctime (`Sun Nov  6 08:49:37 1994`).
    public static func httpDate(_ text: String) -> Date? {
        let formats = ["EEE, dd MMM yyyy HH:mm:ss 'GMT'", "EEEE, dd-MMM-yy HH:mm:ss 'GMT'", "EEE MMM d HH:mm:ss yyyy"]
        let collapsed = text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        for format in formats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: collapsed) { return date }
        }
        return nil
    }
}
