#!/usr/bin/env python3
"""Split a Llama GGUF into pieces that rebuild a same-shape model with a few distinct layers.

Usage: make-check-model.py SOURCE.gguf OUT_DIR [DISTINCT_LAYERS]

Scripts/gpu-check.sh needs a model on a machine that can receive only ~60 MiB. Dropping layers would make
the benchmark unrepresentative, so instead every layer i of the rebuilt model is layer i % N of the source
(N = DISTINCT_LAYERS, default 3, must divide block_count): same architecture, tensor types and shapes, same
compute per token, but only N layers of distinct data. The file is laid out so that

    model.gguf = head.bin + embd.bin + block.bin * (block_count / N)

with `cat` (no Python needed on the other side), and a truncated model with only the N layers,

    truncated.gguf = head-truncated.bin + embd.bin + block.bin

for parity checks (a real prefix of the network: its logits vary by position, unlike the repeated model's,
whose greedy output is degenerate). head.bin is the source's metadata (copied byte for byte,
so block_count and the tokenizer are unchanged) plus new tensor infos; embd.bin holds the non-layer tensors;
block.bin the N layers. OUT_DIR/repeats holds block_count / N.

Reads tensors with gguf-py (pip install gguf); writes the GGUF structure itself (version 3, little endian).
"""
import struct
import sys
from pathlib import Path

from gguf import GGUFReader


def padded(data: bytes, alignment: int) -> bytes:
    return data + b"\0" * ((-len(data)) % alignment)


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    distinct = int(sys.argv[3]) if len(sys.argv) == 4 else 3
    reader = GGUFReader(str(source))
    raw = source.read_bytes()

    arch = bytes(reader.fields["general.architecture"].parts[-1]).decode()
    blocks = int(reader.fields[f"{arch}.block_count"].parts[-1][0])
    if blocks % distinct:
        sys.exit(f"{distinct} distinct layers do not divide block_count {blocks}")
    alignment = int(reader.fields["general.alignment"].parts[-1][0]) if "general.alignment" in reader.fields else 32

    # The metadata section: from the first key/value to the end of the last (the reader's fields carry their
    # offsets; the first three are the header's own counts).
    kv_fields = [f for name, f in reader.fields.items() if not name.startswith("GGUF.")]
    kv_start = kv_fields[0].offset
    last = kv_fields[-1]
    kv_end = last.offset + sum(part.nbytes for part in last.parts)
    kv_bytes = raw[kv_start:kv_end]

    tensors = {t.name: t for t in reader.tensors}
    layer_suffixes = sorted({t.name.split(".", 2)[2] for t in reader.tensors if t.name.startswith("blk.0.")})
    globals_ = [t.name for t in reader.tensors if not t.name.startswith("blk.")]

    def data_of(name: str) -> bytes:
        t = tensors[name]
        return raw[t.data_offset:t.data_offset + t.n_bytes]

    infos = []  # (name, tensor whose shape/type it takes, data offset)
    embd = b""
    for name in globals_:
        infos.append((name, tensors[name], len(embd)))
        embd += padded(data_of(name), alignment)
    block = b""
    block_layout = {}  # (layer in block, suffix) -> offset within block.bin
    for layer in range(distinct):
        for suffix in layer_suffixes:
            block_layout[(layer, suffix)] = len(block)
            block += padded(data_of(f"blk.{layer}.{suffix}"), alignment)
    for i in range(blocks):
        base = len(embd) + (i // distinct) * len(block)
        for suffix in layer_suffixes:
            source_name = f"blk.{i % distinct}.{suffix}"
            infos.append((f"blk.{i}.{suffix}", tensors[source_name], base + block_layout[(i % distinct, suffix)]))

    def make_head(metadata: bytes, infos) -> bytes:
        head = b"GGUF" + struct.pack("<IQQ", 3, len(infos), len(kv_fields)) + metadata
        for name, t, offset in infos:
            encoded = name.encode()
            dims = [int(d) for d in t.shape]  # gguf-py reports ggml order (innermost first), as the file stores it
            head += struct.pack("<Q", len(encoded)) + encoded + struct.pack("<I", len(dims))
            head += b"".join(struct.pack("<Q", d) for d in dims)
            head += struct.pack("<IQ", int(t.tensor_type), offset)
        return padded(head, alignment)

    head = make_head(kv_bytes, infos)
    # The truncated variant: block_count = N and only the N distinct layers (head-truncated.bin + embd.bin +
    # block.bin): a real prefix of the network, whose logits vary more than the repeated model's.
    count_field = reader.fields[f"{arch}.block_count"]
    value_offset = count_field.offset + sum(part.nbytes for part in count_field.parts[:-1]) - kv_start
    truncated_kv = kv_bytes[:value_offset] + struct.pack("<I", distinct) + kv_bytes[value_offset + 4:]
    truncated = [info for info in infos if not info[0].startswith("blk.") or int(info[0].split(".")[1]) < distinct]
    head_truncated = make_head(truncated_kv, truncated)

    out.mkdir(parents=True, exist_ok=True)
    (out / "head.bin").write_bytes(head)
    (out / "head-truncated.bin").write_bytes(head_truncated)
    (out / "embd.bin").write_bytes(embd)
    (out / "block.bin").write_bytes(block)
    (out / "repeats").write_text(f"{blocks // distinct}\n")
    print(f"{source.name}: {blocks} layers from {distinct} distinct; pieces "
          f"{len(head) + len(embd) + len(block)} bytes, model {len(head) + len(embd) + len(block) * (blocks // distinct)} bytes")


if __name__ == "__main__":
    main()
