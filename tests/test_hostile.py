"""Hostile submissions: grading finishes in bounded time, exits 0, and no
submission scores more than its mathematics earns (none of these has any).

Each file of tests/hostile/ is handed in as vae.py.
"""
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.api import GRADED, grade
from autograder.rubric import item_ids

HOSTILE = Path(__file__).resolve().parent / "hostile"
CASES = sorted(p.stem for p in HOSTILE.glob("*.py"))
N_ITEMS = len(item_ids(GRADED / "vae"))  # twins included
CANARIES = [Path("/tmp/pwned_by_submission"), Path("/tmp/pwned_by_reply")]


@pytest.fixture
def short_limits(monkeypatch):
    """Tight per-call deadlines so hanging cases finish quickly; the limits are the same kind as in grading."""
    monkeypatch.setenv("AUTOGRADER_CALL_TIMEOUT", "3")
    monkeypatch.setenv("AUTOGRADER_TRAIN_TIMEOUT", "5")
    monkeypatch.setenv("AUTOGRADER_TOTAL_BUDGET", "25")
    for canary in CANARIES:
        canary.unlink(missing_ok=True)


def test_catalogue_is_large_enough():
    assert len(CASES) >= 12


@pytest.mark.parametrize("case", CASES)
def test_hostile_submission_earns_nothing(case, tmp_path, short_limits):
    (tmp_path / "vae.py").write_text((HOSTILE / f"{case}.py").read_text())
    started = time.monotonic()
    report = grade(tmp_path, ["vae"])
    elapsed = time.monotonic() - started
    assert report.score == 0, [(i.item_id, i.message) for i in report.items if i.passed]
    assert len(report.of("vae")) == N_ITEMS, "every item must appear in the results"
    assert all(i.message for i in report.items), "every lost point needs a message"
    assert elapsed < 120, f"grading took {elapsed:.0f} s"
    assert not any(c.exists() for c in CANARIES), "the submission ran a command outside the sandbox"


def test_results_json_is_written_by_the_parent_only(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "vae.py").write_text((HOSTILE / "background_rewriter.py").read_text())
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "autograder", sub, "--json", out, "-k", "kl"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**__import__("os").environ, "RESULTS_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    first = out.read_text()
    time.sleep(1.5)  # a surviving background thread would have rewritten it by now
    assert out.read_text() == first
    assert json.loads(first)["score"] == 0


def test_what_hidden_items_received_is_never_shown_to_students(tmp_path):
    """A file that prints and raises its inputs: on hidden items neither reaches a student-visible field."""
    from autograder.report import to_gradescope

    (tmp_path / "vae.py").write_text(
        "def reconstruction_loss(p, x):\n"
        "    print('PRINTED', tuple(p.shape))\n"
        "    raise ValueError(f'RAISED {p.tolist()}')\n\n"
        "kl_divergence = reconstruction_loss\n")
    data = to_gradescope(grade(tmp_path, ["vae"], keyword="held_out or test_reconstruction_loss"))
    hidden = [t for t in data["tests"] if t.get("visibility") == "after_published"]
    assert hidden and all("RAISED" not in t["output"] and "PRINTED" not in t["output"] for t in hidden)
    assert "PRINTED" not in data["output"]
    staff = [t for t in data["tests"] if t.get("visibility") == "hidden"]
    assert len(staff) == 1 and "PRINTED" in staff[0]["output"]
    public = [t for t in data["tests"] if t.get("visibility") == "visible" and "B.1a" in t["name"]]
    assert "RAISED" in public[0]["output"], "public items keep the student's own message"


def test_stride_zero_replies_keep_the_parent_small(tmp_path, short_limits):
    """The parent refuses replies that would be huge once materialised: its peak memory stays under 2 GB."""
    (tmp_path / "vae.py").write_text((HOSTILE / "stride_zero_reply.py").read_text())
    # VmHWM, the peak of this process's own memory: ru_maxrss would carry over the peak of the
    # (possibly large) test process that started it, across fork and exec.
    code = ("import re; from autograder.api import grade; "
            f"r = grade({str(tmp_path)!r}, ['vae'], keyword='kl or reconstruction_loss or reparameterize'); "
            "print(r.score, re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); "
            "print('\\n'.join(i.message for i in r.items))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    score, peak_kb = proc.stdout.splitlines()[0].split()
    assert float(score) == 0
    assert int(peak_kb) < 2 * 1024 * 1024, f"the parent peaked at {int(peak_kb) / 1024:.0f} MB"
    assert "elements; the limit is" in proc.stdout
