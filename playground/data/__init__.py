"""Data sources, feature map, split and scaling. Never imports Qt."""
