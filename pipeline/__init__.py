"""loan-audit's stages: ingest → normalise → validate → detect → outputs."""
