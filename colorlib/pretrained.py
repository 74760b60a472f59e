"""The models that ship: trained colourisers saved in the Hugging Face layout, loaded without any data set.

``models/colorlib-rgb`` and ``models/colorlib-lab`` (colouring in a painting's style) and ``models/colorlib-auto``
(colouring without any reference: the winner of notebook 13's comparison), all written by notebook 13, each hold
``config.json`` (the model config, its training size, its "natural colours" latent and how it colours without a
reference), ``model.safetensors`` (the weights in half
precision: tensors only, nothing to unpickle) and ``README.md`` (the model card: data, licences, held-out
metrics, limitations). ``load(path_or_id)`` opens one of those folders, or a Hugging Face hub id for users with a
network (``huggingface_hub`` downloads the same two files; a repository without ``model.safetensors`` is refused,
never unpickled). ``default_path(space)`` is the shipped folder of a checkout or of an installed package.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import torch
from huggingface_hub import PyTorchModelHubMixin, constants, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, HFValidationError, LocalEntryNotFoundError
from torch import nn

from colorlib import files, models, paths

log = logging.getLogger(__name__)

SHIPPED = {"rgb": "colorlib-rgb", "lab": "colorlib-lab", "auto": "colorlib-auto"}
"""What the model is for (style in RGB, style in LAB, no reference) -> its folder name under ``models/``."""
AUTO_STYLES = ("none", "natural", "head")
"""How a shipped model colours without a reference: no style (plain instance normalisation, or the UNet
baseline), its natural-colours latent, or its automatic-mode head."""


class PretrainedColorizer(nn.Module, PyTorchModelHubMixin, library_name="colorlib", license="mit",
                         tags=["image-colorization", "adain", "style-transfer"]):
    """A ``models.Colorizer`` with what inference needs besides its weights.

    ``model``: the ``ModelConfig`` fields; ``train_size``: the crop side it was trained at (its working size);
    ``natural``: the mean style latent of its training photos ("natural colours"), or None; ``training``: a
    description of how it was trained (for the model card and ``config.json``); ``auto``: how it colours without a
    reference (``AUTO_STYLES``)."""

    def __init__(self, model: dict, train_size: int = 64, natural: list[float] | None = None,
                 training: dict | None = None, auto: str = "natural"):
        super().__init__()
        if auto not in AUTO_STYLES:
            raise ValueError(f"auto must be one of {AUTO_STYLES}, got {auto!r}")
        self.colorizer = models.build_model(models.ModelConfig.from_dict(dict(model)))
        self.train_size = int(train_size)
        self.natural = None if natural is None else torch.tensor(natural, dtype=torch.float32)[None]
        self.training_info = dict(training or {})
        self.auto = "none" if auto == "natural" and natural is None else auto
        if self.auto == "head" and self.colorizer.auto_head is None:
            raise ValueError("auto='head' needs a model with an automatic-mode head (model.auto_head=True)")

    def auto_latent(self) -> torch.Tensor | str | None:
        """The latent argument that colours without a reference: None, the natural latent, or "auto"."""
        return {"none": None, "natural": self.natural, "head": "auto"}[self.auto]

    def forward(self, lightness: torch.Tensor, latent: torch.Tensor | None = None) -> torch.Tensor:
        return self.colorizer(lightness, latent)

    def _save_pretrained(self, save_directory: Path) -> None:
        """The weights as a half-precision safetensors file (half the size; inference converts back to fp32); a tensor
        whose values overflow fp16 stays fp32."""
        from safetensors.torch import save_file

        tensors = {k: _half_if_it_fits(v.detach().cpu()) for k, v in self.state_dict().items()}
        with files.atomic_path(Path(save_directory) / constants.SAFETENSORS_SINGLE_FILE) as tmp:
            # One metadata key: safetensors writes the metadata map in random order, so two keys made each export
            # of the same weights a different file (a warm report re-run dirtied models/). The library's name is
            # in config.json and the model card.
            save_file(tensors, str(tmp), metadata={"format": "pt"})

    @classmethod
    def _from_pretrained(cls, *, model_id: str, revision, cache_dir, force_download, local_files_only, token,
                         map_location: str = "cpu", strict: bool = True, **model_kwargs):
        """Safetensors only (a repository with only pickled weights is refused), fp32 on ``map_location``."""
        from safetensors.torch import load_file

        if os.path.isdir(model_id):
            path = Path(model_id) / constants.SAFETENSORS_SINGLE_FILE
            if not path.is_file():
                raise FileNotFoundError(f"{model_id}: no {constants.SAFETENSORS_SINGLE_FILE} (colorlib never loads "
                                        f"pickled weights)")
        else:
            path = hf_hub_download(repo_id=model_id, filename=constants.SAFETENSORS_SINGLE_FILE, revision=revision,
                                   cache_dir=cache_dir, force_download=force_download, token=token,
                                   local_files_only=local_files_only)
        model = cls(**model_kwargs)
        state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(path)).items()}
        bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
        if bad:  # a NaN weight would colour every image black without a word
            raise ValueError(f"{path}: non-finite weights in {', '.join(bad[:3])}: the file is damaged")
        model.load_state_dict(state, strict=strict)
        return model.to(map_location).eval()


def _half_if_it_fits(tensor: torch.Tensor) -> torch.Tensor:
    """fp16 where the values survive it; fp32 otherwise (a batch-norm running variance of a LAB model exceeds
    fp16's 65504 and would be stored as infinity)."""
    if not tensor.is_floating_point():
        return tensor.contiguous()
    half = tensor.to(torch.float16)
    return (half if torch.isfinite(half).all() or not torch.isfinite(tensor).all() else tensor.float()).contiguous()


def from_run(run, natural: torch.Tensor | None, training: dict | None = None,
             auto: str = "natural") -> PretrainedColorizer:
    """A ``PretrainedColorizer`` holding a trained run's weights (``runs.Run``), its natural latent and how it
    colours without a reference."""
    import dataclasses

    cfg = run.config
    shipped = PretrainedColorizer(dataclasses.asdict(cfg.model), cfg.size,
                                  None if natural is None else [float(x) for x in natural.reshape(-1)],
                                  {"experiment": cfg.tag, "run_key": run.key, "epochs": cfg.epochs, "seed": cfg.seed,
                                   **(training or {})}, auto)
    shipped.colorizer.load_state_dict(run.model.state_dict())
    return shipped.eval()


def export(shipped: PretrainedColorizer, folder: str | os.PathLike, card: str) -> Path:
    """Write ``folder`` in the Hugging Face layout: ``config.json``, ``model.safetensors`` (fp16), ``README.md``
    (``card``, the model card). Returns the folder."""
    folder = Path(folder)
    shipped.save_pretrained(folder)
    files.write_text(folder / "README.md", card)
    files.write_json(folder / "config.json", json.loads((folder / "config.json").read_text()), indent=2,
                     sort_keys=True)  # the mixin's file, rewritten atomically and stably ordered
    return folder


def default_path(purpose: str = "rgb") -> Path | None:
    """The shipped model for ``purpose`` (a key of ``SHIPPED``): ``paths.models_dir() / <name>`` (``models/`` of this checkout), or the
    copy installed with the package (``colorlib/_models/<name>``); None when neither exists."""
    if purpose not in SHIPPED:
        raise ValueError(f"no shipped model for {purpose!r}; choose one of {', '.join(SHIPPED)}")
    name = SHIPPED[purpose]
    for folder in (paths.models_dir() / name, Path(__file__).resolve().parent / "_models" / name):
        if (folder / constants.SAFETENSORS_SINGLE_FILE).is_file():
            return folder
    return None


def _looks_like_a_path(source: str | os.PathLike) -> bool:
    """Whether ``source`` was meant as a folder rather than a hub id ("user/repo" or "repo")."""
    text = str(source)
    return isinstance(source, os.PathLike) or text.startswith(("/", ".", "~")) or text.count("/") > 1 or "\\" in text


def load(path_or_id: str | os.PathLike, device: str | torch.device = "cpu") -> PretrainedColorizer:
    """A shipped model from its folder or a Hugging Face hub id (``huggingface_hub`` caches the download). A
    folder that is not there, or an id the hub does not give (no network, no such repository), raises
    ``FileNotFoundError`` naming it."""
    source = os.path.expanduser(str(path_or_id))
    if not os.path.isdir(source) and _looks_like_a_path(path_or_id):
        raise FileNotFoundError(f"{path_or_id}: no such model folder")
    try:
        model = PretrainedColorizer.from_pretrained(source, map_location=str(device))
    except (HfHubHTTPError, HFValidationError, LocalEntryNotFoundError) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise FileNotFoundError(f"{path_or_id}: not a model folder here, and the Hugging Face hub did not give it "
                                f"({reason})") from None
    log.info("loaded %s (%s, working size %d px)", path_or_id, model.colorizer.cfg.space, model.train_size)
    return model


def model_card(title: str, purpose: str, shipped: PretrainedColorizer, metrics_rows: list[dict],
               licences: dict[str, int], notes: str) -> str:
    """The model card (``README.md`` of a shipped folder, with the hub's YAML header): what it does, how it was
    trained, its held-out metrics (``metrics_rows``: dicts of column -> text, as notebook 13 measured them), the
    licences of its training photos (licence -> count) and its limitations (``notes``)."""
    cfg = shipped.colorizer.cfg
    info = shipped.training_info
    head = "---\nlibrary_name: colorlib\nlicense: mit\ntags:\n- image-colorization\n- adain\n---\n"
    cols = list(metrics_rows[0]) if metrics_rows else []
    table = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    table += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in metrics_rows]
    lic = ", ".join(f"{name} ({n})" for name, n in sorted(licences.items(), key=lambda kv: (-kv[1], kv[0])))
    return "\n".join([
        head, f"# {title}", "",
        f"{purpose} A UNet ({cfg.widths} widths, {cfg.space.upper()} output) "
        f"{'with AdaIN layers steered by a ' + str(cfg.latent_dim) + '-number style latent' if cfg.adain else 'without AdaIN'}"
        f"; without a reference it colours by: {shipped.auto}. Working size {shipped.train_size} px: the network "
        f"runs at that short side and its colours are recombined with the input's own full-resolution lightness.",
        "", "```python", "from colorlib import inference",
        f"cm = inference.load_shipped({purpose_key(title)!r})", "```", "",
        "## Training", "",
        f"Experiment `{info.get('experiment')}` of the colorlib report (run `{info.get('run_key')}`, seed "
        f"{info.get('seed')}, {info.get('epochs')} epochs at {shipped.train_size} px) on the "
        f"{info.get('n_train', '?')} training photos of the embedded `{info.get('source', '?')}` set (the GCompris "
        f"educational images; Debian package gcompris-qt-data). Weights stored in half precision.", "",
        f"Licences of the training photos: {lic or 'unknown'}. Per-image attribution: "
        f"`report/data_attribution.md` of the repository.", "",
        "## Held-out metrics (notebook 13)", "", *table, "",
        "## Limitations", "", notes, ""])


def purpose_key(title: str) -> str:
    """The ``load_shipped`` purpose named in a card title ("colorlib-lab" -> "lab")."""
    for key, name in SHIPPED.items():
        if name in title:
            return key
    return "rgb"
