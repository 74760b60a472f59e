"""Every profile resolves for every notebook, every named experiment validates under it, and the `paper`
profile starts: offline it stops at once with a message that names the hub source and the offline default."""
import time

import pytest

from colorlib import evaluation, experiments, profiles, report


@pytest.mark.parametrize("profile", profiles.names())
def test_every_notebook_resolves(profile):
    for path in report.notebooks():
        P = profiles.resolve(profile, path.name[:2])
        assert P.profile == profile and P.size % 16 == 0


@pytest.mark.parametrize("profile", profiles.names())
def test_every_experiment_config_validates(profile):
    P = profiles.resolve(profile)
    for name in experiments.EXPERIMENTS:
        cfg = experiments.config(name, P)
        assert cfg.size == P.size and cfg.source == P.source


def test_unknown_profile_and_parameter_are_named():
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        profiles.resolve("huge")
    with pytest.raises(ValueError, match="epoch"):
        profiles.resolve("report", "03", epoch=3)


def test_a_malformed_set_is_one_line_naming_it(capsys, monkeypatch):
    monkeypatch.delenv(profiles.OVERRIDES_ENV, raising=False)
    for bad, said in [("epochs=[3", "error: --set epochs=[3: the value is not valid YAML"),
                      ("epochs", "error: --set expects KEY=VALUE, got 'epochs'"),
                      ("nonsense=3", "error: unknown parameter(s) nonsense in the overrides")]:
        assert report.main(["--set", bad, "--dry-run"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(said) and "Traceback" not in err


def test_paper_profile_starts_and_fails_fast_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    P = profiles.resolve("paper", "03")
    assert P.source == "imagenet-1k" and P.style_source == "huggan/wikiart" and P.size == 128
    start = time.perf_counter()
    with pytest.raises(Exception) as err:
        evaluation.photos(P, split="train", limit=8)
    assert time.perf_counter() - start < 10
    assert "imagenet-1k" in str(err.value)


def test_seeds_are_the_profiles_and_can_be_overridden():
    assert profiles.resolve("report", "03").seeds == (0, 1, 2) and profiles.resolve("smoke").seeds == (0,)
    P = profiles.resolve("report", "03", seeds=[3, 4, 5])  # a papermill parameter arrives as a list
    assert P.seeds == (3, 4, 5) and P.seed == 0  # the single-seed choices (snapshots, figures) stay
    assert [c.seed for c in (experiments.config("final", experiments.with_seed(P, s)) for s in P.seeds)] == [3, 4, 5]
    for bad in ([], [1, 1], [-1], ["0"]):
        with pytest.raises(ValueError, match="seeds must be distinct integers"):
            profiles.resolve("report", seeds=bad)
