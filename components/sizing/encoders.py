"""Parameters of the vision towers multimodal checkpoints carry beside their text model.

vLLM loads a multimodal checkpoint whole (its vision tower and projector sit on the GPUs
beside the decoder), so they count in the weights even for text-only traffic.
"""

from typing import Any

# SiglipVisionConfig's defaults (transformers 4.57.1 models/siglip/configuration_siglip.py:
# 169-175), for fields a config.json leaves out.
SIGLIP_DEFAULTS = {
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_channels": 3,
    "image_size": 224,
    "patch_size": 16,
}


def siglip_vision_parameters(vision: dict[str, Any]) -> int:
    """A SigLIP vision tower without its pooling head (models/siglip/modeling_siglip.py:
    224-234 patch and position embeddings, :370-373 attention with biases, :420-421 MLP
    with biases, :434-436 two LayerNorms per layer, :686 the post-LayerNorm; Gemma 3 sets
    `vision_use_head: false`, :687-689)."""
    v = {**SIGLIP_DEFAULTS, **{k: x for k, x in vision.items() if x is not None}}
    d, f, layers = int(v["hidden_size"]), int(v["intermediate_size"]), int(v["num_hidden_layers"])
    patch, channels = int(v["patch_size"]), int(v["num_channels"])
    positions = (int(v["image_size"]) // patch) ** 2
    embeddings = channels * patch * patch * d + d + positions * d
    per_layer = 4 * (d * d + d) + (d * f + f) + (f * d + d) + 4 * d
    return embeddings + layers * per_layer + 2 * d


def gemma3_encoder_parameters(outer: dict[str, Any], text_hidden: int) -> int:
    """Gemma 3's SigLIP tower and its projector: `mm_input_projection_weight` (vision
    width × text width) and `mm_soft_emb_norm` (models/gemma3/modeling_gemma3.py:693-708)."""
    vision = outer.get("vision_config") or {}
    d = int(vision.get("hidden_size") or SIGLIP_DEFAULTS["hidden_size"])
    return siglip_vision_parameters(vision) + d * text_hidden + d
