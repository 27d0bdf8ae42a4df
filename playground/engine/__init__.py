"""The compute engine: NumPy + Numba, never Qt. The UI and the CLI use it through `Trainer`."""
