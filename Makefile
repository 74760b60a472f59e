# Two commands do all set-up on a fresh Debian-like machine (see README):
#   make report   virtual env + embedded data + every notebook under the report profile
#   make test     virtual env + embedded data + the test suite (CI runs this)
# Both are idempotent: a second run skips the install, the data extraction and finished training runs.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= report
PYTEST_ARGS ?=
# Notebooks at a time for `make report` (JOBS=2 for a warm re-run on 2 cores; trainings still run one at a time)
JOBS ?= 1
export COLORLIB_CACHE ?= $(abspath .cache/colorlib)
# Passive OpenMP waiting: spinning threads make torch 5-10x slower when another process shares the CPU.
export OMP_WAIT_POLICY ?= PASSIVE

# LPIPS trunk weights for machines without a network: where ../shared/weights exists, seed a private
# TORCH_HOME with them (torch.hub looks in $TORCH_HOME/hub/checkpoints). Elsewhere torch.hub downloads
# the official weights as usual.
SHARED_WEIGHTS ?= ../shared/weights
ifneq ($(wildcard $(SHARED_WEIGHTS)/*.pth),)
export TORCH_HOME := $(abspath .cache/torch)
endif

.PHONY: report test install data weights chromium benchmark recheck clean-notebooks help
help:
	@echo "make report     regenerate every figure and report/claims.md (profile: $(PROFILE))"
	@echo "make recheck    after make report: its verdicts against the committed ones, each difference named"
	@echo "make test       run the test suite (installs Debian's chromium for the browser test when root)"
	@echo "make benchmark  print training/inference speed of the final model, the style picker's latency and the first colour's time"

# Every extra, at the exact versions of the report (constraints.txt; pyproject.toml only gives ranges).
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[notebooks,app,export,test]" -c constraints.txt
	touch $@

install: $(VENV)/.installed

weights:
ifdef TORCH_HOME
	@mkdir -p $(TORCH_HOME)/hub/checkpoints
	@cp -n $(SHARED_WEIGHTS)/*.pth $(TORCH_HOME)/hub/checkpoints/ 2>/dev/null || true
endif

data: install
	$(PY) -m colorlib.data prepare

report: install data weights
	$(PY) -m colorlib.report --profile $(PROFILE) --jobs $(JOBS)

# Debian's chromium for the real-browser test (tests/test_browser.py drives it with Playwright; no browser is
# downloaded). Installed when missing and we are root (CI); otherwise the test is skipped and says why.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser test ..."; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
	  || echo "WARNING: could not install chromium: tests/test_browser.py will be skipped"; \
	else \
	  echo "chromium is not installed and this is not root: tests/test_browser.py will be skipped" \
	       "(to run it: sudo apt-get install chromium)"; \
	fi

test: install data weights chromium
	$(PY) -m pytest $(PYTEST_ARGS)

recheck: install
	$(PY) -m colorlib.recheck

benchmark: install
	$(PY) benchmarks/bench_speed.py --json benchmarks/results.json
	$(PY) benchmarks/bench_picker.py
	$(PY) benchmarks/bench_video.py --json benchmarks/video.json
	$(PY) benchmarks/bench_first_colour.py --json benchmarks/first_colour.json
	$(PY) -m colorlib.readme

clean-notebooks: install
	$(PY) -m colorlib.notebook_hygiene --strip notebooks/*.ipynb
