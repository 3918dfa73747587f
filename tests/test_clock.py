"""Deadlines on the time a worker was given (``autograder.clock``): a busy machine does not shorten it, a
sleeping or blocked worker's time still runs."""
import os
import subprocess
import sys
import time

import pytest

from autograder.clock import WorkerClock, run_queue_wait

pytestmark = pytest.mark.skipif(run_queue_wait(os.getpid()) is None, reason="the kernel keeps no run-queue counts")
SPIN = "while True: pass"


def _on_cpu0(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", f"import os\nos.sched_setaffinity(0, {{0}})\n{code}"])


def test_a_busy_loop_is_judged_on_its_share_of_the_cpu():
    """Four busy loops on one CPU: the watched one runs a quarter of the time, and its clock says so."""
    rivals = [_on_cpu0(SPIN) for _ in range(3)]
    watched = _on_cpu0(SPIN)
    try:
        time.sleep(0.3)
        clock = WorkerClock(watched.pid).start()
        time.sleep(3.0)
        elapsed, wall = clock.elapsed(), clock.wall()
        assert watched.poll() is None and clock.pid == watched.pid
    finally:
        for proc in (*rivals, watched):
            proc.kill()
            proc.wait()
    assert wall >= 3.0
    assert 0.1 * wall < elapsed < 0.5 * wall, (elapsed, wall)  # about a quarter; never the wall time


def test_a_sleeping_worker_is_judged_on_wall_time():
    watched = _on_cpu0("import time; time.sleep(60)")
    try:
        time.sleep(0.3)
        clock = WorkerClock(watched.pid).start()
        time.sleep(1.5)
        elapsed, wall = clock.elapsed(), clock.wall()
        assert watched.poll() is None and clock.pid == watched.pid
    finally:
        watched.kill()
        watched.wait()
    assert elapsed == pytest.approx(wall, abs=0.1)
