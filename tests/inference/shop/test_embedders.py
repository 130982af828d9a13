"""Garment embedders behind one interface: the bundled Lite0 (projected and raw), and CLIP's
loading code exercised with a tiny random CLIPConfig saved and loaded like a hub model."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from inference import backends
from inference.parsing.outfit import parse_outfit
from inference.shop.clip import ClipEmbedder
from inference.shop.crop import crop_garment, foreground_mask, product_mask
from inference.shop.embedders import COLOUR_DIM, colour_descriptor
from inference.shop.retrieval import garment_queries, item_crop, product_crop


@pytest.fixture(scope="module")
def outfit(photo_paths, pipeline):
    return parse_outfit(Image.open(photo_paths[0]).convert("RGB"), pipeline.parser)


def test_registered_embedders() -> None:
    assert {"lite0", "lite0-raw", "fashion-clip"} <= set(backends.names("embedder"))
    with pytest.raises(backends.UnknownBackend, match="known: .*lite0"):
        backends.create("embedder", "nope")


@pytest.mark.parametrize("name", ["lite0", "lite0-raw"])
def test_lite0_contract(name, outfit, pipeline) -> None:
    embedder = pipeline.embedder if name == pipeline.embedder.name else \
        backends.create("embedder", name)
    crops = [item_crop(outfit, item) for item in outfit.items]
    vectors = embedder.embed(crops)
    assert vectors.shape == (len(crops), embedder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    flipped = crops[0].image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    again = embedder.embed([crop_garment(flipped, crops[0].mask[:, ::-1])])[0]
    others = vectors[1:] @ vectors[0]
    assert again @ vectors[0] > others.max()  # the same garment beats the outfit's others
    queries = garment_queries(outfit, embedder)
    assert [q.category for q in queries] == [i.category for i in outfit.items]


def test_tiny_clip_loads_like_a_hub_model_and_embeds(tmp_path, outfit) -> None:
    transformers = pytest.importorskip("transformers")
    config = transformers.CLIPConfig(
        text_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
                     "num_attention_heads": 4, "vocab_size": 99, "max_position_embeddings": 16},
        vision_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
                       "num_attention_heads": 4, "image_size": 32, "patch_size": 8},
        projection_dim=16)
    transformers.CLIPModel(config).save_pretrained(tmp_path / "tiny-clip")
    embedder = backends.create("embedder", "fashion-clip", model_id=str(tmp_path / "tiny-clip"))
    assert isinstance(embedder, ClipEmbedder) and embedder.name == "fashion-clip"
    assert embedder.dim == 16 + COLOUR_DIM and embedder.size == 32
    crops = [item_crop(outfit, item) for item in outfit.items]
    vectors = embedder.embed(crops)
    assert vectors.shape == (len(crops), 16 + COLOUR_DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.allclose(embedder.embed(crops[:1]), vectors[:1], atol=1e-5)
    with pytest.raises(RuntimeError, match="cannot load"):
        ClipEmbedder.from_pretrained(str(tmp_path / "missing"))


def test_colour_descriptor_separates_colours() -> None:
    rng = np.random.default_rng(0)

    def pixels(rgb):  # noqa: ANN001, ANN202
        return np.clip(np.array(rgb) + rng.normal(0, 6, (500, 3)), 0, 255).astype(np.uint8)

    red, red2 = colour_descriptor(pixels((200, 30, 40))), colour_descriptor(pixels((185, 25, 35)))
    blue, navy = colour_descriptor(pixels((40, 70, 200))), colour_descriptor(pixels((20, 30, 80)))
    assert red.shape == (COLOUR_DIM,) and np.isclose(np.linalg.norm(red), 1.0)
    assert red @ red2 > 0.9 > red @ blue
    assert navy @ blue > navy @ red
    assert not colour_descriptor(np.zeros((0, 3), np.uint8)).any()


def test_product_photos_are_cut_to_the_garment(shared_data, pipeline) -> None:
    """A worn product is cut with the parser's mask; a flat one with its foreground."""
    images = shared_data / "products" / "images"
    worn = Image.open(images / "15970.jpg").convert("RGB")  # a shirt worn by a model
    crop = product_crop(worn, "top", pipeline.product_segmenter())
    fg = foreground_mask(worn)
    labels = pipeline.product_segmenter().segment(worn)
    garment = product_mask(worn, "top", labels)
    assert 0.05 < garment.sum() / fg.sum() < 0.9  # the shirt, not the whole person
    assert crop.image.size == (224, 224) and crop.mask.mean() > 0.2
    shoe = Image.open(images / "10127.jpg").convert("RGB")
    assert (product_mask(shoe, "footwear") == foreground_mask(shoe)).all()


def test_served_graphs_give_the_torch_modules_numbers(outfit, pipeline) -> None:
    """The shop's Lite0 parts run from exported graphs: the pooled backbone, the projection and
    the kind head give, on real garment crops, the numbers of the torch modules they came from
    (the backbone as trained on ImageNet, batch norms not folded)."""
    import torch

    from inference.core.backbone import create_classifier
    from inference.core.lite0_spec import MEAN, STD
    from inference.shop.embedders import PROJECTION_WEIGHTS, crops_to_array
    from inference.shop.heads import load_kind_net, load_projection
    from inference.shop.kind_head import KIND_WEIGHTS

    crops = [item_crop(outfit, item) for item in outfit.items]
    pooled = pipeline.embedder.pooled(crops)
    classifier = create_classifier().eval()
    classifier.reset_classifier(0)
    with torch.inference_mode():
        want = classifier(torch.from_numpy(crops_to_array(crops, 224, MEAN, STD))).numpy()
        assert np.allclose(pooled, want, atol=1e-3 * np.abs(want).max())
        projection, _ = load_projection(PROJECTION_WEIGHTS)
        want = projection(torch.from_numpy(pooled)).numpy()
        assert np.allclose(pipeline.embedder.head.run(features=pooled)[0], want, atol=1e-4)
        kinds, _ = load_kind_net(KIND_WEIGHTS)
        want = kinds(torch.from_numpy(pooled)).numpy()
        assert np.allclose(pipeline.kind_head.net.run(features=pooled)[0], want,
                           atol=1e-3 * np.abs(want).max())
