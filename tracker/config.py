"""Configuration read from environment variables, with a one-machine SQLite default."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("TRACKER_INSTANCE", ROOT / "instance"))


def database_url(raw: str | None) -> str:
    """Normalise DATABASE_URL so PostgreSQL always uses psycopg 3."""
    if not raw:
        return f"sqlite:///{INSTANCE / 'tracker.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _secret_key() -> str:
    """Use SECRET_KEY, or a key generated once and kept under instance/ for local runs."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = INSTANCE / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _months(raw: str | None) -> dict[str, int]:
    """CERTIFICATION_MONTHS='cpr=12,first_aid=12': months a certification lasts, per type."""
    months: dict[str, int] = {}
    for part in (raw or "").split(","):
        name, _, value = part.partition("=")
        if name.strip():
            if not value.strip().isdigit() or int(value) < 1:
                raise ValueError(f"CERTIFICATION_MONTHS: bad entry '{part.strip()}'")
            months[name.strip()] = int(value)
    return months


class Config:
    """Production-shaped defaults; every value can come from the environment."""

    def __init__(self) -> None:
        self.SECRET_KEY = self._secret_key()
        self.SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # PostgreSQL: the longest a request waits on the database for one step (a connection,
        # a statement, a commit) before it is answered 503 with Retry-After (database.py).
        self.DB_TIMEOUT_SECONDS = float(os.environ.get("DB_TIMEOUT_SECONDS", 5))
        # The in-process deadline that catches a frozen server; it acts only in a request
        # served by a process's main thread (gunicorn sync workers), see tracker/deadline.py.
        self.DB_REQUEST_DEADLINE = _bool("DB_REQUEST_DEADLINE", True)
        self.MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 1024 * 1024))
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
        self.LOGIN_RATE_LIMIT_ADDRESS = os.environ.get("LOGIN_RATE_LIMIT_ADDRESS", "100 per minute")
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (0:
        # none, the socket's address is the client's). Login limits key on that address.
        self.TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))
        # API tokens last this many days by default, and at most (tokens create --days).
        self.TOKEN_MAX_AGE_DAYS = int(os.environ.get("TOKEN_MAX_AGE_DAYS", 365))
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.SESSION_COOKIE_NAME = (
            "__Host-session" if self.SESSION_COOKIE_SECURE else "tracker_session"
        )
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "nb")
        self.BABEL_DEFAULT_TIMEZONE = "Europe/Oslo"
        self.EXPORT_DIR = os.environ.get("EXPORT_DIR", str(ROOT / "exports"))
        self.SUPPRESSION_THRESHOLD = int(os.environ.get("SUPPRESSION_THRESHOLD", 5))
        # Import uploads: their own size limit, and for how many seconds a check (the
        # file's signed SHA-256 on the page) may be confirmed by sending the file again.
        self.IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 200 * 1024 * 1024))
        self.IMPORT_CHECK_MAX_AGE = int(os.environ.get("IMPORT_CHECK_MAX_AGE", 24 * 3600))
        # What an import file may hold (services/import_limits.py): data rows; for xlsx, the
        # bytes all its parts unpack to, and how much more than compressed each large part is.
        self.IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 1_000_000))
        self.IMPORT_MAX_UNZIPPED_BYTES = int(
            os.environ.get("IMPORT_MAX_UNZIPPED_BYTES", 50 * 1024 * 1024)
        )
        self.IMPORT_MAX_ZIP_RATIO = int(os.environ.get("IMPORT_MAX_ZIP_RATIO", 100))
        self.CERTIFICATION_MONTHS = _months(os.environ.get("CERTIFICATION_MONTHS"))
        # While a drug alert covers a site, its naloxone reorder suggestion uses this much
        # more than recent usage (issue 24).
        self.ALERT_NALOXONE_FACTOR = float(os.environ.get("ALERT_NALOXONE_FACTOR", 1.5))
        # Staff may date an entry this many days before the day it was made; older dates
        # need a site lead (services/backdating.py).
        self.BACKDATE_DAYS = int(os.environ.get("BACKDATE_DAYS", 14))
        self.API_TITLE = "tracker"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.API_SPEC_OPTIONS = {
            "info": {
                "description": "JSON API of the harm-reduction supply tracker. Problem texts "
                "(detail, title, field messages) are bokmål unless Accept-Language prefers "
                "English; `type` and `code` are the machine codes."
            },
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        }
        self.WTF_CSRF_TIME_LIMIT = None
        self.TESTING = False

    def _secret_key(self) -> str:
        return _secret_key()


class TestConfig(Config):
    """Settings for the test suite: the production rules, a given database, no files."""

    def _secret_key(self) -> str:
        return "test-secret-key"

    def __init__(self, database_uri: str) -> None:
        super().__init__()
        self.TESTING = True
        self.SQLALCHEMY_DATABASE_URI = database_url(database_uri)
        self.RATELIMIT_STORAGE_URI = "memory://"
        # Test runs share two busy cores: only a statement slower than a minute is cut short, and
        # the test client runs requests in pytest's main thread, where no alarm may ring.
        self.DB_TIMEOUT_SECONDS = float(os.environ.get("DB_TIMEOUT_SECONDS", 60))
        self.DB_REQUEST_DEADLINE = False
        # Saved export copies go to a per-run temporary folder, never into the repository.
        self.EXPORT_DIR = tempfile.mkdtemp(prefix="tracker-exports-")
