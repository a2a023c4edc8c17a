import Foundation

/// The servers the store tests reach, named by the test command's environment.
enum TestServers {
    /// `PARLOIR_TEST_POSTGRES`: a database URL the tests may create schemas in.
    static let postgres = ProcessInfo.processInfo.environment["PARLOIR_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    /// `PARLOIR_TEST_S3`: an S3 endpoint URL (credentials in the standard `AWS_*` variables).
    static let s3 = ProcessInfo.processInfo.environment["PARLOIR_TEST_S3"].flatMap { $0.isEmpty ? nil : $0 }
}
