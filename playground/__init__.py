"""playground: a desktop neural-network playground with a PyTorch-exact NumPy + Numba engine."""

__version__ = "0.1.0"
