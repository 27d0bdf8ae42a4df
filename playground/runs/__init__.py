"""Runs kept and compared, and sweeps of many runs in worker processes; never Qt.

``record``: one finished (or interrupted) run as a frozen ``RunRecord``, its curves bounded
in memory. ``compare``: the config keys that differ between runs, and a config with one key
changed. ``smoothing``: TensorBoard's debiased exponential moving average. ``sweep``: a grid
of configs times seeds, trained in worker processes (``worker``) as ``playground train``
trains each; ``plot``: its curves as a PNG, drawn with matplotlib's Agg canvas.
"""
