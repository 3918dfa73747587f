"""What each assignment's smoke thresholds are calibrated on, one module per assignment (named as in
``course.registry``): ``METRICS`` and ``measuring(folder, settings)``, a context manager yielding
``(measure, fixed)`` where ``measure(seed)`` returns {metric: value} for the reference copied into
``folder`` and ``fixed`` holds seed-independent figures; optionally ``contrasts(folder, settings)``.
Used by ``scripts/calibrate.py``; never shipped to students (the release copies no ``scripts/``)."""
