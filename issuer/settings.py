"""Settings, read once from ``CERTREG_*`` environment variables and passed down.

Nothing else in certreg reads the environment. Every field has a safe default; the
database URLs default to SQLite files inside the data directory.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.languages import LANGUAGES

__all__ = ["DEMO_PASSPHRASE", "Settings"]

DEMO_PASSPHRASE = "certreg-demo-passphrase-not-secret"  # noqa: S105 - public on purpose


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
    registry_url: str | None = Field(
        default=None, description="a separately run registry the issuer publishes to (HTTP)"
    )
    registry_intake_token: SecretStr | None = Field(
        default=None, description="shared secret of the registry's publication intake"
    )
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    demo: bool = False
    language: str = Field(
        default="en",
        description="the body's own language (en, de, fr or es): public pages use it when "
        "the reader's browser asks for none certreg speaks, certificates and notices when a "
        "person's is not recorded",
    )
    body_name: str = Field(
        default="certreg demo certification body",
        min_length=1,
        max_length=200,
        description="the certification body's name, as certificates name their issuer",
    )
    key_passphrase: SecretStr | None = Field(
        default=None, description="encrypts the signing keys at rest; required outside demo mode"
    )
    signing_alg: str = Field(default="ES256", pattern="^(ES256|EdDSA)$")
    status_list_entries: int = Field(default=131_072, ge=131_072, le=2**26)
    status_list_ttl_seconds: int = Field(default=300, ge=1, le=86_400)
    status_list_validity_seconds: int | None = Field(
        default=None,
        ge=3,
        le=30 * 86_400,
        description="how long a signed status list stays valid (validUntil), at least 3 × "
        "its ttl; default 4 × ttl. Lists are re-signed when half of it has passed",
    )
    due_jobs_interval_seconds: int = Field(
        default=60,
        ge=0,
        le=86_400,
        description="how often the server expires certifications past their last valid day "
        "and refers suspensions past their resolve-by date to the decision-makers (0: never; "
        "then run `certreg jobs run-due` from cron)",
    )
    smtp_host: str | None = Field(
        default=None,
        max_length=253,
        description="the mail server notices to certified persons are sent through; none: "
        "the sender does not run and notices wait in the queue",
    )
    smtp_port: int = Field(default=587, ge=1, le=65_535)
    smtp_starttls: bool = Field(
        default=True, description="upgrade the connection with STARTTLS before logging in"
    )
    smtp_username: str | None = Field(default=None, max_length=320)
    smtp_password: SecretStr | None = Field(default=None)
    smtp_from: str = Field(
        default="notices@certreg.invalid",
        max_length=320,
        pattern=r"^[^@\s<>]+@[^@\s<>]+$",
        description="the address notices come from (also the domain of their Message-ID)",
    )
    smtp_timeout_seconds: float = Field(default=30, gt=0, le=600)
    notice_send_interval_seconds: int = Field(
        default=30,
        ge=0,
        le=86_400,
        description="how often the server sends the notices due (0: never; then run "
        "`certreg notices send` from cron); only with CERTREG_SMTP_HOST",
    )
    audit_checkpoint_interval_seconds: int = Field(
        default=3600,
        ge=0,
        le=7 * 86_400,
        description="how often the server publishes a signed checkpoint of the audit log's "
        "end to the registry even when nothing changed (it does after every change too; 0: "
        "only after changes)",
    )
    appeal_acknowledge_days: int = Field(
        default=10,
        ge=1,
        le=365,
        description="days after an appeal is received by which it must be acknowledged",
    )
    appeal_decide_days: int = Field(
        default=60,
        ge=1,
        le=730,
        description="days after an appeal is received by which it must be decided",
    )
    complaint_acknowledge_days: int = Field(
        default=10,
        ge=1,
        le=365,
        description="days after a complaint is received by which it must be acknowledged",
    )
    complaint_answer_days: int = Field(
        default=60,
        ge=1,
        le=730,
        description="days after a complaint is received by which it must be answered",
    )
    complaint_per_minute: int = Field(
        default=5,
        ge=0,
        le=1_000_000,
        description="public complaints per client and minute (0: off, for a deployment that "
        "limits in its proxy)",
    )
    complaint_burst: int = Field(default=5, ge=1, le=1_000_000)
    complaint_open_public_cap: int = Field(
        default=10_000,
        ge=1,
        le=10_000_000,
        description="how many complaints sent through the public form may wait unvalidated "
        "at once; past it the form answers 503 until staff catch up",
    )
    complaint_form_url: str | None = Field(
        default=None,
        pattern=r"^(https://[^\s]+|/[^\s]*)$",
        max_length=2000,
        description="where the page behind a QR code sends someone who wants to complain or "
        "report misuse: the back office's public complaint form (an https:// address, or a "
        "path on this server); by default this server's own form when it serves the back "
        "office too, and no link from a registry served alone",
    )
    registry_lookup_per_minute: int = Field(
        default=30,
        ge=0,
        le=1_000_000,
        description="register lookups and directory searches per client and minute (0: off)",
    )
    registry_lookup_burst: int = Field(default=10, ge=1, le=1_000_000)
    registry_page_per_minute: int = Field(
        default=300,
        ge=0,
        le=1_000_000,
        description="scheme pages per client and minute (0: off); status lists are not limited",
    )
    registry_page_burst: int = Field(default=60, ge=1, le=1_000_000)
    registry_trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses or networks of reverse proxies whose X-Forwarded-For names the "
        'client, as JSON (e.g. ["10.0.0.0/8"])',
    )

    holder_link_minutes: int = Field(
        default=30,
        ge=1,
        le=7 * 24 * 60,
        description="minutes a certified person's sign-in link works (once) after it is made",
    )
    holder_session_hours: int = Field(
        default=8,
        ge=1,
        le=24 * 30,
        description="hours a certified person stays signed in, unless they sign out",
    )
    holder_sign_in_per_minute: int = Field(
        default=5,
        ge=0,
        le=1_000_000,
        description="sign-in link requests (and link uses) per client and minute (0: off, for "
        "a deployment that limits in its proxy)",
    )
    holder_sign_in_burst: int = Field(default=5, ge=1, le=1_000_000)
    holder_links_per_person_per_hour: int = Field(
        default=3,
        ge=1,
        le=1000,
        description="sign-in links e-mailed to one person in an hour, however many are asked",
    )

    oid4vci_offer_minutes: int = Field(
        default=10,
        ge=1,
        le=24 * 60,
        description="minutes a credential offer to a wallet (OpenID4VCI) can be redeemed, once",
    )
    oid4vci_tx_code_length: int = Field(
        default=6,
        ge=4,
        le=10,
        description="digits of the transaction code shown beside a wallet offer",
    )
    oid4vci_tx_code_attempts: int = Field(
        default=5,
        ge=1,
        le=20,
        description="wrong transaction codes after which a wallet offer is locked",
    )
    oid4vci_token_seconds: int = Field(
        default=300,
        ge=30,
        le=3600,
        description="seconds the access token of a redeemed wallet offer works (once)",
    )
    oid4vci_nonce_seconds: int = Field(
        default=300,
        ge=30,
        le=3600,
        description="seconds a c_nonce from the nonce endpoint works (once) in a key proof",
    )
    oid4vci_proof_max_age_seconds: int = Field(
        default=300,
        ge=30,
        le=3600,
        description="how old (its iat) a wallet's key proof may be",
    )
    oid4vci_per_minute: int = Field(
        default=30,
        ge=0,
        le=1_000_000,
        description="requests to the wallet endpoints (token, nonce, credential) per "
        "client and minute (0: off, for a deployment that limits in its proxy)",
    )
    oid4vci_burst: int = Field(default=10, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _secrets_outside_demo(self) -> Settings:
        passphrase = self.key_passphrase
        if not self.demo and passphrase and passphrase.get_secret_value() == DEMO_PASSPHRASE:
            raise ValueError("the demo key passphrase may only be used in demo mode")
        return self

    def passphrase(self) -> bytes:
        """The key passphrase; demo mode falls back to a fixed, public one."""
        if self.key_passphrase is not None:
            return self.key_passphrase.get_secret_value().encode("utf-8")
        if self.demo:
            return DEMO_PASSPHRASE.encode("utf-8")
        raise ValueError("set CERTREG_KEY_PASSPHRASE: signing keys are encrypted with it")

    @model_validator(mode="after")
    def _list_validity(self) -> Settings:
        # Re-signed at half its validity and cached for one ttl, a list must keep some
        # validity when it is served from a cache: below 3 × ttl a cached copy could lapse.
        validity = self.status_list_validity_seconds
        if validity is not None and validity < 3 * self.status_list_ttl_seconds:
            raise ValueError(
                "status_list_validity_seconds must be at least 3 × status_list_ttl_seconds"
            )
        return self

    @property
    def status_list_validity(self) -> int:
        """Seconds a signed status list stays valid (the setting, or 4 × its ttl)."""
        from issuer.credentials.status import list_validity_seconds

        return list_validity_seconds(
            self.status_list_ttl_seconds, self.status_list_validity_seconds
        )

    @field_validator("registry_trusted_proxies")
    @classmethod
    def _proxies(cls, value: list[str]) -> list[str]:
        for proxy in value:
            ipaddress.ip_network(proxy.strip(), strict=False)  # ValueError names the bad one
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("base_url must be an http(s) URL")
        return value.rstrip("/")

    @property
    def registry_store_url(self) -> str:
        return (
            self.registry_database_url
            or f"sqlite:///{self.data_dir.resolve() / 'registry.sqlite3'}"
        )

    @property
    def issuer_url(self) -> str:
        return self.issuer_database_url or f"sqlite:///{self.data_dir.resolve() / 'issuer.sqlite3'}"
