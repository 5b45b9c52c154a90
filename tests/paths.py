"""Where the tests find the project's samples and the shared corpus, wherever a test file sits."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared" / "corpus"  # ../shared beside the checkout; may be absent
