"""CEIBO, the DIMO card processor (see :mod:`sandbox.sicoop.ceibo.app`)."""

from sandbox.sicoop.ceibo.app import build

__all__ = ["build"]
