"""Networks of the study: the AdaIN UNet colouriser, its style encoder, and a PatchGAN discriminator.

``Colorizer`` maps lightness ``(B, 1, H, W)`` in [0, 1] to an output in the network space of
``colorlib.color`` (3 channels for RGB, 2 for the LAB/Luv chroma pair). Its AdaIN layers take a per-channel
scale and shift from a style latent produced by ``StyleEncoder`` from a painting.

Architecture (as in the study):

* Encoder: 5 resolution levels of width ``widths[i]``; each level is a conv block (two 3x3 conv -> ReLU ->
  BatchNorm units), then AdaIN, then Dropout2d; 2x2 max-pool between levels, so the bottleneck (level 5) is at
  1/16 of the input side.
* Decoder, per level from the bottleneck up: ConvTranspose2d(k=4, s=2, p=1) up-sampling -> AdaIN ->
  concatenation with the encoder skip -> 1x1 conv fusing the two -> conv block -> Dropout2d. A 1x1 conv head
  gives the output channels.
* AdaIN: InstanceNorm2d (no affine), then ``x * (1 + A(z)) + B(z)`` with ``A``, ``B`` = Linear(latent -> C)
  initialised to zero, so every AdaIN starts as plain instance normalisation and ``latent=None`` means
  "no style" (scale 1, shift 0). With zero-initialised ``A``/``B`` the style encoder receives exactly zero
  gradient on the first optimisation step; it starts learning once ``A``/``B`` have moved.
* Style encoder: five stride-2 3x3 convs (in -> 64 -> 128 -> 256 -> 512 -> latent), each followed by ReLU
  (the last one too, as in the study), and global average pooling. Because of that last ReLU every latent
  unit is >= 0 and a unit can be exactly zero for every image ("dead unit"): the study's "collapse to zero".
* Output activation: sigmoid for RGB (targets are in [0, 1]: the network cannot leave the valid range, and
  0.5 grey is the neutral start); tanh for the LAB/Luv chroma pair (targets are normalised to about [-1, 1]
  with 0 = neutral grey, see ``colorlib.color.NORMALISATION``).

Two deliberate simplifications with no effect on the function the network can represent: a BatchNorm that
directly precedes an AdaIN, and the bias of a ConvTranspose2d that directly precedes an AdaIN, are left out.
Instance normalisation cancels any per-channel affine map exactly, so those parameters would only ever get a
zero gradient (and the BatchNorm would cost time for nothing).

Inputs whose sides are not multiples of 16 are padded (replicate, bottom/right) to the next multiple of 16
(at least 32, so the bottleneck has more than one pixel for instance normalisation) and the output is cropped
back; sizes that are already multiples of 16 (>= 32) are processed exactly.

Defects of the original implementation that must not come back (each has a test in tests/test_models.py):
the first encoder block's output was discarded (AdaIN was applied to the raw input); Dropout was created
inside ``forward`` so inference was random and eval() did not switch it off.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from colorlib import color

WIDTH_PRESETS = {
    "full": (64, 128, 256, 512, 512),
    "quarter": (16, 32, 64, 128, 128),
}
STYLE_WIDTHS = (64, 128, 256, 512)  # the style encoder's hidden widths; the 5th conv outputs the latent
DOWNSAMPLE = 16  # 4 max-pools: input sides are padded to a multiple of this
MIN_SIDE = 32  # smallest padded side: keeps the bottleneck at >= 2x2 pixels for InstanceNorm
STYLE_INITS = ("default", "he")  # ModelConfig.style_init


@dataclass
class ModelConfig:
    """Everything that defines a ``Colorizer``; plain data, serialisable with ``dataclasses.asdict``.

    widths: ``"full"``, ``"quarter"`` or a 5-tuple of encoder widths. adain=False gives the UNet-only baseline
    (no style encoder, no AdaIN). adain_encoder / adain_decoder choose the AdaIN positions (after every encoder
    block / after every decoder up-sampling). space: one of ``colorlib.color.SPACES``. auto_head: a small
    ``AutoHead`` that predicts a style latent from the lightness alone (the automatic mode: colours without any
    reference image); needs adain. style_init: how the style encoder's convolutions start: ``"default"`` (PyTorch's,
    as in the study: its latents start at about 0.005 and vary across images by about 0.001) or ``"he"`` (He
    normal for ReLU, zero biases: latents start of order 1); benchmarks/transfer_by_seed.py ``--style-init``
    asks whether the style path's slow start is why some seeds never learn it (issue 15).
    """

    widths: str | tuple[int, ...] = "quarter"
    adain: bool = True
    latent_dim: int = 32
    dropout: float = 0.2
    space: str = "rgb"
    adain_encoder: bool = True
    adain_decoder: bool = True
    auto_head: bool = False
    style_init: str = "default"

    def __post_init__(self) -> None:
        if isinstance(self.widths, str):
            if self.widths not in WIDTH_PRESETS:
                raise ValueError(f"unknown widths preset {self.widths!r}; expected one of {tuple(WIDTH_PRESETS)}")
        else:
            self.widths = tuple(int(w) for w in self.widths)
            if len(self.widths) != 5 or min(self.widths) < 1:
                raise ValueError(f"widths must be 5 positive integers, got {self.widths}")
        if self.space not in color.SPACES:
            raise ValueError(f"unknown colour space {self.space!r}; expected one of {color.SPACES}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.latent_dim < 1:
            raise ValueError(f"latent_dim must be positive, got {self.latent_dim}")
        if self.auto_head and not self.adain:
            raise ValueError("auto_head predicts a style latent: it needs adain=True")
        if self.style_init not in STYLE_INITS:
            raise ValueError(f"unknown style_init {self.style_init!r}; expected one of {STYLE_INITS}")

    def key_dict(self) -> dict:
        """The fields as a dict, without fields added later at their default (so older runs keep their keys)."""
        d = dataclasses.asdict(self)
        if not d["auto_head"]:
            d.pop("auto_head")
        if d["style_init"] == "default" or not d["adain"]:  # without a style encoder the init changes nothing
            d.pop("style_init")
        return d

    @property
    def channels(self) -> tuple[int, ...]:
        """The five encoder widths, with a preset name resolved."""
        return WIDTH_PRESETS[self.widths] if isinstance(self.widths, str) else tuple(self.widths)

    @property
    def out_channels(self) -> int:
        return color.OUT_CHANNELS[self.space]

    @property
    def style_channels(self) -> int:
        """Channels of the style encoder's input: RGB (3) or the ab/uv pair (2)."""
        return 3 if self.space == "rgb" else 2

    @property
    def encoder_adain(self) -> bool:
        return self.adain and self.adain_encoder

    @property
    def decoder_adain(self) -> bool:
        return self.adain and self.adain_decoder

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> "ModelConfig":
        """Named configurations: ``final`` (the study's final model: quarter widths, latent 32, dropout 0.2, RGB),
        ``unet`` (the same UNet without AdaIN or style encoder), ``full`` (full widths, latent 128)."""
        presets = {
            "final": dict(widths="quarter", adain=True, latent_dim=32, dropout=0.2, space="rgb"),
            "unet": dict(widths="quarter", adain=False, latent_dim=32, dropout=0.2, space="rgb"),
            "full": dict(widths="full", adain=True, latent_dim=128, dropout=0.2, space="rgb"),
        }
        if name not in presets:
            raise ValueError(f"unknown model preset {name!r}; expected one of {tuple(presets)}")
        return cls(**{**presets[name], **overrides})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        """Inverse of ``dataclasses.asdict`` (also after a JSON/YAML round trip, where tuples became lists)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown ModelConfig fields: {sorted(unknown)}")
        return cls(**data)


def count_parameters(module: nn.Module) -> int:
    """Number of parameters (trainable or not; buffers such as BatchNorm running statistics excluded)."""
    return sum(p.numel() for p in module.parameters())


class ConvBlock(nn.Sequential):
    """Two units of 3x3 conv -> ReLU -> BatchNorm; ``final_norm=False`` drops the last BatchNorm (used where an
    AdaIN follows, whose instance normalisation would cancel it)."""

    def __init__(self, in_channels: int, out_channels: int, final_norm: bool = True):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(out_channels),
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(out_channels) if final_norm else nn.Identity(),
        )


class AdaIN(nn.Module):
    """Adaptive instance normalisation with learned style projections (StyleGAN-style).

    ``forward(x, latent)``: InstanceNorm2d(x) * (1 + to_scale(latent)) + to_shift(latent), per channel; the two
    Linear layers start at zero (identity at init). ``latent=None``: plain instance normalisation.
    """

    def __init__(self, channels: int, latent_dim: int):
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.to_scale = nn.Linear(latent_dim, channels)
        self.to_shift = nn.Linear(latent_dim, channels)
        for layer in (self.to_scale, self.to_shift):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor, latent: torch.Tensor | None = None) -> torch.Tensor:
        x = self.norm(x)
        if latent is None:
            return x
        scale = 1.0 + self.to_scale(latent)
        shift = self.to_shift(latent)
        return x * scale[:, :, None, None] + shift[:, :, None, None]


class StyleEncoder(nn.Module):
    """Painting -> style latent ``(B, latent_dim)``: five stride-2 3x3 convs, each with ReLU, then global average
    pooling. The ReLU after the last conv (the study's choice) makes latents non-negative and allows dead units."""

    def __init__(self, in_channels: int = 3, latent_dim: int = 32, widths: tuple[int, ...] = STYLE_WIDTHS,
                 init: str = "default"):
        super().__init__()
        layers: list[nn.Module] = []
        prev = in_channels
        for width in (*widths, latent_dim):
            layers += [nn.Conv2d(prev, width, 3, stride=2, padding=1), nn.ReLU(inplace=True)]
            prev = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        if init == "he":  # variance-preserving through the ReLUs: latents of order 1 from the first step
            for conv in self.features:
                if isinstance(conv, nn.Conv2d):
                    nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
                    nn.init.zeros_(conv.bias)

    def forward(self, style: torch.Tensor) -> torch.Tensor:
        return self.pool(self.features(style)).flatten(1)


AUTO_WIDTHS = (16, 32, 64, 128)  # the automatic-mode head's widths (a quarter of the style encoder's)


class AutoHead(nn.Module):
    """Lightness -> a style latent ``(B, latent_dim)``: the style encoder's shape (stride-2 3x3 convs with ReLU, the
    last one too, so its latents live where the encoder's do, and global average pooling) at a quarter of its
    width, on the one lightness channel. It learns the style a photo's own colours would have given, from the gray
    image: what the model uses when there is no reference."""

    def __init__(self, latent_dim: int = 32, widths: tuple[int, ...] = AUTO_WIDTHS):
        super().__init__()
        self.encoder = StyleEncoder(1, latent_dim, widths)

    def forward(self, lightness: torch.Tensor) -> torch.Tensor:
        return self.encoder(lightness)


class Colorizer(nn.Module):
    """AdaIN UNet colouriser (see the module docstring). Build it with ``build_model(ModelConfig(...))``."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.channels
        enc_adain, dec_adain = cfg.encoder_adain, cfg.decoder_adain

        self.enc_blocks = nn.ModuleList(
            ConvBlock(1 if i == 0 else w[i - 1], w[i], final_norm=not enc_adain) for i in range(5)
        )
        self.enc_adain = nn.ModuleList(AdaIN(c, cfg.latent_dim) for c in w) if enc_adain else None
        self.enc_dropout = nn.ModuleList(nn.Dropout2d(cfg.dropout) for _ in range(5))
        self.pool = nn.MaxPool2d(2)

        # Decoder level j works at encoder level 3 - j (from the bottleneck up).
        levels = [3, 2, 1, 0]
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(w[i + 1], w[i], kernel_size=4, stride=2, padding=1, bias=not dec_adain) for i in levels
        )
        self.dec_adain = nn.ModuleList(AdaIN(w[i], cfg.latent_dim) for i in levels) if dec_adain else None
        self.fuse = nn.ModuleList(nn.Conv2d(2 * w[i], w[i], kernel_size=1) for i in levels)
        self.dec_blocks = nn.ModuleList(ConvBlock(w[i], w[i]) for i in levels)
        self.dec_dropout = nn.ModuleList(nn.Dropout2d(cfg.dropout) for _ in levels)

        self.head = nn.Conv2d(w[0], cfg.out_channels, kernel_size=1)
        self.activation = nn.Sigmoid() if cfg.space == "rgb" else nn.Tanh()

        self.style_encoder = StyleEncoder(cfg.style_channels, cfg.latent_dim, init=cfg.style_init) if cfg.adain else None
        self.auto_head = AutoHead(cfg.latent_dim) if cfg.auto_head else None

    # ----------------------------------------------------------------------------------------------------
    def _check_latent(self, latent: torch.Tensor | None, batch: int) -> None:
        if latent is None:
            return
        if not self.cfg.adain:
            raise ValueError("this model was built with adain=False: it takes no style latent")
        if latent.dim() != 2 or latent.shape[1] != self.cfg.latent_dim or latent.shape[0] not in (1, batch):
            raise ValueError(
                f"latent must have shape ({batch} or 1, {self.cfg.latent_dim}), got {tuple(latent.shape)}"
            )

    def forward(self, lightness: torch.Tensor, latent: torch.Tensor | None = None) -> torch.Tensor:
        """Lightness ``(B, 1, H, W)`` -> output ``(B, C, H, W)`` in network space (sigmoid RGB or tanh chroma).

        ``latent``: ``(B, latent_dim)`` or ``(1, latent_dim)`` (one style for the whole batch), or None for
        "no style". Any H, W >= 1 works (padded to a multiple of 16 and cropped back, see module docstring).
        """
        if lightness.dim() != 4 or lightness.shape[1] != 1:
            raise ValueError(f"lightness must have shape (B, 1, H, W), got {tuple(lightness.shape)}")
        self._check_latent(latent, lightness.shape[0])
        height, width = lightness.shape[-2:]
        pad_h = max(MIN_SIDE, -(-height // DOWNSAMPLE) * DOWNSAMPLE) - height
        pad_w = max(MIN_SIDE, -(-width // DOWNSAMPLE) * DOWNSAMPLE) - width
        x = F.pad(lightness, (0, pad_w, 0, pad_h), mode="replicate") if pad_h or pad_w else lightness

        skips = []
        for i in range(5):
            if i:
                x = self.pool(x)
            x = self.enc_blocks[i](x)
            if self.enc_adain is not None:
                x = self.enc_adain[i](x, latent)
            x = self.enc_dropout[i](x)
            skips.append(x)

        for j in range(4):
            x = self.up[j](x)
            if self.dec_adain is not None:
                x = self.dec_adain[j](x, latent)
            x = self.fuse[j](torch.cat([x, skips[3 - j]], dim=1))
            x = self.dec_blocks[j](x)
            x = self.dec_dropout[j](x)

        out = self.activation(self.head(x))
        return out[..., :height, :width] if pad_h or pad_w else out

    def auto_latent(self, lightness: torch.Tensor) -> torch.Tensor:
        """The automatic mode's latent ``(B, latent_dim)`` for network lightness ``(B, 1, H, W)``."""
        if self.auto_head is None:
            raise ValueError("this model has no automatic mode (built without auto_head)")
        return self.auto_head(lightness)

    def encode_style(self, style: torch.Tensor) -> torch.Tensor:
        """Style image as given by ``colorlib.color.style_input`` ``(B, 3|2, H, W)`` -> latent ``(B, latent_dim)``."""
        if self.style_encoder is None:
            raise ValueError("this model was built with adain=False: it has no style encoder")
        want = self.cfg.style_channels
        if style.dim() != 4 or style.shape[1] != want:
            raise ValueError(
                f"style input for space {self.cfg.space!r} must have shape (B, {want}, H, W) "
                f"(see colorlib.color.style_input), got {tuple(style.shape)}"
            )
        return self.style_encoder(style)

    @torch.no_grad()
    def colorize(
        self,
        rgb_or_gray: torch.Tensor,
        style_rgb: torch.Tensor | None = None,
        latent: torch.Tensor | str | None = None,
    ) -> torch.Tensor:
        """Inference convenience: RGB ``(B, 3, H, W)`` or grey ``(B, 1, H, W)`` image in [0, 1] -> RGB in [0, 1].

        Only the image's lightness is used. Style: an RGB painting ``style_rgb`` (``(B|1, 3, h, w)``, any size),
        or a ready ``latent``, or ``latent="auto"`` (the automatic mode's latent from the image itself), or
        neither ("no style"). A single image ``(C, H, W)`` is accepted and returns
        ``(3, H, W)``. Runs in eval mode without gradients and restores the previous train/eval mode.
        """
        if style_rgb is not None and latent is not None:
            raise ValueError("give style_rgb or latent, not both")
        image = rgb_or_gray
        single = image.dim() == 3
        if single:
            image = image.unsqueeze(0)
        if image.dim() != 4 or image.shape[1] not in (1, 3):
            raise ValueError(f"image must have shape (B, 1|3, H, W) or (1|3, H, W), got {tuple(image.shape)}")
        device = next(self.parameters()).device
        rgb = image.to(device=device, dtype=torch.float32)
        if rgb.shape[1] == 1:
            rgb = rgb.expand(-1, 3, -1, -1)  # a grey image is the RGB image with R = G = B
        lightness, _ = color.to_network(rgb, self.cfg.space)

        was_training = self.training
        self.eval()
        try:
            if style_rgb is not None:
                if style_rgb.dim() == 3:
                    style_rgb = style_rgb.unsqueeze(0)
                style = color.style_input(style_rgb.to(device=device, dtype=torch.float32), self.cfg.space)
                latent = self.encode_style(style)
            elif isinstance(latent, str) and latent == "auto":
                latent = self.auto_latent(lightness)
            elif latent is not None:
                latent = latent.to(device=device, dtype=torch.float32)
                if latent.dim() == 1:
                    latent = latent.unsqueeze(0)
            out = color.from_network(lightness, self(lightness, latent), self.cfg.space)
        finally:
            self.train(was_training)
        return out[0] if single else out


def build_model(cfg: ModelConfig | dict | str | None = None) -> Colorizer:
    """``Colorizer`` from a ``ModelConfig``, a dict of its fields, or a preset name (default: ``"final"``)."""
    if cfg is None:
        cfg = ModelConfig.preset("final")
    elif isinstance(cfg, str):
        cfg = ModelConfig.preset(cfg)
    elif isinstance(cfg, dict):
        cfg = ModelConfig.from_dict(cfg)
    return Colorizer(cfg)


class PatchDiscriminator(nn.Module):
    """pix2pix 70x70 PatchGAN: C64-C128-C256-C512 (4x4 convs, LeakyReLU 0.2) and a 1-channel map of logits.

    Strides 2, 2, 2, 1, 1 and padding 1 give each output pixel a 70x70 receptive field; a 256x256 input gives
    a 30x30 map. No norm on C64 (as in pix2pix); ``norm`` is ``"batch"`` (pix2pix default) or ``"instance"``
    (affine). Convs followed by a norm carry no bias (the norm's shift replaces it). Outputs are logits: pair
    with ``BCEWithLogitsLoss`` or a least-squares loss. ``in_channels``: e.g. 1 + 3 for a conditional
    (lightness, colour) pair.
    """

    def __init__(self, in_channels: int, base: int = 64, norm: str = "batch"):
        super().__init__()
        if norm not in ("batch", "instance"):
            raise ValueError(f"norm must be 'batch' or 'instance', got {norm!r}")

        def norm_layer(c: int) -> nn.Module:
            return nn.BatchNorm2d(c) if norm == "batch" else nn.InstanceNorm2d(c, affine=True)

        widths = (base, base * 2, base * 4, base * 8)
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, widths[0], 4, stride=2, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        for i, stride in ((1, 2), (2, 2), (3, 1)):
            layers += [
                nn.Conv2d(widths[i - 1], widths[i], 4, stride=stride, padding=1, bias=False),
                norm_layer(widths[i]),
                nn.LeakyReLU(0.2, inplace=True),
            ]
        layers.append(nn.Conv2d(widths[3], 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)
