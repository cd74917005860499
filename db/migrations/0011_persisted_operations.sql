-- Trusted persisted GraphQL operations: the allow-list for keys restricted to registered documents.
-- Postgres is their home (Redis keeps nothing on disk, and a restart must not lock those keys out);
-- Redis and each process keep copies for the hot path.

create table persisted_operations (
    sha256      text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
    document    text not null check (length(document) between 1 and 100000),
    name        text check (length(name) between 1 and 200),
    created_at  timestamptz not null default now()
);
