"""Memory of the corpus_search server's index, against the size of the corpus file.

    python -m benchmarks.corpus_memory [--mb 20] [--corpus FILE] [--out FILE.json]

Writes a synthetic JSONL corpus of about `--mb` megabytes (Zipf-distributed words, passages of
40-160 words, like Wikipedia paragraphs) unless `--corpus` names a real one, then opens it with
`CorpusIndex.open` in a fresh process twice: once building the index (no cache yet), once
loading the cached index. For each it prints the resident memory the open added (steady, after
the open) and the peak resident memory of the process, as megabytes and as multiples of the
file's size, plus the command that produced them.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter: RSS before and after the open, and the peak (ru_maxrss, kB).
_MEASURE = """
import gc, json, resource, sys, time
from pathlib import Path
from tools.servers.corpus import CorpusIndex
def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
before, started = rss(), time.perf_counter()
index = CorpusIndex.open(sys.argv[1], cache_dir=sys.argv[2])
seconds = time.perf_counter() - started
gc.collect()
index.search("alpha beta", 5)
print(json.dumps({"added": rss() - before, "before": before, "seconds": seconds,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def synthetic_corpus(path: Path, megabytes: float, seed: int = 0) -> int:
    """Write a JSONL corpus of about `megabytes` MB; returns its passage count."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocabulary = ["".join(rng.choice(letters, rng.integers(3, 11))) for _ in range(100_000)]
    target, written, count = megabytes * 1e6, 0, 0
    with path.open("w", encoding="utf-8") as file:
        while written < target:
            words = rng.zipf(1.2, rng.integers(40, 160)) % len(vocabulary)
            title = " ".join(vocabulary[w] for w in rng.integers(0, len(vocabulary), 2))
            text = " ".join(vocabulary[w] for w in words) + "."
            line = json.dumps({"id": f"doc-{count}", "title": title, "text": text}) + "\n"
            written += len(line.encode())
            file.write(line)
            count += 1
    return count


def measure(corpus: Path, cache_dir: Path) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(corpus), str(cache_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"corpus_memory: opening {corpus} failed:\n{result.stderr.strip()}")
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=20.0, help="synthetic corpus size (20)")
    parser.add_argument("--corpus", type=Path, help="measure this corpus instead")
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="memento-corpus-bench-") as tmp:
        corpus = args.corpus or Path(tmp, "corpus.jsonl")
        passages = None if args.corpus else synthetic_corpus(corpus, args.mb)
        size = corpus.stat().st_size
        cache = Path(tmp, "cache")
        figures = {"build": measure(corpus, cache), "cached": measure(corpus, cache)}
    print(
        f"corpus: {corpus.name}, {size / 1e6:.1f} MB"
        + (f", {passages} passages" if passages else "")
    )
    for phase, m in figures.items():
        print(
            f"{phase:>6}: added {m['added'] / 1e6:7.1f} MB ({m['added'] / size:5.1f}x the file), "
            f"peak {m['peak'] / 1e6:7.1f} MB "
            f"({(m['peak'] - m['before']) / size:5.1f}x above start), "
            f"{m['seconds']:.1f} s"
        )
    command = "python -m benchmarks.corpus_memory " + shlex.join(sys.argv[1:])
    print(f"command: {command.strip()}  (Python {platform.python_version()}, {platform.machine()})")
    if args.out:
        record = {"command": command.strip(), "corpus_bytes": size, "passages": passages, **figures}
        args.out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
