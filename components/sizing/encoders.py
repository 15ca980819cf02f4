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


# PixtralVisionConfig's defaults (models/pixtral/configuration_pixtral.py:75-88).
PIXTRAL_DEFAULTS = {
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 24,
    "num_channels": 3,
    "patch_size": 16,
}


def pixtral_vision_parameters(vision: dict[str, Any]) -> int:
    """Pixtral's vision tower (models/pixtral/modeling_pixtral.py): a patch convolution
    without bias (:445-451), an RMSNorm before the layers (:453), and per layer q/k/v/o
    of the tower's width without bias (:178-181), a gated MLP without bias (:240-242) and
    two RMSNorms (:274,277); its rotary frequencies are a buffer, not parameters (:85)."""
    v = {**PIXTRAL_DEFAULTS, **{k: x for k, x in vision.items() if x is not None}}
    d, f, layers = int(v["hidden_size"]), int(v["intermediate_size"]), int(v["num_hidden_layers"])
    patch, channels = int(v["patch_size"]), int(v["num_channels"])
    return channels * patch * patch * d + d + layers * (4 * d * d + 3 * d * f + 2 * d)


def mistral3_encoder_parameters(outer: dict[str, Any], text_hidden: int) -> int:
    """Mistral 3's Pixtral tower and its projector (models/mistral3/modeling_mistral3.py:
    73,99-114): an RMSNorm, the patch merger folding `spatial_merge_size`² patches into
    one, and two linears to the text width, biased with `multimodal_projector_bias`."""
    vision = outer.get("vision_config") or {}
    d = int(vision.get("hidden_size") or PIXTRAL_DEFAULTS["hidden_size"])
    merge = int(outer.get("spatial_merge_size") or 2)
    biases = 2 * text_hidden if outer.get("multimodal_projector_bias") else 0
    projector = d + merge * merge * d * d + d * text_hidden + text_hidden * text_hidden + biases
    return pixtral_vision_parameters(vision) + projector


# Llama4VisionConfig's defaults (models/llama4/configuration_llama4.py:84-104).
LLAMA4_VISION_DEFAULTS = {
    "hidden_size": 768,
    "num_hidden_layers": 34,
    "num_channels": 3,
    "intermediate_size": 5632,
    "vision_output_dim": 7680,
    "image_size": 448,
    "patch_size": 14,
    "projector_input_dim": 4096,
    "projector_output_dim": 4096,
}


def llama4_encoder_parameters(outer: dict[str, Any], text_hidden: int) -> int:
    """Llama 4's vision tower and projector (models/llama4/modeling_llama4.py): a patch
    embedding without bias (:962-973), a class embedding and one position per patch and
    the class token (:1021-1022), LayerNorms before and after (:1026-1027), per layer
    q/k/v/o and fc1/fc2 with biases and two LayerNorms (:762-845), the pixel-shuffle
    adapter's two linears (:677-734), and the projector to the text width (:694-701)."""
    v = {**LLAMA4_VISION_DEFAULTS, **(outer.get("vision_config") or {})}
    d, f, layers = int(v["hidden_size"]), int(v["intermediate_size"]), int(v["num_hidden_layers"])
    patch, channels = int(v["patch_size"]), int(v["num_channels"])
    positions = (int(v["image_size"]) // patch) ** 2 + 1
    tower = (
        channels * patch * patch * d
        + d
        + positions * d
        + 4 * d
        + layers * (4 * d * d + 2 * d * f + 9 * d + f)
        + f * int(v["projector_input_dim"])
        + int(v["projector_output_dim"]) ** 2
    )
    return tower + int(v["vision_output_dim"]) * text_hidden
