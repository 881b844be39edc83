"""The baseline of `make bench BASELINE=<commit>`: that commit's filter
module and native render benchmark, built from `git archive` of the commit
into target/baseline/<commit>/ (its own source tree and cargo target
directory, outside the tree being measured). A finished build is kept
(target/baseline/<commit>/built), so a second run does not rebuild.

`python3 bench/baseline.py <commit>` builds it alone and prints the paths.
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def resolve(commit):
    """The full hash of `commit` (any name git accepts)."""
    return subprocess.run(["git", "rev-parse", "--verify", f"{commit}^{{commit}}"], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout.strip()


def build(commit):
    """(full hash, module path, native bench_render path), building once."""
    sha = resolve(commit)
    home = ROOT / "target/baseline" / sha[:12]
    src, target = home / "src", home / "target"
    wasm = target / "wasm32-wasip1/release/monogram.wasm"
    native = target / "release/examples/bench_render"
    stamp = home / "built"
    if stamp.exists() and wasm.exists() and native.exists():
        return sha, wasm, native
    if not (src / "Cargo.toml").exists():
        src.mkdir(parents=True, exist_ok=True)
        archive = subprocess.Popen(["git", "archive", sha], cwd=ROOT, stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(src)], stdin=archive.stdout, check=True)
        if archive.wait() != 0:
            raise RuntimeError(f"git archive {sha} failed")
    # The tree lies inside this repository's workspace: a commit whose
    # manifest names no workspace of its own would be taken for a member.
    manifest = src / "Cargo.toml"
    text = manifest.read_text()
    if not any(line.strip() == "[workspace]" for line in text.splitlines()):
        manifest.write_text(text + "\n[workspace]\n")
    env = {**os.environ, "CARGO_TARGET_DIR": str(target)}
    print(f"bench: building the baseline {sha[:12]} in {home} (once)", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "--target", "wasm32-wasip1"],
                   cwd=src, env=env, check=True)
    subprocess.run(["cargo", "build", "--release", "--example", "bench_render",
                    "--example", "passive_fonts"], cwd=src, env=env, check=True)
    # Its fonts into a passive segment with its own tool, as its `make build` does.
    subprocess.run([str(target / "release/examples/passive_fonts"), str(wasm)], cwd=src, check=True)
    stamp.write_text(sha + "\n")
    return sha, wasm, native


if __name__ == "__main__":
    print(*build(sys.argv[1] if len(sys.argv) > 1 else "HEAD"), sep="\n")
