"""Use cases: ingest, queries, scoring pipeline steps; the only layer transports call."""
