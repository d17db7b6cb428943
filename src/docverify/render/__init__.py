"""Turn results into something people read: terminal text (and, later, annotated images and HTML)."""
