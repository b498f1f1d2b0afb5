import LlamaKit
