"""Data sources, feature map, split and scaling. Never imports Qt."""

from playground.data.loader import load_dataset

__all__ = ["load_dataset"]
