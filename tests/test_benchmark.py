"""Smoke test of benchmarks/bench_speed.py: it runs and writes its JSON (speed itself is never asserted)."""
import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_speed.py"


def test_bench_speed_quick_runs(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_speed", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "bench.json"
    bench.main(["--quick", "--steps", "1", "--warmup", "1", "--reps", "1", "--sizes", "32",
                "--variants", "eager", "--infer-size", "32", "--json", str(out)])
    result = json.loads(out.read_text())
    kinds = [row["kind"] for row in result["rows"]]
    assert kinds == ["train", "infer"] and not any("error" in row for row in result["rows"])
    assert "img/s" in capsys.readouterr().out
