"""Settings, domain records, the error tree and the published score scale; imports nothing of ours."""
