"""The collection network, Red de Cobranzas (see :mod:`sandbox.sicoop.red.app`)."""

from sandbox.sicoop.red.app import build

__all__ = ["build"]
