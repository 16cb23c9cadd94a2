from sandbox.bank.app import build

__all__ = ["build"]
