"""Speed and scale benchmarks: scripts that print figures (run with `python -m benchmarks.NAME`)."""
