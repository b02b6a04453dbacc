"""Speed and scale benchmarks (issue 6): ``python -m benchmarks.scale`` or ``make bench``."""
