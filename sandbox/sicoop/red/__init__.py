"""The collection network (Red de Cobranzas). Health-only until its flow lands."""

from sandbox.kit.shell import build_shell as build

__all__ = ["build"]
