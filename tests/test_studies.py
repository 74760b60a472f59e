"""The further studies' library functions (notebooks 07-11): experiment configs, snapshots, colour measures,
the paired test, colourfulness subsets, training on given photos, Reinhard transfer measured like a model,
the comparison table and its README block.

Training tests use a tiny UNet at 32 px on the embedded set's first training photos (the ``smoke`` profile);
their runs go through the ordinary run cache, like the notebooks' smoke runs.
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from skimage import data as skdata

import colorlib  # noqa: F401  (torchvision shim first)
from colorlib import experiments, metrics, models, profiles, readme

TINY = {"widths": [4, 8, 8, 8, 8], "latent_dim": 8, "dropout": 0.0}
NO_LPIPS = SimpleNamespace(lpips_net=None)


@pytest.fixture(scope="module")
def photos() -> torch.Tensor:
    imgs = [skdata.astronaut()[::8, ::8], skdata.coffee()[::6, ::6][:64, :64], skdata.chelsea()[::4, ::4][:64, :64]]
    return metrics.as_batch(np.stack(imgs))


@pytest.fixture(scope="module")
def smoke():
    return profiles.resolve("smoke", "08")


def test_study_experiments_are_what_the_notebooks_say():
    P = profiles.resolve("report", "07")
    losses = [experiments.config(name, P) for name in experiments.LOSS_STUDY.values()]
    for cfg in losses:
        assert cfg.mode == "baseline" and not cfg.model.adain and cfg.model.space == "lab"
        assert cfg.model.widths == "quarter" and cfg.epochs == 20
    assert [c.loss for c in losses] == [{"mse": 1.0}, {"l1": 1.0}, {"huber": 1.0, "huber_delta": 0.1},
                                        {"lpips": 1.0, "lpips_net": "squeeze"},
                                        {"mse": 1.0, "lpips": 0.1, "lpips_net": "squeeze"}]
    p2p, l1 = experiments.config("pix2pix", profiles.resolve("report", "09")), losses[1]
    assert p2p.gan.weight == pytest.approx(1 / experiments.PIX2PIX_LAMBDA) and p2p.gan.base == 64
    assert p2p.gan.betas == (0.5, 0.999) and p2p.gan.lr == 2e-4 and p2p.gan.loss == "bce"
    # The adversarial term is the only difference between pix2pix and 07's L1 run.
    assert {**p2p.key_dict(), "gan": None} == l1.key_dict()
    luv, lab = (experiments.config(n, profiles.resolve("report", "10")) for n in ("luv", "lab"))
    assert luv.model.space == "luv" and {**luv.key_dict(), "model": None} == {**lab.key_dict(), "model": None}
    # 10 and 11 rebuild 06's and 03's runs: same keys as those notebooks' configs.
    assert lab.key_dict() == experiments.config("lab", profiles.resolve("report", "06")).key_dict()


def test_chroma_detail(photos):
    flat = torch.ones(1, 3, 16, 16) * torch.tensor([0.8, 0.2, 0.1]).view(1, 3, 1, 1)
    assert experiments.chroma_detail(flat)[0] == pytest.approx(0.0, abs=1e-6)
    assert experiments.chroma_detail(metrics.gray_baseline(photos)).max() < 1e-3
    blurred = torch.nn.functional.avg_pool2d(photos, 5, stride=1, padding=2, count_include_pad=False)
    assert (experiments.chroma_detail(blurred) < experiments.chroma_detail(photos)).all()


def test_chroma_grid_score(photos):
    checker = photos.clone()
    checker[:, 0, ::2, ::2] = (checker[:, 0, ::2, ::2] + 0.3).clamp(0, 1)  # a red/green checkerboard in the chroma
    smooth, noisy = experiments.chroma_grid_score(photos), experiments.chroma_grid_score(checker)
    assert (noisy > 3 * smooth).all() and (smooth < 0.1).all()
    assert experiments.chroma_grid_score(photos[:1]).shape == (1,)


def test_quality_ratios(photos):
    same = experiments.quality(None, photos, NO_LPIPS, pred=photos)
    assert same["colour_ratio"] == pytest.approx(1.0) and same["detail_ratio"] == pytest.approx(1.0)
    assert same["lpips"] is None and same["psnr"] == metrics.PSNR_CAP_DB
    gray = experiments.quality(None, photos, NO_LPIPS, pred=metrics.gray_baseline(photos))
    assert gray["colour_ratio"] == pytest.approx(0.0, abs=1e-6) and gray["detail_ratio"] < 1e-3
    assert gray["grid"] > 0 and same["grid_ab"] > 0


def test_paired():
    a = np.arange(10.0) + 1.0
    res = experiments.paired(a, a - 0.5)
    assert res["share_a_greater"] == 1.0 and res["p_a_greater"] < 0.01 and res["mean_diff"] == pytest.approx(0.5)
    assert experiments.paired(a - 0.5, a)["p_a_greater"] > 0.99
    assert np.isnan(experiments.paired(a, a)["p_a_greater"])
    with pytest.raises(ValueError, match="equal-length"):
        experiments.paired(a, a[:3])


def test_chroma_split(smoke):
    split = experiments.chroma_split(smoke, 0.5)
    s = split.summary()
    assert s["n_photos"] == smoke.limit and s["n_low"] == s["n_high"] == smoke.limit // 2
    assert s["low_max"] <= s["high_min"] and s["mean_low"] < s["mean_all"] < s["mean_high"]
    assert not {r.name for r in split.low} & {r.name for r in split.high}
    assert split.low_idx == sorted(split.low_idx)  # training order kept
    third = experiments.chroma_split(smoke, 1 / 3)
    assert len(third.low) == smoke.limit // 3 and third.summary()["low_max"] <= s["low_max"]
    with pytest.raises(ValueError, match="fraction"):
        experiments.chroma_split(smoke, 0.7)


@pytest.mark.slow
def test_snapshot_is_the_start_of_the_longer_run(smoke):
    long = experiments.run("loss_l1", smoke, progress=False, epochs=2, model=TINY)
    short = experiments.snapshot("loss_l1", smoke, 1, progress=False, model=TINY)
    assert short.weights == "last" and short.config.epochs == 1 and len(long.history) == 2
    assert experiments.same_start(short, long) == 0.0
    assert experiments.same_start(short, long, key="val_loss") == 0.0
    assert np.isnan(experiments.same_start(long, short))
    assert np.isnan(experiments.val_instability(short))


@pytest.mark.slow
def test_run_on_trains_on_the_given_photos(smoke):
    split = experiments.chroma_split(smoke, 0.5)
    run = experiments.run_on("unet", smoke, split.low, progress=False, model=TINY, loss="mse")
    manifest = json.loads((run.dir / "manifest.json").read_text())
    assert sorted(m["name"] for m in manifest if m["role"] == "train") == sorted(r.name for r in split.low)
    assert any(m["role"] == "val" for m in manifest)
    other = experiments.run_on("unet", smoke, split.high, progress=False, model=TINY, loss="mse")
    assert other.key != run.key
    assert experiments.run_on("unet", smoke, split.low, progress=False, model=TINY, loss="mse").cached


def test_summarise_transfer_matches_style_transfer(photos):
    torch.manual_seed(0)
    model = models.build_model(models.ModelConfig.preset("final", **TINY))
    for p in model.parameters():  # AdaIN projections start at zero; give the style path an effect
        torch.nn.init.normal_(p, std=0.05) if p.dim() > 1 else None
    styles = photos.flip(0)[:2]
    st = experiments.style_transfer(model, photos, styles, ["a", "b"])
    again = experiments.summarise_transfer(st.outputs, st.oracle, photos, styles, ["a", "b"])
    assert again.summary == st.summary and again.per_painting == st.per_painting


def test_reinhard_style_transfer_and_styled_metrics(photos):
    styles = torch.stack([torch.ones(3, 32, 32) * torch.tensor(c).view(3, 1, 1) for c in
                          ([0.9, 0.3, 0.2], [0.2, 0.4, 0.9])]) + 0.05 * torch.rand(2, 3, 32, 32)
    st = experiments.reinhard_style_transfer(photos, photos, styles.clamp(0, 1), ["red", "blue"])
    assert st.outputs.shape == (3, 2, 3, 64, 64)
    # The oracle (statistics of each photo's own truth applied to itself) is the photo up to clipping.
    assert torch.allclose(st.oracle, photos, atol=2e-3)
    assert st.summary["transfer"] > 0.3 and st.summary["style_effect"] > 0.05
    m = experiments.styled_metrics(st, photos, NO_LPIPS)
    assert m["colourfulness_true"] == pytest.approx(float(np.mean(metrics.colourfulness(photos))))
    # outputs[i, j] is compared with photo i: styling each photo with itself gives perfect scores.
    self_styled = experiments.StyleTransfer([], {}, outputs=photos[:, None].expand(-1, 2, -1, -1, -1), oracle=photos)
    perfect = experiments.styled_metrics(self_styled, photos, NO_LPIPS)
    assert perfect["psnr"] == metrics.PSNR_CAP_DB and perfect["ciede2000"] == pytest.approx(0.0, abs=1e-6)


def _fake_comparison():
    row = {c: 1.0 for c in experiments.COMPARISON_COLUMNS}
    return {"rows": [{**row, "model": "gray", "notebook": "02", "space": "-", "style": "-", "epochs": 0,
                      "transfer": None, "style_effect": None, "lpips": None},
                     {**row, "model": "AdaIN RGB", "notebook": "03", "space": "rgb", "style": "paintings", "epochs": 30,
                      "transfer": 0.25}],
            "runs": {}, "n_test": 25, "n_paintings": 29, "colourfulness_true": 40.0, "lpips_label": "LPIPS-x",
            "profile": "report", "size": 64, "best": {"PSNR": "gray"}, "best_without_truth": {"PSNR": "gray"}}


def test_comparison_markdown_and_readme_block(tmp_path, monkeypatch):
    result = _fake_comparison()
    text = experiments.comparison_markdown(result)
    assert "| model | notebook | space | style | epochs |" in text
    assert "| gray | 02 | - | - | 0 |" in text and "| n/a |" in text and "| 0.25 |" in text
    monkeypatch.setattr(readme, "REPORT", tmp_path)
    assert "make report" in readme.block_comparison()
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "11.json").write_text(json.dumps(result))
    block = readme.block_comparison()
    assert "| AdaIN RGB | paintings | 30 | 1.00 | 1.00 | 1.000 | 1.0 | 1.000 | 0.250 |" in block
    assert "| gray | - | 0 |" in block and "Best on the held-out photos" in block
    page = tmp_path / "README.md"
    page.write_text("a\n<!-- generated:comparison -->\nold\n<!-- /generated:comparison -->\nb\n")
    monkeypatch.setattr(readme, "BLOCKS", {"comparison": readme.block_comparison})
    assert readme.update(page) and "AdaIN RGB" in page.read_text() and "old" not in page.read_text()
