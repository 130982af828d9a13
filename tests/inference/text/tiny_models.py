"""Tiny randomly initialised language models, made offline in a test's temporary folder: a
llama-architecture GGUF for llama.cpp, and a transformers Llama with a word-level tokenizer.

Their weights are random (a normal init with std 0.02, as transformers' own) with one nudge so
that tests do not flake: every token embedding has a positive first component and the output
head weighs that component up for the word tokens and down for control and byte tokens. The
gibberish they sample is then always words of WORDS (garment nouns not in the test's outfit:
grounded() must refuse it) and never a lone end-of-text, so an empty answer cannot happen by
chance."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: The only words the tiny models say: garments a top-only parse does not have.
WORDS = ("dress", "skirt", "coat", "boots", "jeans")
HIDDEN, LAYERS, HEADS, FFN, CONTEXT = 32, 2, 2, 64, 4096
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _weights(rng: np.random.Generator, vocab: int, is_word: np.ndarray) -> dict[str, np.ndarray]:
    """Llama weights in PyTorch's (out, in) layout, named as llama.cpp names them."""

    def normal(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    embed = normal(vocab, HIDDEN)
    embed[:, 0] = 1.0
    head = normal(vocab, HIDDEN)
    head[:, 0] = np.where(is_word, 1.0, -1.0)
    tensors = {
        "token_embd.weight": embed,
        "output_norm.weight": np.ones(HIDDEN, np.float32),
        "output.weight": head,
    }
    for i in range(LAYERS):
        tensors |= {
            f"blk.{i}.attn_norm.weight": np.ones(HIDDEN, np.float32),
            f"blk.{i}.attn_q.weight": normal(HIDDEN, HIDDEN),
            f"blk.{i}.attn_k.weight": normal(HIDDEN, HIDDEN),
            f"blk.{i}.attn_v.weight": normal(HIDDEN, HIDDEN),
            f"blk.{i}.attn_output.weight": normal(HIDDEN, HIDDEN),
            f"blk.{i}.ffn_norm.weight": np.ones(HIDDEN, np.float32),
            f"blk.{i}.ffn_gate.weight": normal(FFN, HIDDEN),
            f"blk.{i}.ffn_up.weight": normal(FFN, HIDDEN),
            f"blk.{i}.ffn_down.weight": normal(HIDDEN, FFN),
        }
    return tensors


def write_tiny_gguf(path: Path, seed: int = 0) -> Path:
    """A llama GGUF (f32, about 100 KB) with a SentencePiece-style vocabulary: <unk>, <s>, </s>,
    the ChatML markers, 256 byte tokens (so any prompt text can be tokenized) and WORDS."""
    import gguf

    tokens = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    types = [gguf.TokenType.UNKNOWN] + [gguf.TokenType.CONTROL] * 4
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    tokens += ["\u2581" + w for w in WORDS]
    types += [gguf.TokenType.NORMAL] * len(WORDS)
    is_word = np.array([t == gguf.TokenType.NORMAL for t in types])

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("stylebot-tiny-random")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(HIDDEN)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FFN)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_rope_dimension_count(HIDDEN // HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * len(tokens))
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(4)  # <|im_end|> ends an answer, as in ChatML models
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHATML)
    for name, array in _weights(np.random.default_rng(seed), len(tokens), is_word).items():
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def tiny_transformers(chat_template: bool = True, seed: int = 0):  # noqa: ANN201
    """(model, tokenizer): a random transformers Llama and a word-level tokenizer built with the
    tokenizers library (no download), with or without a chat template."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<unk>", "<s>", "</s>", "<pad>"]
    words = ["system", "user", "assistant", ":", *WORDS]
    vocab = {t: i for i, t in enumerate(specials + words)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
        pad_token="<pad>",
    )
    if chat_template:
        tokenizer.chat_template = (
            "{% for m in messages %}<s> {{ m['role'] }} : {{ m['content'] }} </s> {% endfor %}"
            "{% if add_generation_prompt %}<s> assistant :{% endif %}"
        )
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(vocab), hidden_size=HIDDEN, intermediate_size=FFN,
        num_hidden_layers=LAYERS, num_attention_heads=HEADS, num_key_value_heads=HEADS,
        max_position_embeddings=CONTEXT, tie_word_embeddings=False,
        bos_token_id=1, eos_token_id=2, pad_token_id=3,
    )
    model = LlamaForCausalLM(config)
    is_word = torch.tensor([t in WORDS for t in vocab])
    with torch.no_grad():
        model.model.embed_tokens.weight[:, 0] = 1.0
        model.lm_head.weight[:, 0] = torch.where(is_word, 1.0, -1.0)
    return model, tokenizer
