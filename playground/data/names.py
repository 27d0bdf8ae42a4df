"""Names of the data sources and 2-D features (PRODUCT.md section 1); the UI fills menus from these."""

CLASSIFICATION_2D: tuple[str, ...] = ("circle", "xor", "gauss", "spiral", "moons")
REGRESSION_2D: tuple[str, ...] = ("plane", "multigauss")
GENERATORS_2D: tuple[str, ...] = CLASSIFICATION_2D + REGRESSION_2D
CLASSIFICATION_SETS: tuple[str, ...] = ("iris", "wine", "breast_cancer", "digits")
REGRESSION_SETS: tuple[str, ...] = ("diabetes",)
SKLEARN_SETS: tuple[str, ...] = CLASSIFICATION_SETS + REGRESSION_SETS
SOURCES: tuple[str, ...] = GENERATORS_2D + SKLEARN_SETS + ("csv",)
FEATURES_2D: tuple[str, ...] = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
TASKS: tuple[str, ...] = ("classification", "regression")


def fixed_task(source: str) -> str | None:
    """The task a built-in source always has; None for csv (inferred from the file)."""
    if source in CLASSIFICATION_2D or source in CLASSIFICATION_SETS:
        return "classification"
    if source in REGRESSION_2D or source in REGRESSION_SETS:
        return "regression"
    return None
