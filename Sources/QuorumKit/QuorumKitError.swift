/// What went wrong assembling a model or a run from a specification: the field, and
/// what it accepts. Errors of the layers below (a missing model, an unreadable data set,
/// a store) pass through as their own types.
public enum QuorumKitError: Error, CustomStringConvertible, Equatable {
    case invalidSpecification(field: String, message: String)

    public var description: String {
        switch self {
        case .invalidSpecification(let field, let message): "\(field) \(message)."
        }
    }
}
