"""Customer matching: Splink scoring, constrained clustering, stable master ids, golden records."""
