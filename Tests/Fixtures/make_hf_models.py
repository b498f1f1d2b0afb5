"""Writes small random Llama checkpoints and their transformers reference logits into Tests/Fixtures/hf/.

Run from the repository root:  HF_HUB_OFFLINE=1 python3 Tests/Fixtures/make_hf_models.py

Models (hidden 64, 4 query heads, 2 key/value heads, head size 16, vocab 256, FFN 192):
  llama3_sharded_bf16/  llama3 rope scaling (factor 8, low 1, high 4, original_max_position_embeddings 64,
                        so every frequency regime appears within 300 positions), 3 layers, bf16, written
                        with a small max_shard_size so the folder has several shards and an index.
  tied_f16/             Llama 3.2 style: tied embeddings (no lm_head.weight), llama3 scaling, 2 layers, f16.
  llama2_f32/           Llama-2 style: no rope scaling, theta 10000, 2 layers, f32, one file; also written in
                        Meta's original format (meta_1/: consolidated.00.pth, meta_2/: a 2-way
                        model-parallel split, embedding split along dim 1 as Llama 2's ParallelEmbedding)
                        with Meta's interleaved q/k layout.
  llama31_meta_bf16/    Llama 3.1's fixed scaling (8, 1, 4, 8192; Meta's `use_scaled_rope`), theta 500000,
                        bf16, 2 layers; also in Meta's format (meta_1/, meta_2/ with the embedding split
                        along dim 0 as Llama 3's VocabParallelEmbedding).

Pass model names to regenerate only those folders (default: all).

References (transformers, eager attention, the checkpoint re-loaded with dtype=float32 so bf16/f16 weights
are upcast exactly): for each model folder, reference/logits_{1,16,300}.npy hold [n, 256] float32 logits of
the sequences in reference/cases.json, which also holds greedy continuations (16 new tokens).
Weights are drawn with std 0.15 (and norm weights around 1) so logits are far from uniform.
"""
import json
import os
import shutil

import numpy as np
import torch
from transformers import LlamaConfig, LlamaForCausalLM

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf")
VOCAB = 256


def make_config(**overrides):
    base = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=192, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False,
                attn_implementation="eager")
    base.update(overrides)
    return LlamaConfig(**base)


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.15 * torch.randn(p.shape, generator=g))


def sequences(seed):
    g = torch.Generator().manual_seed(seed)
    return {n: torch.randint(0, VOCAB, (n,), generator=g).tolist() for n in (1, 16, 300)}


def record(folder, seed):
    model = LlamaForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    ref = os.path.join(folder, "reference")
    os.makedirs(ref, exist_ok=True)
    cases = {"sequences": {}, "greedy": {}}
    with torch.no_grad():
        for n, ids in sequences(seed).items():
            logits = model(torch.tensor([ids])).logits[0].float().numpy()
            np.save(os.path.join(ref, f"logits_{n}.npy"), logits.astype(np.float32))
            cases["sequences"][str(n)] = ids
            if n <= 16:
                out = model.generate(torch.tensor([ids]), max_new_tokens=16, do_sample=False,
                                     eos_token_id=None, pad_token_id=0)
                cases["greedy"][str(n)] = out[0, len(ids):].tolist()
    with open(os.path.join(ref, "cases.json"), "w") as f:
        json.dump(cases, f)
    return model


def hf_to_meta_qk(w, heads):
    """Undoes transformers' convert_llama_weights_to_hf permutation (Meta's interleaved pairs)."""
    rows, cols = w.shape
    return w.view(heads, 2, rows // heads // 2, cols).transpose(1, 2).reshape(rows, cols)


def write_meta(model, config, folder, parts, embedding_dim=1, theta=10000.0, scaled=False, dtype=None):
    sd = model.state_dict()
    meta = {"tok_embeddings.weight": sd["model.embed_tokens.weight"],
            "norm.weight": sd["model.norm.weight"],
            "output.weight": sd["lm_head.weight"]}
    for i in range(config.num_hidden_layers):
        p, q = f"model.layers.{i}.", f"layers.{i}."
        meta[q + "attention.wq.weight"] = hf_to_meta_qk(sd[p + "self_attn.q_proj.weight"], config.num_attention_heads)
        meta[q + "attention.wk.weight"] = hf_to_meta_qk(sd[p + "self_attn.k_proj.weight"], config.num_key_value_heads)
        meta[q + "attention.wv.weight"] = sd[p + "self_attn.v_proj.weight"]
        meta[q + "attention.wo.weight"] = sd[p + "self_attn.o_proj.weight"]
        meta[q + "feed_forward.w1.weight"] = sd[p + "mlp.gate_proj.weight"]
        meta[q + "feed_forward.w3.weight"] = sd[p + "mlp.up_proj.weight"]
        meta[q + "feed_forward.w2.weight"] = sd[p + "mlp.down_proj.weight"]
        meta[q + "attention_norm.weight"] = sd[p + "input_layernorm.weight"]
        meta[q + "ffn_norm.weight"] = sd[p + "post_attention_layernorm.weight"]
    os.makedirs(folder, exist_ok=True)
    for rank in range(parts):
        shard = {}
        for name, t in meta.items():
            if name.endswith("norm.weight") or parts == 1:
                piece = t
            else:
                # Meta's model parallelism: column-parallel (wq/wk/wv/w1/w3/output) split dim 0,
                # row-parallel (wo/w2) and the parallel embedding split dim 1.
                dim = 1 if name.endswith(("wo.weight", "w2.weight")) else 0
                if name == "tok_embeddings.weight":
                    dim = embedding_dim
                piece = torch.chunk(t, parts, dim=dim)[rank]
            piece = piece.clone().contiguous()
            shard[name] = piece.to(dtype) if dtype is not None else piece  # clone: torch.save would store a view's whole storage
        torch.save(shard, os.path.join(folder, f"consolidated.{rank:02d}.pth"))
    params = {"dim": config.hidden_size, "n_layers": config.num_hidden_layers, "n_heads": config.num_attention_heads,
              "n_kv_heads": config.num_key_value_heads, "vocab_size": VOCAB, "multiple_of": 32,
              "norm_eps": config.rms_norm_eps, "rope_theta": theta, "use_scaled_rope": scaled}
    with open(os.path.join(folder, "params.json"), "w") as f:
        json.dump(params, f)


def main():
    import sys
    only = set(sys.argv[1:])
    torch.manual_seed(0)
    llama3_rope = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                   "high_freq_factor": 4.0, "original_max_position_embeddings": 64}

    specs = [
        ("llama3_sharded_bf16", dict(num_hidden_layers=3, rope_parameters=llama3_rope, eos_token_id=[2, 3]),
         torch.bfloat16, "40KB", 11),
        ("tied_f16", dict(tie_word_embeddings=True, rope_parameters=llama3_rope), torch.float16, None, 12),
        ("llama2_f32", dict(rope_parameters={"rope_type": "default", "rope_theta": 10000.0}), torch.float32, None, 13),
        ("llama31_meta_bf16", dict(rope_parameters=dict(llama3_rope, original_max_position_embeddings=8192),
                                   max_position_embeddings=131072),
         torch.bfloat16, None, 14),
    ]
    for name, overrides, dtype, shard, seed in specs:
        if only and name not in only:
            continue
        folder = os.path.join(ROOT, name)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        config = make_config(**overrides)
        model = LlamaForCausalLM(config)
        randomize(model, seed)
        model = model.to(dtype)
        model.generation_config.temperature = 0.6
        model.generation_config.top_p = 0.9
        model.generation_config.do_sample = True
        kwargs = {"max_shard_size": shard} if shard else {}
        model.save_pretrained(folder, **kwargs)
        reloaded = record(folder, seed)
        if name == "llama2_f32":
            write_meta(reloaded, config, os.path.join(folder, "meta_1"), 1)
            write_meta(reloaded, config, os.path.join(folder, "meta_2"), 2)
        if name == "llama31_meta_bf16":
            # Meta's files hold the bf16 weights (reloaded as exact f32 upcasts, cast back losslessly).
            for parts in (1, 2):
                write_meta(reloaded, config, os.path.join(folder, f"meta_{parts}"), parts, embedding_dim=0,
                           theta=500000.0, scaled=True, dtype=torch.bfloat16)
        print(name, sorted(os.listdir(folder)))

    if only and "llama3_sharded_bf16" not in only:
        return
    # The older config spelling (rope_scaling + rope_theta, integer factors) must load the same way.
    path = os.path.join(ROOT, "llama3_sharded_bf16", "config.json")
    with open(path) as f:
        cfg = json.load(f)
    params = cfg.pop("rope_parameters", None) or {}
    cfg["rope_theta"] = params.get("rope_theta", 500000.0)
    cfg["rope_scaling"] = {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4,
                           "original_max_position_embeddings": 64}
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
    check = LlamaForCausalLM.from_pretrained(os.path.dirname(path), dtype=torch.float32, attn_implementation="eager")
    ids = json.load(open(os.path.join(ROOT, "llama3_sharded_bf16", "reference", "cases.json")))["sequences"]["300"]
    with torch.no_grad():
        again = check(torch.tensor([ids])).logits[0].numpy()
    stored = np.load(os.path.join(ROOT, "llama3_sharded_bf16", "reference", "logits_300.npy"))
    assert np.abs(again - stored).max() == 0, "old rope_scaling spelling changed the reference"


if __name__ == "__main__":
    main()
