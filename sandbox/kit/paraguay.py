"""Moved to :mod:`sandbox.protocols.paraguay` (issue 11). This re-export keeps the cash parties'
imports working until their reshaping branch points them there; then this module goes."""

from sandbox.protocols.paraguay import normalize_phone, parse_pyg

__all__ = ["normalize_phone", "parse_pyg"]
