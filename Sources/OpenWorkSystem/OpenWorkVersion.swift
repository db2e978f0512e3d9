/// The version of this build of openwork.
public enum OpenWorkVersion {
    public static let current = "0.1.0"
}
