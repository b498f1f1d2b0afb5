import Foundation
import Testing
@testable import LlamaKit

@Suite struct ChatTemplateTests {
    @Test func rendersLikeJinjaOnTheModelsTemplate() throws {
        let template = try chatTemplate(for: TestPaths.openModel())
        let chats = try TokenizerGolden.load().chat
        #expect(chats.count >= 5)
        for chat in chats {
            let rendered = try template.render(chat.messages, addGenerationPrompt: chat.addGenerationPrompt)
            #expect(rendered == chat.rendered, "\(chat.messages) generation prompt \(chat.addGenerationPrompt)")
        }
    }

    @Test func detectsChatMLAndItsDefaultSystemPrompt() throws {
        let template = try chatTemplate(for: TestPaths.openModel())
        let chatML = try #require(template as? ChatMLTemplate)
        #expect(chatML.defaultSystemPrompt == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
    }

    @Test func extractsEscapedLiteralsAndToleratesTemplatesWithout() throws {
        let generation = "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        let escaped = #"{% for m in messages %}{% if loop.first and m['role'] != 'system' %}{{ '<|im_start|>system\nBe brief, it\'s late.<|im_end|>\n' }}{% endif %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}{% endfor %}"#
        #expect(try chatTemplate(source: escaped + generation) as? ChatMLTemplate == ChatMLTemplate(defaultSystemPrompt: "Be brief, it's late."))
        let plain = #"{% for m in messages %}{{'<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>' + '\n'}}{% endfor %}"#
        #expect(try chatTemplate(source: plain + generation) as? ChatMLTemplate == ChatMLTemplate())
        // Without the generation prompt they are not plain ChatML, so the Jinja engine renders them as written.
        #expect(try chatTemplate(source: plain) is JinjaChatTemplate)
        #expect(try chatTemplate(source: plain).render([.user("Hi")], addGenerationPrompt: true) == "<|im_start|>user\nHi<|im_end|>\n")
        #expect(ChatMLSystemPromptExtractor.defaultSystemPrompt(in: escaped) == "Be brief, it's late.")
    }

    @Test func rendersWithoutDefaultSystemPrompt() throws {
        let rendered = try ChatMLTemplate().render([.user("Hi"), .assistant("Hello"), .user("Bye")], addGenerationPrompt: true)
        #expect(rendered == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n")
        #expect(try ChatMLTemplate(defaultSystemPrompt: "S").render([.system("Mine")], addGenerationPrompt: false)
            == "<|im_start|>system\nMine<|im_end|>\n")
    }

    @Test func otherTemplatesUseTheJinjaEngineAndBrokenOnesThrow() throws {
        let llama3 = "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n' + m['content'] + '<|eot_id|>' }}{% endfor %}"
        let template = try chatTemplate(source: llama3, specialTokens: ["bos_token": "<B>"])
        #expect(template is JinjaChatTemplate)
        #expect(try template.render([.user("Hi")], addGenerationPrompt: false) == "<B><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>")
        #expect(throws: ChatTemplateError.jinja(JinjaError(.unclosedBlock("for"), line: 1, column: 1))) {
            try chatTemplate(source: "{% for m in messages %}{{ m }}")
        }

        // A valid GGUF file with no metadata at all.
        var bytes: [UInt8] = Array("GGUF".utf8)
        bytes += [3, 0, 0, 0] + [UInt8](repeating: 0, count: 16)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-empty-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let empty = try GGUFFile(path: url.path)
        #expect(throws: ChatTemplateError.missingTemplate) { try chatTemplate(for: empty) }
        #expect(throws: TokenizerError.missingKey("tokenizer.ggml.model")) { try loadTokenizer(from: empty) }
    }

    @Test func chatMessageCodableAndHelpers() throws {
        let messages: [ChatMessage] = [.system("s"), .user("u"), .assistant("a")]
        #expect(messages.map(\.role) == ["system", "user", "assistant"])
        let data = try JSONEncoder().encode(messages)
        #expect(try JSONDecoder().decode([ChatMessage].self, from: data) == messages)
    }
}
