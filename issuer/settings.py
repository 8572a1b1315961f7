"""Settings, read once from ``CERTREG_*`` environment variables and passed down.

Nothing else in certreg reads the environment. Every field has a safe default; the
database URLs default to SQLite files inside the data directory.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CERTREG_", extra="forbid", frozen=True)

    data_dir: Path = Field(default=Path("certreg-data"), description="where SQLite files live")
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="public URL of this deployment"
    )
    issuer_database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in the data directory"
    )
    registry_database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in the data directory"
    )
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    demo: bool = False

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("base_url must be an http(s) URL")
        return value.rstrip("/")

    @property
    def issuer_url(self) -> str:
        return self.issuer_database_url or f"sqlite:///{self.data_dir.resolve() / 'issuer.sqlite3'}"
