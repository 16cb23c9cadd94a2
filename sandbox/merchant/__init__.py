from sandbox.merchant.app import build

__all__ = ["build"]
