"""What a person reads at the entry points (the CLI, `make demo`, job processes) is the
project's own output: library logs, warnings and per-step progress bars are silenced there
(Python warnings go to the debug log), each long stage shows one progress bar of ours, and
`-v` shows everything the libraries say. Called before the libraries are imported: some read
their settings from the environment once, on import."""

from __future__ import annotations

import logging
import os
import sys
import warnings

log = logging.getLogger("pipeline")

NOISY_LOGGERS = ("bitsandbytes", "transformers", "datasets", "peft", "trl", "accelerate", "torch",
                 "huggingface_hub", "sentence_transformers", "urllib3", "httpx", "filelock")
QUIET_ENV = {
    "TRANSFORMERS_VERBOSITY": "error",
    "DATASETS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",  # datasets' map bars: "Tokenizing", "Truncating"...
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    # Plain tqdm bars inside libraries (transformers' "de-quantizing GGUF tensors"): tqdm reads
    # its defaults from TQDM_* variables; our own bar passes disable=False.
    "TQDM_DISABLE": "1",
}


def setup_output(verbose: bool = False) -> None:
    """Quiet libraries (verbose=False) or everything at debug level on stderr (verbose=True)."""
    if verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
        return
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.showwarning = _warning_to_debug


def _warning_to_debug(message, category, filename, lineno, file=None, line=None) -> None:
    log.debug("%s: %s (%s:%s)", category.__name__, message, filename, lineno)


class ProgressBar:
    """One bar for one long stage, fed by the stages' progress callbacks: (done, total) from
    evaluation, (step, total, loss, eta_s) from training."""

    def __init__(self, label: str, *, disable: bool = False):
        self.label, self.disable, self.bar = label, disable, None

    def __call__(self, done: int, total: int, loss: float | None = None, eta_s: float | None = None) -> None:
        if self.disable:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.label, file=sys.stderr, dynamic_ncols=True, leave=True, disable=False)
        self.bar.total = total
        self.bar.n = done
        if loss is not None:
            self.bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
