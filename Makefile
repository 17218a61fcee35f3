# Each target bootstraps the virtual environments it needs.
# Torch is always the CPU build torch==2.13.0, installed first and pinned by constraints/torch.txt,
# so no dependency can pull a CUDA build.
PYTHON ?= python3.11
PIP_FLAGS = -q --disable-pip-version-check -c constraints/torch.txt
TORCH = torch==2.13.0
# Training clients that take callbacks=[...] like Trainer; they run on transformers 5.x.
CLIENTS = "trl==1.16.*" "sentence-transformers==6.2.*" "datasets>=3"

MAIN = .venv
HF5 = .venv-hf5
FLAIR013 = .venv-flair013
FLAIR014 = .venv-flair014
LLAMAFACTORY = .venv-llamafactory
AXOLOTL = .venv-axolotl

.PHONY: demo docs test test-fast test-main test-hf5 test-flair-legacy test-llamafactory test-axolotl test-wheel lint bench clean

$(MAIN)/.installed: pyproject.toml constraints/torch.txt
	$(PYTHON) -m venv $(MAIN)
	$(MAIN)/bin/pip install $(PIP_FLAGS) $(TORCH)
	$(MAIN)/bin/pip install $(PIP_FLAGS) -e ".[flair,hf,plot,notebooks,dev,trackers,twins,docs]" "transformers>=4.57,<5"
	touch $@

$(HF5)/.installed: pyproject.toml constraints/torch.txt
	$(PYTHON) -m venv $(HF5)
	$(HF5)/bin/pip install $(PIP_FLAGS) $(TORCH)
	$(HF5)/bin/pip install $(PIP_FLAGS) -e ".[hf,dev,trackers,twins]" "transformers>=5,<6" $(CLIENTS)
	touch $@

$(FLAIR013)/.installed: pyproject.toml constraints/torch.txt
	$(PYTHON) -m venv $(FLAIR013)
	$(FLAIR013)/bin/pip install $(PIP_FLAGS) $(TORCH)
	$(FLAIR013)/bin/pip install $(PIP_FLAGS) -e ".[dev]" "flair==0.13.1" "transformers>=4.57,<5"
	touch $@

$(FLAIR014)/.installed: pyproject.toml constraints/torch.txt
	$(PYTHON) -m venv $(FLAIR014)
	$(FLAIR014)/bin/pip install $(PIP_FLAGS) $(TORCH)
	$(FLAIR014)/bin/pip install $(PIP_FLAGS) -e ".[dev]" "flair==0.14.0" "transformers>=4.57,<5"
	touch $@

# LLaMA-Factory pins its own transformers (5.6) and pulls torchvision / torchaudio wheels that
# cannot load next to the CPU torch: they are removed; tests/stubs stands in for torchaudio,
# which LLaMA-Factory imports for audio inputs only.
$(LLAMAFACTORY)/.installed: pyproject.toml constraints/torch.txt
	$(PYTHON) -m venv $(LLAMAFACTORY)
	$(LLAMAFACTORY)/bin/pip install $(PIP_FLAGS) $(TORCH)
	$(LLAMAFACTORY)/bin/pip install $(PIP_FLAGS) -e ".[hf,dev]" "llamafactory==0.9.5" "tensorboard>=2.14"
	$(LLAMAFACTORY)/bin/pip uninstall -q -y torchvision torchaudio
	touch $@

# axolotl 0.19.0 is the newest release for Python 3.11 (0.20 needs 3.12); it brings its own
# transformers (5.16). The GPU wheels it pulls (xformers, triton, bitsandbytes, torchao) import
# next to the CPU torch with warnings about their missing CUDA kernels and are never used on
# CPU, so nothing is removed or stubbed. AXOLOTL_DO_NOT_TRACK: no telemetry (no network).
$(AXOLOTL)/.installed: pyproject.toml constraints/torch.txt
	$(PYTHON) -m venv $(AXOLOTL)
	$(AXOLOTL)/bin/pip install $(PIP_FLAGS) $(TORCH)
	$(AXOLOTL)/bin/pip install $(PIP_FLAGS) -e ".[hf,dev]" "axolotl==0.19.0"
	touch $@

demo: $(MAIN)/.installed
	$(MAIN)/bin/python -m demo

lint: $(MAIN)/.installed
	$(MAIN)/bin/ruff check .
	$(MAIN)/bin/ruff format --check .

test-main: $(MAIN)/.installed
	$(MAIN)/bin/python -m pytest --doctest-modules lrguard flair_lrguard hf_lrguard torch_lrguard tests

# The core, the rules and the command line with the hypothesis "dev" profile: under a minute.
test-fast: $(MAIN)/.installed
	HYPOTHESIS_PROFILE=dev $(MAIN)/bin/python -m pytest -q --doctest-modules lrguard tests/core tests/rules tests/cli

test-hf5: $(HF5)/.installed
	$(HF5)/bin/python -m pytest --doctest-modules lrguard hf_lrguard torch_lrguard tests/core tests/rules tests/hf tests/torch tests/clients tests/twins

# Flair < 0.15 loads its own checkpoints with torch.load's default weights_only=True, which
# torch >= 2.6 refuses for Flair models; torch's documented switch restores the old default.
test-flair-legacy: $(FLAIR013)/.installed $(FLAIR014)/.installed
	TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 $(FLAIR013)/bin/python -m pytest tests/flair tests/twins/test_flair_twins.py
	TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 $(FLAIR014)/bin/python -m pytest tests/flair tests/twins/test_flair_twins.py

test-llamafactory: $(LLAMAFACTORY)/.installed
	PYTHONPATH=tests/stubs $(LLAMAFACTORY)/bin/python -m pytest tests/llamafactory

test-axolotl: $(AXOLOTL)/.installed
	AXOLOTL_DO_NOT_TRACK=1 $(AXOLOTL)/bin/python -m pytest --doctest-modules hf_lrguard/axolotl.py tests/axolotl

# The built wheel in a clean venv (no torch, no numpy, no dev tools) on Python 3.10 - 3.13:
# the core and command-line tests run against the installed package.
test-wheel: $(MAIN)/.installed
	$(MAIN)/bin/python tools/test_wheel.py

# The documentation site from docs/: every warning (a broken link or anchor, a page missing
# from the navigation) fails the build.
docs: $(MAIN)/.installed
	NO_MKDOCS_2_WARNING=1 $(MAIN)/bin/mkdocs build --strict --site-dir build/site

test: lint docs test-main test-hf5 test-flair-legacy test-llamafactory test-axolotl test-wheel

# The range test's quality benchmark runs torch-lr-finder as a peer: the bench extra.
$(MAIN)/.bench-installed: $(MAIN)/.installed
	$(MAIN)/bin/pip install $(PIP_FLAGS) -e ".[bench]"
	touch $@

bench: $(MAIN)/.bench-installed
	$(MAIN)/bin/python -m benchmarks

clean:
	rm -rf $(MAIN) $(HF5) $(FLAIR013) $(FLAIR014) $(LLAMAFACTORY) $(AXOLOTL)
