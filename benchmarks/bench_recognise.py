"""What judging architecture and smoke runs in the parent costs, side by side with what it replaced.

    python benchmarks/bench_recognise.py

For each contract model of the reference solutions (graded from a copy, as in grading):
- ``recognise``: loading the grader's weights into a fresh instance and matching its outputs with the
  parent's rebuild (``recognition.recognise``), for the reference and for a model with one deviation
  the grader must search for (a missing ReLU), against one plain method call through the gateway;
- the smoke evaluation of the trained VAE: the negative ELBO of the test digits from the parent's rebuild
  (pulled weights) against the same number from encode/decode calls into the worker, as before.
Each time is the median of 5 runs; ratios are printed next to the times.
"""
from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch

from autograder import recognition, specs
from autograder.calibration import VAE_SMOKE
from autograder.evaluate import smoke_run, vae_terms
from autograder.gateway import Gateway
from course.data import load_images

ROOT = Path(__file__).resolve().parent.parent
NO_RELU = "\n\nclass NoReluAutoencoder(Autoencoder):\n    def encode(self, x):\n" \
          "        h = self.encoder_hidden[0](x)\n        return self.encoder_mu(h), self.encoder_logvar(h)\n"


def median_time(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("vae.py", "cvae.py", "conv_vae.py"):
            shutil.copy(ROOT / "solutions" / name, tmp)
        (Path(tmp) / "vae.py").write_text((Path(tmp) / "vae.py").read_text() + NO_RELU)
        with Gateway(tmp) as gw:
            cases = [
                ("vae.Autoencoder('vae')", ("vae.Autoencoder", "vae"), specs.mlp_autoencoder("vae"), specs.mlp_calls()),
                ("vae, no ReLU (searched)", ("vae.NoReluAutoencoder", "vae"), specs.mlp_autoencoder("vae"),
                 specs.mlp_calls()),
                ("cvae.CVAE()", ("cvae.CVAE",), specs.cvae(), specs.cvae_calls()),
                ("conv_vae.VAE()", ("conv_vae.VAE",), specs.conv_vae(), specs.conv_vae_calls(16, 28)),
            ]
            print(f"{'model':<26}{'one call ms':>12}{'recognise ms':>14}{'ratio':>8}")
            for label, (target, *args), spec, calls in cases:
                model = gw.new(target, *args)
                method, inputs = next(iter(calls.items()))
                call = median_time(lambda: recognition._call(model, method, inputs))
                rec = median_time(lambda: recognition.recognise(gw, gw.new(target, *args), spec, calls))
                print(f"{label:<26}{call * 1e3:12.1f}{rec * 1e3:14.1f}{rec / call:8.1f}")

            x_test = load_images("digits", train=False)[0].flatten(1)
            run = smoke_run(gw, "vae.Autoencoder", "vae", VAE_SMOKE, "vae", label="bench",
                            spec=specs.mlp_autoencoder("vae"), calls=specs.mlp_calls())
            worker = median_time(lambda: vae_terms(run.handle, x_test))
            parent = median_time(lambda: vae_terms(run.after, x_test))
            a, b = vae_terms(run.handle, x_test)["loss"], vae_terms(run.after, x_test)["loss"]
            print(f"\nsmoke evaluation of the trained VAE on {len(x_test)} test digits:")
            print(f"  encode/decode calls into the worker {worker * 1e3:8.1f} ms  (-ELBO {a:.3f})")
            print(f"  parent's rebuild of pulled weights  {parent * 1e3:8.1f} ms  (-ELBO {b:.3f})  "
                  f"ratio {parent / worker:.2f}")
            print(f"  threads: {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
