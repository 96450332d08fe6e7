"""A tiny random-weight Stable Diffusion pipeline, built from configs, for tests and docs.

:func:`save_tiny_pipeline` writes a complete diffusers pipeline directory
(UNet, VAE, CLIP text encoder, a byte-level CLIP tokenizer and a DDIM
scheduler, about 250 KB) that ``hf:<directory>`` loads exactly like a real
one, with no download. Its images are noise, but every step of diffusers'
loading and generation code runs, in a second or two on a CPU. The test
suites of aimu-hf, its benchmark and its docs use it; so can a third party's
tests of code built on image clients.

Needs the ``images`` extra (torch, diffusers, transformers).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["save_tiny_pipeline", "save_unconditional_pipeline"]

#: Tokens the CLIP text encoder reads, as in every Stable Diffusion model.
_MAX_TOKENS = 77


def _tiny_tokenizer() -> object:
    """A CLIP tokenizer whose vocabulary is the 256 byte-level characters, with and
    without the end-of-word mark, and no merges: every word is spelled out.

    It goes through ``from_pretrained`` on a vocab.json and merges.txt, the files
    a real CLIP tokenizer ships.
    """
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    alphabet = sorted(ByteLevel.alphabet())
    tokens = [*alphabet, *(c + "</w>" for c in alphabet), "<|startoftext|>", "<|endoftext|>"]
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as fh:
            json.dump({token: i for i, token in enumerate(tokens)}, fh)
        with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as fh:
            fh.write("#version: 0.2\n")
        return CLIPTokenizer.from_pretrained(folder, model_max_length=_MAX_TOKENS)


def save_tiny_pipeline(directory: str | os.PathLike[str], *, seed: int = 0) -> Path:
    """Build a random-weight ``StableDiffusionPipeline`` and save it to *directory*.

    The VAE halves the size once (``vae_scale_factor`` 2), so any even width and
    height work; 32x32 is the quick size. The same *seed* gives the same weights.
    """
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = _tiny_tokenizer()
    vocab_size = len(tokenizer)  # type: ignore[arg-type]
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=8,
        attention_head_dim=2,
        norm_num_groups=2,
    )
    vae = AutoencoderKL(
        block_out_channels=(4, 8),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=2,
        sample_size=32,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=vocab_size,
            bos_token_id=vocab_size - 2,
            eos_token_id=vocab_size - 1,
            pad_token_id=vocab_size - 1,
            hidden_size=8,
            intermediate_size=16,
            num_attention_heads=2,
            num_hidden_layers=1,
            max_position_embeddings=_MAX_TOKENS,
        )
    )
    # DDIM rather than SD-Turbo's Euler: same pipeline code, and its set_timesteps
    # stays clear of a NumPy 2 DeprecationWarning that Euler raises on torch tensors.
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        timestep_spacing="trailing",
        steps_offset=1,
    )
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(directory)
    return Path(directory)


def save_unconditional_pipeline(directory: str | os.PathLike[str]) -> Path:
    """A tiny ``DDPMPipeline`` (no prompt, not text-to-image): a wrong pipeline type."""
    from diffusers import DDPMPipeline, DDPMScheduler, UNet2DModel

    unet = UNet2DModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=8,
        in_channels=3,
        out_channels=3,
        down_block_types=("DownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "UpBlock2D"),
        norm_num_groups=2,
    )
    DDPMPipeline(unet=unet, scheduler=DDPMScheduler()).save_pretrained(directory)
    return Path(directory)
