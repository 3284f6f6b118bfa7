"""Django settings of the inspection server, from the environment (docs/server.md):

- DETECTOR_DATABASE_URL: postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME (required)
- DETECTOR_SERVER_SECRET: the key that signs sessions and CSRF tokens (required outside
  tests; at least 32 characters)
- DETECTOR_EVIDENCE_DIR: where evidence files are kept by their SHA-256
- DETECTOR_SERVER_HOSTS: host names the server answers to (comma-separated)
- DETECTOR_SERVER_INSECURE=1: allow plain-HTTP cookies (local runs and tests only)
- DETECTOR_DATABASE_REPLICA_URL: a streaming replica of that database, read by the
  dashboard's pages (optional; routing.py)
- DETECTOR_SCHEDULE: the inspection policy, e.g. "normal=30,high=7" (days between
  inspections by a location's risk)
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


def _database(url: str, variable: str = "DETECTOR_DATABASE_URL") -> dict:
    parts = urlparse(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.path.strip("/"):
        raise ImproperlyConfigured(f"{variable}: expected postgresql://USER@HOST/DB, "
                                   f"got {url!r}")
    return {"ENGINE": "django.db.backends.postgresql", "NAME": parts.path.strip("/"),
            "USER": unquote(parts.username or ""), "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "", "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            # No JIT: compiling a dashboard query cost ~100 ms, more than running it.
            # Sorts of a city's quarter (150,000 rows, ~25 MB) in memory, not on disk.
            "OPTIONS": {"options": "-c jit=off -c work_mem=64MB"}}


SECRET_KEY = os.environ.get("DETECTOR_SERVER_SECRET", "")
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("DETECTOR_SERVER_SECRET: set it to a random string of at "
                               "least 32 characters (python3 -c 'import secrets; "
                               "print(secrets.token_urlsafe(48))')")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DETECTOR_SERVER_HOSTS", "localhost,127.0.0.1")
                 .split(",") if h]
INSECURE = os.environ.get("DETECTOR_SERVER_INSECURE") == "1"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "detector.server.apps.ServerConfig",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "detector.server.routing.replica_reads",
]
ROOT_URLCONF = "detector.server.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                       "django.contrib.auth.context_processors.auth"]},
}]
DATABASES = {"default": _database(os.environ.get("DETECTOR_DATABASE_URL", ""))}
if os.environ.get("DETECTOR_DATABASE_REPLICA_URL"):
    DATABASES["replica"] = _database(os.environ["DETECTOR_DATABASE_REPLICA_URL"],
                                     "DETECTOR_DATABASE_REPLICA_URL")
DATABASE_ROUTERS = ["detector.server.routing.DashboardReadsFromReplica"]
# Argon2id first (argon2-cffi); the others only to read hashes made with them.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login"
SESSION_COOKIE_AGE = 8 * 3600  # a working day
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not INSECURE
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Strict"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
USE_TZ = True
TIME_ZONE = "UTC"
# The period statistics kept ready (statistics.py), in this process: a whole city's
# quarter is about 10 MB of JSON, so only a few are kept; the least used go first.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
          "statistics": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                         "LOCATION": "statistics", "TIMEOUT": None,
                         "OPTIONS": {"MAX_ENTRIES": 24}}}
EVIDENCE_DIR = Path(os.environ.get("DETECTOR_EVIDENCE_DIR", "server-evidence"))
SCHEDULE = os.environ.get("DETECTOR_SCHEDULE", "normal=30,high=7")
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024 * 1024  # a push batch with its records
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}}}
