"""Settings from the environment (prefix KLEAN_). Read lazily: nothing happens at import time."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.cwd() / ".klean"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KLEAN_", env_file=None, extra="ignore")

    home: Path = _default_home()
    database_url: str = ""  # empty: a SQLite file under `home`
    blob_dir: Path | None = None  # uploaded files by content hash; default home/blobs
    signing_key_path: Path | None = None  # Ed25519 private key (PEM) for evidence packages
    exchange_name: str = "klean"  # this Klean's name to its exchange peers (issue 23); key: home/exchange-ed25519.pem
    policy_path: Path | None = None  # enforcement and screening policy; default: the bundled one
    smtp_relay_host: str = "127.0.0.1"
    smtp_relay_port: int = 8025
    mail_from: str = "noreply@klean.local"
    report_address: str = "report@klean.local"
    max_upload_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    secret_key: str = ""  # sessions and CSRF; generated into home when empty
    # Where people reach Klean (https://klean.example): links in statements of reasons and DSA records.
    # Empty: the links are site-relative (/portal/seller#action-12).
    public_url: str = ""
    log_json: bool = True
    jobs_interval_seconds: int = 0  # scheduled jobs loop inside the server; 0 = off (`klean serve` sets it)
    secure_cookies: bool = False  # set True behind HTTPS so session cookies are never sent in clear
    redis_url: str = ""  # rate-limit counters shared by all workers; empty: in-process counters
    rate_limit_window_seconds: int = 60
    rate_limit_reports_per_key: int = 30
    rate_limit_reports_per_ip: int = 60
    rate_limit_notices_per_key: int = 120
    rate_limit_notices_per_ip: int = 240
    rate_limit_refunds_per_key: int = 10
    rate_limit_refunds_per_ip: int = 30
    rate_limit_signin_per_ip: int = 20
    # Dry-run screenings (POST /v1/screen) per window: generous for integrations, a ceiling for floods. Bulk screening
    # belongs in `klean scan`; load tests raise these.
    rate_limit_screen_per_key: int = 6000
    rate_limit_screen_per_ip: int = 12000
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto `klean serve` believes: comma-separated addresses or
    # networks (10.0.0.5,10.1.0.0/16), or "*" for any. Empty (the default): none, so a client cannot choose the
    # address that rate limits, lockouts and report counts see; every request is from the address it came from.
    trusted_proxies: str = ""
    screener_recheck_seconds: float = 0.0  # reuse the screener this long before re-reading the registry (0: always)
    # The EU DSA Transparency Database that statements of reasons go to (`klean dsa submit`, and the scheduled jobs
    # when both are set): its address, sandbox or production, and the platform's API token for it.
    dsa_tdb_url: str = ""
    dsa_tdb_token: str = ""
    dsa_territory: str = ""  # EU/EEA country codes the decisions apply in, comma-separated; empty: the EEA
    dsa_timeout_seconds: float = 30.0
    dsa_retries: int = 4  # a failed request is tried again this many times in one run, waiting longer each time
    dsa_backoff_seconds: float = 2.0  # the first wait; it doubles, up to an hour (or the database's Retry-After)
    dsa_lease_seconds: float = 300.0  # a batch in flight is another run's to look up only after this long

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.home / 'klean.db'}"

    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.home / "blobs"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
