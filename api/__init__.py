"""The Starlette app: REST ``/v1``, the GraphQL mount, errors as problem+json, docs, health."""
