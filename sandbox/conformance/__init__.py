"""Conformance runs against a participant's own system (``coop-sandbox conformance``).

``operations``, ``declaration``, ``groups`` and ``verdict`` are pure; ``plugin`` is the pytest
plugin that records the evidence; ``report`` writes the report folder; ``runner`` starts what the
participant needs around it and runs the scenarios; ``cli`` is the command.
"""
