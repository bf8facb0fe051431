"""Benchmarks of SPEC §9 (``python -m tests.benchmarks``; ``tox -e bench``).

Every figure is a ratio or a difference taken from one run, in CPU time of the calling thread,
with the API server in another process on loopback, so the server's own work never lands on
the measured thread and both sides of a ratio see the same machine at the same moment.
"""
