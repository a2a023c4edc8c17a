import AudioQC
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ParloirCore
import ParloirExport

/// A member's rights over their data: `DELETE /v1/members/{id}` (admin) and `DELETE /v1/me` (the
/// member, confirmed) erase them; `GET /v1/me/export` is their copy of it, as a ZIP archive.
///
/// An erasure is one store transaction (`PrivacyStore.eraseMember`); the audio goes after its
/// commit, blob by blob. A blob that cannot be removed then (the object store is away) is no
/// longer referenced by any row, and the periodic orphan sweep removes it.
struct PrivacyRoutes {
    let store: any ParloirStore
    let blobs: any BlobStore
    /// The authenticator's members by token: an erasure forgets its member there at once.
    let tokens: MemberCache

    func register(on group: RouterGroup<ParloirContext>) {
        group.delete("members/:member") { _, context in try await eraseMember(context) }
        group.delete("me") { request, context in try await eraseSelf(request, context) }
        group.get("me/export") { _, context in try await export(context) }
    }

    func eraseMember(_ context: ParloirContext) async throws -> Response {
        let admin = try context.member(.admin)
        return try await erase(try context.parameters.require("member"), requestedBy: admin.id, context)
    }

    /// `DELETE /v1/me` must say whom it erases: the body is `{"confirm": "<the member's own id>"}`,
    /// which an app sends only after asking the person, never from a stray click or a replayed
    /// request for another account.
    func eraseSelf(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let member = try context.member()
        struct Confirmation: Decodable { let confirm: String? }
        let body = try await RequestBodies.data(request, limit: 4096)
        let confirmation = try? JSONDecoder().decode(Confirmation.self, from: body)
        guard confirmation?.confirm == member.id else { throw Self.confirmationRequired(member.id) }
        return try await erase(member.id, requestedBy: Erasure.bySelf, context)
    }

    static func confirmationRequired(_ id: String) -> ParloirError {
        ParloirError(status: 400, code: "confirmation_required",
                     message: "erasing your data cannot be undone: send {\"confirm\": \"\(id)\"} (your member id) to confirm",
                     details: ["message_fr": "L'effacement de vos données est définitif. Pour le confirmer, renvoyez la demande avec votre identifiant (\(id))."])
    }

    func erase(_ id: String, requestedBy: String, _ context: ParloirContext) async throws -> Response {
        let outcome = try await store.eraseMember(id: id, requestedBy: requestedBy, now: Date(), erasureID: Identifiers.make("era"))
        tokens.forget(memberID: id)
        var removed = 0
        for blob in outcome.blobs {
            do {
                // Each take had a blob of its own; one that a new take holds again (the same
                // bytes uploaded since the commit) stays.
                guard try await !store.audioExists(sha256: blob) else { continue }
                try await blobs.remove(blob)
                removed += 1
            } catch {
                context.logger.warning("an erased take's audio stays until the orphan sweep", metadata: ["blob": "\(blob)", "error": "\(error)"])
            }
        }
        let erasure = outcome.erasure
        context.logger.notice("member erased", metadata: ["erasure": "\(erasure.id)", "by": "\(erasure.erasedBy)", "takes": "\(erasure.takes)"])
        return JSONResponse.make(OrderedJSON.fields([
            "erasure_id": .string(erasure.id),
            "erased_at": .string(ISO8601DateFormatter().string(from: erasure.erasedAt)),
            "erased_by": .string(erasure.erasedBy),
            "role": .string(erasure.role.rawValue),
            "takes": .int(erasure.takes),
            "audio_bytes": .int(erasure.audioBytes),
            "paid_cents": .int(erasure.paidCents),
            "blobs_removed": .int(removed),
        ]))
    }

    func export(_ context: ParloirContext) async throws -> Response {
        let member = try context.member()
        let archive = PersonalArchive(data: try await store.personalData(of: member), generatedAt: Date())
        let blobs = blobs
        let body = ResponseBody { writer in
            let box = WriterBox(writer)
            try await archive.write(audio: blobs) { bytes in try await box.write(bytes) }
            writer = box.writer
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/zip",
                                               .contentDisposition: "attachment; filename=\"\(archive.fileName)\""], body: body)
    }
}
