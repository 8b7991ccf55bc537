"""The one settings module of 经审, configured by environment variables.

JINGSHEN_HOME      where everything the platform stores lives (default: var/ in the repo root)
DATABASE_URL       e.g. postgresql://user@127.0.0.1/jingshen; default SQLite in JINGSHEN_HOME
JINGSHEN_DEBUG     "1" for Django debug pages (never in production)
JINGSHEN_HTTPS     "1" when served over HTTPS: secure cookies and HSTS
JINGSHEN_ALLOWED_HOSTS  comma-separated host names (default: localhost,127.0.0.1)
JINGSHEN_SECRET_KEY     overrides the key generated in JINGSHEN_HOME/secret_key
JINGSHEN_TRUSTED_PROXY  with JINGSHEN_HTTPS: the address of the reverse proxy whose X-Forwarded-For
                        is believed (default 127.0.0.1)
JINGSHEN_WATCH_ROOTS    folders (separated by ":") inside which watched folders (监控文件夹) must lie;
                        unset: any folder the checks of collection/watch.py accept
JINGSHEN_SCREENING_ENGINE  the engine a screening run uses unless it names one: duckdb (default) or
                        spark; JINGSHEN_SPARK_MASTER, JINGSHEN_SPARK_CONF and JINGSHEN_DATASETS_URL
                        configure Spark (screening/spark.py, docs/scale-out.md)
"""

import os
from datetime import timedelta

import dj_database_url

from jingshen.paths import PACKAGE_DIR, jingshen_home, refuse_incomplete_restore, repo_root, secret_key

BASE_DIR = repo_root()
HOME = jingshen_home()
refuse_incomplete_restore(HOME)  # a home left by an unfinished `jingshen restore` is never used

SECRET_KEY = os.environ.get("JINGSHEN_SECRET_KEY") or secret_key(HOME)
DEBUG = os.environ.get("JINGSHEN_DEBUG") == "1"
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("JINGSHEN_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI for /api/v1/docs/, served from here (no CDN)
    "axes",
    "django_tasks",
    "django_tasks_db",
    "jingshen.activity",
    "jingshen.orgs",
    "jingshen.accounts",
    "jingshen.ledger",
    "jingshen.screening",
    "jingshen.audits",
    "jingshen.knowledge",
    "jingshen.portal",
    "jingshen.admin_center",
    "jingshen.finance",
    "jingshen.collection",
    "jingshen.operations",
    "jingshen.api",
    "jingshen.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # the client address and 网页/接口 for the activity log (activity.services.record)
    "jingshen.activity.middleware.ActivityOriginMiddleware",
    # API requests over API_MAX_REQUEST_BYTES answer 413 before their body is read
    "jingshen.api.middleware.APIRequestSizeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # a user with a generated password reaches only 修改密码 until they choose their own
    "jingshen.accounts.middleware.PasswordChangeRequiredMiddleware",
    # AxesMiddleware must be last: it turns lockouts into the lockout response.
    "axes.middleware.AxesMiddleware",
]

# --- Content-Security-Policy (django-csp) -----------------------------------------
# The platform's own scripts and styles only: no inline script or style, no CDN, no frames.
# ECharts and htmx set styles through the CSSOM, which the policy allows.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

ROOT_URLCONF = "jingshen.urls"
WSGI_APPLICATION = "jingshen.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jingshen.portal.context_processors.menu",
            ],
            "builtins": ["jingshen.layout"],  # {% breadcrumbs %} and {% crumb %} on every page
        },
    },
]

# --- database -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{HOME / 'jingshen.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a background task writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The test database is a file too, not Django's shared-cache in-memory database: there a
    # second connection gets "database table is locked" at once instead of waiting for the
    # write lock, so concurrent writers (threads, the live server) could not be tested as they run.
    DATABASES["default"]["TEST"] = {"NAME": str(HOME / "test-jingshen.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts and security -------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "jingshen.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "jingshen.accounts.validators.CharacterClassValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock a username+address pair after 5 failures for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

HTTPS = os.environ.get("JINGSHEN_HTTPS") == "1"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "jingshen.portal.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Reverse proxies whose X-Forwarded-For names the client in the activity log; without
# JINGSHEN_HTTPS nobody is trusted and the log keeps REMOTE_ADDR (activity/middleware.py).
TRUSTED_PROXIES: list[str] = []
if HTTPS:
    # Served behind a TLS-terminating proxy (nginx etc.) that sets X-Forwarded-Proto; `jingshen
    # serve` tells waitress to trust that header from JINGSHEN_TRUSTED_PROXY (default 127.0.0.1).
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS if h != "*"]
    TRUSTED_PROXIES = [os.environ.get("JINGSHEN_TRUSTED_PROXY", "127.0.0.1").strip()]

# --- language, time -----------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["jingshen.formats"]

# --- files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
# Front-end libraries come from npm (package-lock.json) into node_modules/; the files we use
# are served from there (staticfinders.VENDOR_FILES), never copied into the repo, never from a CDN.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "jingshen.staticfinders.NodeModulesFinder",
]
MEDIA_ROOT = HOME / "files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- background tasks (imports, screening runs, report builds) -------------------------------
# A database-backed queue: no broker needed. `jingshen serve` starts a worker beside the web
# server; `jingshen db_worker` runs one on its own.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024  # larger uploads stream to a temporary file

# --- REST API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    # a key first: a request that presents one is judged by it (401 if it is bad), whatever cookie it carries
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "jingshen.api.authentication.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "jingshen.api.permissions.KeyScopes",  # a key calls only the endpoints of its scopes
    ],
    "DEFAULT_THROTTLE_CLASSES": ["jingshen.api.throttling.PrincipalRateThrottle"],
    # per API key, per user, per client address for anonymous calls (JINGSHEN_API_RATE_* to change)
    "DEFAULT_THROTTLE_RATES": {
        "key": os.environ.get("JINGSHEN_API_RATE_KEY", "120/min"),
        "user": os.environ.get("JINGSHEN_API_RATE_USER", "240/min"),
        "anon": os.environ.get("JINGSHEN_API_RATE_ANON", "30/min"),
    },
    "EXCEPTION_HANDLER": "jingshen.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "jingshen.api.schema.AutoSchema",  # query parameters, error answers (api/schema.py)
    # LimitOffsetPagination with bounded limit and offset: a bad one is a 400, not a 500
    "DEFAULT_PAGINATION_CLASS": "jingshen.querystring.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SCREENING_ENGINE = os.environ.get("JINGSHEN_SCREENING_ENGINE", "duckdb")
# The run page offers the choice of engine where Spark is configured (a master is named)
SPARK_CONFIGURED = bool(os.environ.get("JINGSHEN_SPARK_MASTER"))
API_MAX_REQUEST_BYTES = 10 * 1024 * 1024  # a larger API request answers 413 (api/middleware.py)
SPECTACULAR_SETTINGS = {
    "TITLE": "经审 API",
    "DESCRIPTION": "智慧经审平台 REST API。所有接口只返回调用者（登录用户或 API 密钥）权限范围内的单位数据。"
                   "系统对接使用 API 密钥：请求头 Authorization: Bearer <密钥>。说明见 docs/api.md。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- 监控文件夹 (collection/watch.py) ------------------------------------------------
WATCH_ROOTS = [p for p in os.environ.get("JINGSHEN_WATCH_ROOTS", "").split(os.pathsep) if p.strip()]
WATCH_SETTLE_SECONDS = 60  # a file untouched this long is taken as completely written

# --- logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {
        "file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": HOME / "logs" / "jingshen.log",
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 5,
            "formatter": "plain",
            "encoding": "utf-8",
        },
    },
    "root": {"handlers": ["file"], "level": "INFO"},
    "loggers": {"axes": {"level": "WARNING"}},
}
