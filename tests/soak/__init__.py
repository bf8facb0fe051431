"""The endurance soak of SPEC §19 (``python -m tests.soak``, ``tox -e soak``)."""
