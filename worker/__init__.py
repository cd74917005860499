"""The scoring worker: consumes ``score_jobs``, scores articles, stores results, announces them.

Why a queue of our own rather than pgqueuer (evaluated: pgqueuer 1.6.0). Ingest inserts the job with its
article in one multi-row ``insert ... select unnest(...)`` in the article's transaction, and the job row is
product data: it references the article (FK, cascade), names the model version, is unique per open
(article, model), and its attempts, last error and heartbeat are what the admin endpoints show. pgqueuer
owns its table (``pgqueuer``: entrypoint, opaque ``bytea`` payload, its own status enum and triggers),
enqueues through its own API, and moves finished jobs to a log table, so we would either keep two job
tables in step or give up the FK, the per-article uniqueness and readable job state. What we need from a
queue is small and standard, and lives in ``db/jobs.py``: ``FOR UPDATE SKIP LOCKED`` batch claims,
LISTEN/NOTIFY wake-up on a dedicated connection with a poll fallback, heartbeats, reclaim of stale
``running`` jobs by any worker after a heartbeat timeout, exponential backoff and dead-lettering after
``max_attempts`` with the last error kept on the row.

Delivery is at-least-once; effects are exactly-once because results are upserted by (article, model).
"""
