"""The stored smoke thresholds are their rules applied to the recorded calibration runs.

docs/calibration/<assignment>.txt is what ``scripts/calibrate.py <assignment>`` wrote: the reference's
range of every metric over 20 seeds. Applying each rule of ``autograder.calibration`` to those ranges
must give exactly the stored threshold, so a threshold edited by hand (or a rule changed without a new
calibration run) fails here. Reads text files only: no training.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder import calibration
from course import registry

DOCS = Path(__file__).resolve().parent.parent / "docs" / "calibration"
SMOKED = [name for name in registry.names() if name in calibration.SMOKE]


def recorded_ranges(name: str) -> dict[str, tuple[float, float]]:
    """metric -> (min, max) from the "ranges over the seeds" block of docs/calibration/<name>.txt."""
    lines = (DOCS / f"{name}.txt").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("ranges over the seeds"))
    ranges = {}
    for line in lines[start + 1:]:
        if not line.strip():
            break
        metric, lo, hi, _at_graded_seed = line.split()
        ranges[metric] = (float(lo), float(hi))
    return ranges


@pytest.mark.parametrize("name", registry.names())
def test_smoke_settings_come_with_rules(name):
    assert (name in calibration.SMOKE) == (name in calibration.RULES), f"{name}: smoke settings and rules go together"
    assert set(calibration.SMOKE) <= set(registry.names()), "smoke settings for an assignment the registry lacks"


@pytest.mark.parametrize("name", SMOKED)
def test_every_threshold_has_a_rule_on_a_recorded_metric(name):
    settings, rules = calibration.SMOKE[name], calibration.RULES[name]
    thresholds = set(settings) - calibration.SETTING_KEYS
    assert thresholds == set(rules), f"{name}: threshold keys without a rule or rules without a key"
    ranges = recorded_ranges(name)
    for key, rule, stored in calibration.thresholds(rules, settings):
        assert rule.metric in ranges, f"{name} {key}: {rule.metric} is not recorded in docs/calibration/{name}.txt"
        assert isinstance(stored, float | int), f"{name} {key}: a number, got {stored!r}"


THRESHOLDS = [pytest.param(name, key, id=f"{name}-{key}") for name in SMOKED
              for key, _, _ in calibration.thresholds(calibration.RULES[name], calibration.SMOKE[name])]


@pytest.mark.parametrize(("name", "key"), THRESHOLDS)
def test_stored_threshold_follows_its_rule(name, key):
    ranges = recorded_ranges(name)
    rule, stored = next((r, s) for k, r, s in calibration.thresholds(calibration.RULES[name], calibration.SMOKE[name])
                        if k == key)
    value = rule.value(*ranges[rule.metric])
    assert abs(value - stored) <= 1e-6 * rule.step, (
        f"{name} {key} = {stored}, but its rule {rule.text} gives {value} from the recorded range "
        f"{ranges[rule.metric]}: recalibrate with scripts/calibrate.py {name} or fix the rule")


@pytest.mark.parametrize("name", SMOKED)
def test_the_reference_passes_its_own_thresholds(name):
    ranges = recorded_ranges(name)
    for key, rule, stored in calibration.thresholds(calibration.RULES[name], calibration.SMOKE[name]):
        lo, hi = ranges[rule.metric]
        assert rule.passes(lo, hi, stored), f"{name} {key} = {stored}: the reference's {rule.metric} spans {lo}..{hi}"


def test_rules_round_as_stated():
    rule = calibration.upper("m", times=1.05, step=1, rounding="up", why="worst + 5%")
    assert rule.value(0.0, 100.86) == 106 and rule.passes(0.0, 100.86, 106) and not rule.passes(0.0, 106.5, 106)
    rule = calibration.lower("m", times=0.6, step=0.01, rounding="down", why="0.6 x the worst")
    assert rule.value(0.284, 0.383) == 0.17 and rule.passes(0.284, 0.383, 0.17)
    assert calibration.upper("m", plus=6, step=1, rounding="up", why="").value(0, 173.0) == 179  # exact: no bump


def test_free_architectures_are_calibrated_over_published_ones():
    """faces.py's architecture is free: its recorded calibration covers the reference and every published
    architecture of its catalogue (scripts/measures/faces.py measures them), at least two besides the reference."""
    from tests.catalogues.faces import ARCHITECTURES

    line = next(line for line in (DOCS / "faces.txt").read_text().splitlines() if line.startswith("Architectures:"))
    recorded = [name.strip() for name in line.removeprefix("Architectures:").split(";")[0].split(",")]
    assert recorded[0] == "reference" and {v.name for v in ARCHITECTURES} <= set(recorded[1:])
    assert len(ARCHITECTURES) >= 2
