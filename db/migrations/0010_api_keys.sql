-- Partner access: hashed API keys with scopes and a per-key rate, and Idempotency-Key records.

create table api_keys (
    id              bigint generated always as identity primary key,
    -- The public part of the key ("tt_<key_id>_..."): a lookup handle, safe to show and log.
    key_id          text not null unique check (key_id ~ '^[a-z0-9]{8}$'),
    -- sha256 of the whole key; the secret half has 256 bits of entropy, so no salt or KDF is needed.
    key_hash        bytea not null check (length(key_hash) = 32),
    name            text not null check (length(name) between 1 and 100),
    scopes          text[] not null,
    rate_per_min    int check (rate_per_min between 1 and 1000000),
    -- Issue 5: a first-party front-end key may run only registered (persisted) GraphQL documents.
    persisted_only  boolean not null default false,
    created_at      timestamptz not null default now(),
    revoked_at      timestamptz
);

-- Stripe-style idempotency, scoped per API key: the first response is kept for 24 hours.
create table idempotency_keys (
    api_key_id        bigint not null references api_keys (id) on delete cascade,
    key               text not null,
    request_hash      bytea not null,
    status            text not null default 'in_flight' check (status in ('in_flight', 'done')),
    response_status   int,
    response_headers  jsonb,
    response_body     bytea,
    created_at        timestamptz not null default now(),
    locked_at         timestamptz not null default now(),
    primary key (api_key_id, key)
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);
