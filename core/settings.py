"""The one typed settings class, read from the environment at each process entry and passed down."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    env: Literal["development", "production", "test"] = Field(
        default="production", validation_alias="TICKERTONE_ENV"
    )
    database_url: SecretStr = Field(
        default=SecretStr("postgresql://postgres@127.0.0.1:5432/tickertone"),
        validation_alias="DATABASE_URL",
    )
    database_read_url: SecretStr | None = Field(default=None, validation_alias="DATABASE_READ_URL")
    redis_url: SecretStr = Field(default=SecretStr("redis://127.0.0.1:6379/0"), validation_alias="REDIS_URL")
    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    port: int = Field(default=8000, ge=1, le=65535, validation_alias="PORT")
    db_pool_min: int = Field(default=2, ge=1, validation_alias="DB_POOL_MIN")
    db_pool_max: int = Field(default=10, ge=1, validation_alias="DB_POOL_MAX")
    request_timeout_s: float = Field(default=2.0, gt=0, validation_alias="REQUEST_TIMEOUT_S")
    max_body_bytes: int = Field(default=5_000_000, ge=1024, validation_alias="MAX_BODY_BYTES")
    max_batch: int = Field(default=1000, ge=1, validation_alias="MAX_BATCH")
    cache_ttl_s: int = Field(default=300, ge=1, validation_alias="CACHE_TTL_S")
    # Off only to measure or debug the uncached path; generations are still bumped on writes.
    response_cache: bool = Field(default=True, validation_alias="RESPONSE_CACHE")
    # Per API process: responses already seen, sent again while Redis confirms they are current.
    response_cache_local_mb: int = Field(
        default=32, ge=0, le=4096, validation_alias="RESPONSE_CACHE_LOCAL_MB"
    )
    # Hits answered from those copies with no Redis round trip while Redis pushes generation changes
    # (cache/tracking.py). Off: every hit asks Redis whether its copy is current.
    local_hits: bool = Field(default=True, validation_alias="LOCAL_HITS")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    # Scoring worker (worker/). Concurrency is the number of scorer processes; each loads the model once.
    worker_concurrency: int = Field(default=2, ge=1, le=64, validation_alias="WORKER_CONCURRENCY")
    worker_executor: Literal["process", "thread"] = Field(
        default="process", validation_alias="WORKER_EXECUTOR"
    )
    worker_batch_size: int = Field(default=16, ge=1, le=500, validation_alias="WORKER_BATCH_SIZE")
    worker_heartbeat_s: float = Field(default=5.0, gt=0, validation_alias="WORKER_HEARTBEAT_S")
    # A running job whose heartbeat is older than this is presumed orphaned and re-queued.
    worker_heartbeat_timeout_s: float = Field(
        default=30.0, gt=0, validation_alias="WORKER_HEARTBEAT_TIMEOUT_S"
    )
    worker_poll_s: float = Field(default=2.0, gt=0, validation_alias="WORKER_POLL_S")
    worker_max_attempts: int = Field(default=5, ge=1, le=100, validation_alias="WORKER_MAX_ATTEMPTS")
    worker_backoff_base_s: float = Field(default=2.0, gt=0, validation_alias="WORKER_BACKOFF_BASE_S")
    worker_backoff_max_s: float = Field(default=600.0, gt=0, validation_alias="WORKER_BACKOFF_MAX_S")
    worker_grace_s: float = Field(default=20.0, ge=0, validation_alias="WORKER_GRACE_S")
    # How often a running worker re-reads the reference tickers; a change reloads its scorer.
    worker_tickers_refresh_s: float = Field(default=60.0, gt=0, validation_alias="WORKER_TICKERS_REFRESH_S")

    @property
    def development(self) -> bool:
        return self.env in ("development", "test")
