"""PHMS settings. Every value comes from the environment (or a local `.env`).

`.env.example` documents each variable. A bad or missing required value stops the
process with a one-line explanation (see `manage.py` and `phms/wsgi.py`).
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str) -> str:
    """A string setting; an empty value (as in a copied .env.example) means unset."""
    return env.str(name, default="").strip() or default


def env_flag(name: str, default: bool) -> bool:
    """A strict boolean: anything but a known true/false spelling is an error."""
    raw = env_str(name, "")
    if not raw:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = env_str(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}")
    return value


DEBUG = env_flag("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off: set it in the environment or in .env "
            "(see .env.example)"
        )
    SECRET_KEY = "django-insecure-phms-development-only"  # noqa: S105 - DEBUG only


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name, "")
    return [item.strip() for item in raw.split(",") if item.strip()] if raw else default


ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

VAR_DIR = Path(env_str("PHMS_VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_htmx",
    "django_ratelimit",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "access",
    "providers",
    "patients",
    "scheduling",
    "billing",
    "portal",
    "reports",
    "interop",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "phms.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "phms.middleware.SecondFactorMiddleware",
    "phms.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "phms.urls"
WSGI_APPLICATION = "phms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "phms.context_processors.navigation",
                "phms.context_processors.break_glass",
            ],
        },
    },
]

# Relational store -----------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'phms.sqlite3'}")
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.mysql":
    _db.setdefault("OPTIONS", {}).update(
        {
            "charset": "utf8mb4",
            # Same collation as the tables, or comparisons with casts (guardian's object_pk) fail.
            "collation": "utf8mb4_unicode_ci",
            # Index-merge intersection pairs a selective index with a soft-delete one
            # (`deleted_at IS NULL` holds for nearly every row) and so reads the whole
            # table's worth of the latter: a clinician's care teams grew with the hospital.
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
            "ERROR_FOR_DIVISION_BY_ZERO', optimizer_switch='index_merge_intersection=off'",
            "isolation_level": "read committed",
        }
    )
    _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    _db["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db.setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    raise ImproperlyConfigured(
        f"DATABASE_URL uses {_db['ENGINE']}; PHMS supports mysql:// and sqlite:// only"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache ----------------------------------------------------------------------
# It holds rendered chart sections (patient data): keep it private to this server.

CACHE_URL = env_str("CACHE_URL", "locmemcache://phms-charts?max_entries=2000")
CACHES = {"default": environ.Env.cache_url_config(CACHE_URL)}
CHART_CACHE_SECONDS = env_int("CHART_CACHE_SECONDS", 3600)
# The billing worklist's count and aging buckets, kept until a bill changes (or this long).
BILLING_SUMMARY_CACHE_SECONDS = env_int("BILLING_SUMMARY_CACHE_SECONDS", 600)
# Reports' tables and charts, kept until the data they count changes (or this long).
REPORT_CACHE_SECONDS = env_int("REPORT_CACHE_SECONDS", 3600)
# Report cells counting fewer patients than this show "<N" to everyone but administrators.
REPORT_MIN_CELL_SIZE = env_int("REPORT_MIN_CELL_SIZE", 11, minimum=1)

# FHIR interface -------------------------------------------------------------------
# The identifier systems (URIs) of this hospital's MRNs and provider ids: set your own.
FHIR_MRN_SYSTEM = env_str("FHIR_MRN_SYSTEM", "https://phms.example.org/identifiers/mrn")
FHIR_PROVIDER_SYSTEM = env_str(
    "FHIR_PROVIDER_SYSTEM", "https://phms.example.org/identifiers/provider"
)
FHIR_CURRENCY = env_str("FHIR_CURRENCY", "USD")
# Bulk exports ($export) are written here, one folder per job, and run in a background thread
# of the worker that accepted them (off: run inside the request, as the tests do).
FHIR_EXPORT_DIR = Path(env_str("FHIR_EXPORT_DIR", str(VAR_DIR / "fhir-exports")))
FHIR_EXPORT_IN_THREAD = env_flag("FHIR_EXPORT_IN_THREAD", True)
# Readings each remote monitoring device may post (django-ratelimit, counted per worker
# with the in-process cache, exactly with a shared CACHE_URL).
DEVICE_READINGS_RATE = env_str("DEVICE_READINGS_RATE", "120/m")

# Document store (MongoDB, or the embedded store when MONGO_URL is unset) ---------

MONGO_URL = env_str("MONGO_URL", "")
if MONGO_URL and not MONGO_URL.startswith(("mongodb://", "mongodb+srv://")):
    raise ImproperlyConfigured("MONGO_URL must start with mongodb:// or mongodb+srv://")
MONGO_DB_NAME = env_str("MONGO_DB_NAME", "phms")
DOCUMENT_STORE_DIR = Path(env_str("DOCUMENT_STORE_DIR", str(VAR_DIR / "documents")))
MONGO_TIMEOUT_MS = env_int("MONGO_TIMEOUT_MS", 1500, minimum=100)

# Fernet keys (newest first, comma-separated) that encrypt SSNs at rest. Empty: derived
# from SECRET_KEY, which then must never change.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])

# Authentication and sessions --------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# An idle session ends after this many minutes; every request renews it.
SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 15, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "access.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Lock the account, not the address: hospital workstations share addresses behind NAT,
# so locking by IP would lock out a whole ward after one user's typos.
SILENCED_SYSTEM_CHECKS = [
    "axes.W006",
    # The NOCASE indexes of patients.Patient serve SQLite's case-insensitive LIKE; MariaDB
    # has no expression indexes and needs none there (its collation ignores case).
    "models.W043",
    # django-ratelimit asks for memcached or Redis. With the default in-process cache each
    # gunicorn worker counts on its own, so the limit is PASSWORD_RESET_RATE per worker;
    # a shared CACHE_URL (redis://, pymemcache://) makes it exact.
    "django_ratelimit.E003",
    "django_ratelimit.W001",
]

GUARDIAN_ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# Break-the-glass access lasts this long; access-log entries are kept this long.
BREAK_GLASS_MINUTES = env_int("BREAK_GLASS_MINUTES", 60, minimum=1)
ACCESS_LOG_RETENTION_DAYS = env_int("ACCESS_LOG_RETENTION_DAYS", 2190, minimum=1)

# Hours after a patient's last set of vital signs when the next one is due (the home page's
# ward list says "Vitals due").
VITALS_DUE_AFTER_HOURS = env_int("VITALS_DUE_AFTER_HOURS", 4, minimum=1)

# Scheduling ---------------------------------------------------------------------------

# Minutes after its start when a booked appointment nobody checked in becomes a no-show
# (`manage.py mark_no_shows`).
APPOINTMENT_NO_SHOW_GRACE_MINUTES = env_int("APPOINTMENT_NO_SHOW_GRACE_MINUTES", 30, minimum=1)
# Hours before its start until which a patient may cancel an appointment in the portal.
APPOINTMENT_CANCEL_NOTICE_HOURS = env_int("APPOINTMENT_CANCEL_NOTICE_HOURS", 24, minimum=0)

# Patient portal -----------------------------------------------------------------------

# Hours a portal activation link and code stay valid.
PORTAL_INVITATION_HOURS = env_int("PORTAL_INVITATION_HOURS", 72, minimum=1)
# Outgoing mail (django-environ's email URL, e.g. smtp+tls://user:pass@host:587). Empty: no
# mail is sent; invitations are printed or read out at the desk.
EMAIL_URL = env_str("EMAIL_URL", "")
if EMAIL_URL:
    try:
        vars().update(environ.Env.email_url_config(EMAIL_URL))
    except (ImproperlyConfigured, KeyError, ValueError) as error:
        raise ImproperlyConfigured(f"EMAIL_URL is not a valid email URL ({error})") from None
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "phms@localhost")
# Password reset links stay valid this long and work once; requests per client address and
# per e-mail address are limited (django-ratelimit, counted in the cache).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_HOURS", 2, minimum=1) * 3600
PASSWORD_RESET_RATE = env_str("PASSWORD_RESET_RATE", "5/h")

# Two-step sign-in (django-otp: an authenticator app's TOTP codes, recovery codes). These
# roles must use it; anyone else may turn it on. "none" turns the requirement off (the demo).
MFA_ROLES = {"administrator", "doctor", "nurse", "billing", "front_desk", "patient"}
_mfa_roles = env_str("MFA_REQUIRED_ROLES", "administrator,doctor,nurse,billing")
MFA_REQUIRED_ROLES = (
    [] if _mfa_roles.lower() == "none" else [r.strip() for r in _mfa_roles.split(",") if r.strip()]
)
if set(MFA_REQUIRED_ROLES) - MFA_ROLES:
    raise ImproperlyConfigured(
        f"MFA_REQUIRED_ROLES names unknown roles: {sorted(set(MFA_REQUIRED_ROLES) - MFA_ROLES)}"
        f" (use {', '.join(sorted(MFA_ROLES))}, or none)"
    )
OTP_TOTP_ISSUER = "PHMS"

# Security ------------------------------------------------------------------------

SECURE_COOKIES = env_flag("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "access.views.csrf_failure"
BEHIND_TLS_PROXY = env_flag("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Internationalization --------------------------------------------------------------

LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["phms.formats"]  # one date format throughout: Y-m-d, Y-m-d H:i
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Static files (vendored, served by WhiteNoise) ---------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"database_outage": {"()": "phms.logging.DatabaseOutageFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        "django.request": {"filters": ["database_outage"]},
        "phms.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
