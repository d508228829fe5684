"""Helpers every app shares: request parsing, SVG charts, display filters. Imports none of Moshi's apps."""
