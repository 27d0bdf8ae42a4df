"""Weight files: writers and readers chosen by file extension, and atomic writes."""
