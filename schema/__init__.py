"""Strawberry GraphQL: types, resolvers, per-request DataLoaders, the schema and its ASGI view."""
