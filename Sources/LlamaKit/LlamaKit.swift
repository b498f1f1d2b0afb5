/// LlamaKit: run Llama-architecture language models with pluggable compute backends.
public enum LlamaKitInfo {
    public static let version = "0.1.0"
}
