"""Seed data: reference tickers with aliases, demo articles, the reference example article, and the loader."""
