"""All configuration, read once from CITY_* environment variables with embedded defaults."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

from backend.notify.vapid import new_private_key, public_key_of

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = REPO_ROOT / "var"
    # Empty means: a SQLite file in the data dir.
    database_url: str = ""
    # PostgreSQL connections a process keeps open; a burst may open half as many more. Fewer than its
    # concurrent requests need makes it open and close connections all the time (bench/create_request.py).
    db_pool_size: int = 20
    storage: Literal["local", "s3"] = "local"
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "city-service"
    s3_secure: bool = False
    s3_region: str | None = None
    # Empty means: read (or create on first start) the file secret_key in the data dir.
    secret_key: str = ""
    timezone: str = "Asia/Shanghai"
    max_upload_mb: int = 20
    # 80 MP admits every phone camera in use (48 MP sensors give ~49 MP) and refuses bombs.
    max_image_pixels: int = 80_000_000
    # "file" writes codes to sms-outbox.log in the data dir; otherwise "module:factory".
    sms_sender: str = "file"
    otp_ttl_seconds: int = 300
    otp_per_phone_per_hour: int = 5
    otp_phone_interval_seconds: int = 60
    otp_per_address_per_hour: int = 20
    device_token_days: int = 365
    citizen_token_days: int = 30
    staff_token_hours: int = 12
    # Sign-in throttling: after this many failures in the window, each further try waits a delay
    # that doubles from 2 s up to 15 min (per username, and per client address).
    login_max_failures_per_user: int = 5
    login_max_failures_per_address: int = 20
    login_window_minutes: int = 15
    # Quotas against floods from one phone or one address (429 with Retry-After beyond them).
    uploads_per_device_per_minute: int = 30
    uploads_per_address_per_minute: int = 120
    devices_per_address_per_hour: int = 60
    # Photos never attached to a case are removed, with their objects, after this long.
    orphan_photo_hours: int = 24
    # Largest JSON body; only uploads may send CITY_MAX_UPLOAD_MB.
    max_json_kb: int = 64
    # Longest wait for the next piece of a request body before answering 408.
    body_timeout_seconds: float = 30.0
    # "inline" runs the maintenance jobs inside the API process (the embedded default); "off" leaves
    # them to `python -m backend worker` processes.
    worker: Literal["inline", "off"] = "inline"
    maintenance_interval_seconds: float = 300.0
    # Addresses of reverse proxies whose X-Forwarded-For is believed (comma separated).
    trusted_proxies: str = ""
    log_level: str = "INFO"
    # How long a process may answer from its in-memory copy of categories and grids.
    catalog_ttl_seconds: float = 60.0
    # How often an open staff stream looks for new case events.
    live_poll_seconds: float = 1.0
    # Map tiles for the PWA (a city in China would point this at Tianditu or its own tile server).
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = "© OpenStreetMap contributors"
    # The built PWA that `/` serves.
    pwa_dir: Path = REPO_ROOT / "pwa" / "dist"
    # Where this service is reached from outside (photo URLs in the events sent to the platform);
    # empty: http://CITY_HOST:CITY_PORT.
    public_url: str = ""
    # The command-coordination platform (指挥协调): events go to this URL; empty runs standalone.
    coordination_url: str = ""
    # The shared secret both sides sign with (HMAC-SHA256).
    coordination_secret: str = ""
    coordination_timeout_seconds: float = 10.0
    # Events a worker has in flight to the platform at once.
    coordination_concurrency: int = 8
    # Inspectors (issue 12): the time a verify (核实) and a check (核查) task is due in, in hours.
    field_verify_hours: float = 2.0
    field_check_hours: float = 4.0
    # A report or task result taken farther than this from the case's point, or a photo taken longer
    # before it was sent, is flagged for the desk (never refused).
    field_plausible_distance_m: float = 100.0
    field_plausible_age_minutes: int = 120
    # Two track points farther apart in time than this are a gap (screen off, no signal).
    field_track_gap_seconds: int = 120
    # 录音: a voice note may be this long and this large.
    voice_max_seconds: int = 120
    voice_max_kb: int = 2048
    # How often the worker tries again the platform's callbacks that wait for their case to catch up.
    coordination_waiting_retry_seconds: float = 10.0
    # For a nats:// URL: the JetStream stream that keeps the events (made if missing).
    coordination_stream: str = "CITY_EVENTS"
    # Retries: base * 2^(attempt-1), at most the cap, with jitter; dead-lettered after the last. The
    # defaults give up 5 to 10 hours after the first failure: a platform down overnight loses nothing.
    outbox_retry_base_seconds: float = 2.0
    outbox_retry_cap_seconds: float = 1800.0
    outbox_max_attempts: int = 30
    # A claimed event whose worker died is claimed again after this long.
    outbox_lease_seconds: float = 60.0
    outbox_batch_size: int = 100
    # How often an idle worker looks for due events.
    outbox_poll_seconds: float = 1.0
    # Delivered events are kept this long (days); the live feed is kept this long (days).
    outbox_delivered_kept_days: int = 30
    live_events_kept_days: int = 7

    # Web Push (VAPID, RFC 8292). Empty: read (or create on first start) the file vapid_private_key in
    # the data dir. `python -m backend vapid-keys` prints a new pair; the public key is always derived.
    vapid_private_key: str = ""
    vapid_public_key: str = ""
    # Whom a push service may write to about our messages (mailto: or https:).
    vapid_subject: str = "mailto:city-service@example.org"
    # Subscriptions whose endpoint is loopback or private are refused unless this is on (tests, development).
    push_allow_private: bool = False
    push_timeout_seconds: float = 10.0
    # Pushes a worker has in flight at once, and to any one push service (a slow one keeps the rest).
    push_concurrency: int = 128
    push_per_service: int = 64
    push_batch_size: int = 200
    push_poll_seconds: float = 1.0
    # Retries on 429, 5xx and no answer: base * 2^(attempt-1) up to the cap, or the service's
    # Retry-After when longer; given up after the last attempt.
    push_retry_base_seconds: float = 5.0
    push_retry_cap_seconds: float = 3600.0
    push_max_attempts: int = 10
    # How long a push service keeps a message for a phone that is off (TTL): case news for a day,
    # tasks for their working hours, a roll call for minutes.
    push_ttl_case_seconds: int = 86400
    push_ttl_task_seconds: int = 4 * 3600
    push_ttl_roll_call_seconds: int = 600
    # SMS for a final outcome when no push reached a phone-signed-in reporter: first looked at after the
    # wait, sent at the latest after the longest wait even if a push is still being retried.
    sms_outcome_wait_seconds: float = 60.0
    sms_outcome_max_wait_seconds: float = 1800.0
    sms_outcome_per_phone_per_day: int = 5
    # Inbox messages are kept this long (days).
    notifications_kept_days: int = 365

    # Open311 GeoReport v2 (/open311/v2). A jurisdiction_id other than this one is not ours (404).
    open311_jurisdiction_id: str = "city.example"
    # Who a client's developers may write to, shown in discovery.
    open311_contact: str = "城市运行管理服务平台 · city-service@example.org"
    # Requests one key may file per hour and per minute (429 with Retry-After beyond them).
    open311_requests_per_key_per_hour: int = 600
    open311_requests_per_key_per_minute: int = 60
    # A media_url is fetched within this time; loopback and private addresses are refused unless this
    # is on (tests, development).
    open311_media_timeout_seconds: float = 10.0
    open311_media_allow_private: bool = False
    # GET requests: the window searched when no dates are given (days), and the most rows answered.
    open311_default_days: int = 90
    open311_max_requests: int = 1000

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_json_bytes(self) -> int:
        return self.max_json_kb * 1024

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'city.db'}"

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def sms_outbox_path(self) -> Path:
        return self.data_dir / "sms-outbox.log"

    @property
    def proxies(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())


def _new_secret() -> str:
    return secrets.token_urlsafe(48)


def load_settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from CITY_<FIELD> variables; `overrides` win (tests use them)."""
    env = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    for field in msgspec.structs.fields(Settings):
        value = env.get(f"CITY_{field.name.upper()}")
        if value is not None and value != "":
            raw[field.name] = value
    raw.update(overrides)
    settings = msgspec.convert(raw, Settings, strict=False, dec_hook=_decode)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not settings.secret_key:
        settings = msgspec.structs.replace(settings, secret_key=_stored_secret(settings.data_dir))
    private = settings.vapid_private_key or _stored_secret(
        settings.data_dir, "vapid_private_key", new_private_key
    )
    public = public_key_of(private)
    if settings.vapid_public_key and settings.vapid_public_key != public:
        raise ValueError("CITY_VAPID_PUBLIC_KEY is not the public half of CITY_VAPID_PRIVATE_KEY")
    return msgspec.structs.replace(settings, vapid_private_key=private, vapid_public_key=public)


def _decode(type_: type, value: object) -> object:
    if type_ is Path and isinstance(value, (str, Path)):
        return Path(value).resolve()
    raise NotImplementedError(type_)


def _stored_secret(data_dir: Path, name: str = "secret_key", make: Callable[[], str] = _new_secret) -> str:
    """A secret kept in a file of the data dir, made on first start. Written whole under a temporary
    name and then linked into place: two processes starting at once agree on one, and neither reads
    a half-written file."""
    path = data_dir / name
    if not path.exists():
        temporary = data_dir / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(make())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()
