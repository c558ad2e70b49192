"""Settings shared by every environment. Values that differ between machines come from the
environment (see the README's configuration table)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / "data"

env = environ.Env()


def _admin_path(value):
    """`/secret-desk` -> `secret-desk/`; the admin cannot share the root with the blog."""
    value = value.strip().strip("/")
    if not value:
        raise ImproperlyConfigured(
            "BLOG_ADMIN_PATH is empty: set it to a path such as admin/ (the blog owns /)."
        )
    return value + "/"


DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "taggit",
    "axes",
    "blog",
]

MIDDLEWARE = [
    # Readers' pages from the cache, before anything reads the session or the database; first,
    # so that what it keeps carries every header the layers below add.
    "blog.pagecache.PageCacheMiddleware",
    "blog.middleware.PermissionsPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that may query the database, so a failure there is a 503 too.
    "blog.outage.DatabaseOutageMiddleware",
    # What the page cache answers itself leaves here, with the headers of the layers above.
    "blog.pagecache.PageCacheAnswers",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's language (blog.language): after sessions, before anything that answers.
    "blog.language.ReaderLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A 404 for an address that named a post, a category or a tag: a 301 to where it is now.
    "blog.addresses.FormerAddressMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as axes asks: it turns a login it refused into the lockout page.
    "axes.middleware.AxesMiddleware",
]


def around_security(middleware, before=(), after=()):
    """`middleware` with `before` and `after` placed by name around SecurityMiddleware, so
    what base.py adds keeps its place (prod.py and dev.py add WhiteNoise and redirects)."""
    at = middleware.index("django.middleware.security.SecurityMiddleware")
    return [*middleware[:at], *before, middleware[at], *after, *middleware[at + 1 :]]


# Everything is served from our own origin: no inline script or style, no CDN. Images in
# articles may come from other sites over HTTPS.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "img-src": [CSP.SELF, "https:", "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Powerful browser features a blog never uses, refused for the page and anything it frames,
# so that a script that slipped through could not ask for them either (blog.middleware).
# Only names Chromium knows: it logs a console warning for every other one.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

ROOT_URLCONF = "site_config.urls"
WSGI_APPLICATION = "site_config.wsgi.application"

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
                "blog.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'blog.sqlite3'}")
}
# A database that is down or hung costs a request seconds, not a worker: bounded connects
# and statements, and on PostgreSQL a client-side deadline for a server that stops answering
# altogether (blog/postgresql/); the request then gets the 503 page (blog.outage).
_database = DATABASES["default"]
_database_options = _database.setdefault("OPTIONS", {})
if _database["ENGINE"].endswith("sqlite3"):
    Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # How long a write waits for another connection's lock before "database is locked".
    _database_options.setdefault("timeout", env.float("DATABASE_BUSY_TIMEOUT", default=5))
elif _database["ENGINE"] == "django.db.backends.postgresql":
    _database["ENGINE"] = "blog.postgresql"
    _statement_timeout = env.float("DATABASE_STATEMENT_TIMEOUT", default=10)
    _database_options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3))
    _database_options["options"] = " ".join(
        [f"-c statement_timeout={int(_statement_timeout * 1000)}"]
        + [_database_options.get("options", "")]
    ).strip()
    # A call that outlives the server's own statement timeout by this much has no server
    # behind it any more (0: no timeout, no deadline).
    _database_options.setdefault("client_timeout", _statement_timeout and _statement_timeout + 2)
_database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
# A reused connection is checked once per request, so one the server dropped (a restart, an
# idle timeout) is replaced instead of failing the request.
_database["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if env.str("REDIS_URL", default=""):
    # The cache only saves work: if Redis is down or slow, pages are built without it
    # (blog/cache_backend.py). Short timeouts bound what one try costs a request.
    CACHES = {
        "default": {
            "BACKEND": "blog.cache_backend.FailOpenRedisCache",
            "LOCATION": env.str("REDIS_URL"),
            "KEY_PREFIX": "blog",
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 0.5,
                "RETRY_SECONDS": 5,
            },
        }
    }
else:
    # One per process; the page cache keeps at most this many entries in each worker.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    }
# Whether every process sees the same cache. Only then may the site's content generation be
# read from it (blog.freshness); a local-memory cache of one worker cannot hear of another
# worker's write, so each request then asks the database (one primary-key read).
BLOG_CACHE_IS_SHARED = bool(env.str("REDIS_URL", default=""))
# `make run`'s settings (dev.py): the demo loader may make a login there, and nowhere else.
BLOG_DEVELOPMENT = False
# Part of every cache key (blog.freshness): by default a digest of the code and templates;
# a deployment may name its release instead.
BLOG_CODE_VERSION = env.str("BLOG_CODE_VERSION", default="")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes, with blog.login). Its backend comes first, so a refused
# login is turned away before ModelBackend spends a password hash on it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failures are kept in the database, not the cache: every worker sees the same count (a
# local-memory cache is one per process) and a cache that fails open would forget them.
AXES_HANDLER = "blog.login.LoginAttemptHandler"
AXES_FAILURE_LIMIT = env.int("BLOG_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("BLOG_LOGIN_COOLOFF_MINUTES", default=15))
# Locked when either count reaches the limit. Per address: one client cannot try one
# password on every account. Per account: many addresses (a botnet, or one attacker whose
# address changes) cannot share out the guesses on one account. The price of the second is
# that someone guessing can keep an account locked; the owner gets in again after the
# cool-off, or at once by `manage.py axes_reset_username` (README).
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "blog.login.client_address"
AXES_USERNAME_CALLABLE = "blog.login.attempted_username"
AXES_LOCKOUT_CALLABLE = "blog.login.lockout_response"

# The language the articles are written in, and the one readers get when their browser asks
# for neither of LANGUAGES (blog.language).
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Written as Django writes them (zh-hans, en), so BLOG_LANGUAGE=zh-CN, zh_Hans or en-US mean
# what they say; anything else stops the start with Django's own check (translation.E004).
_LANGUAGE_SPELLINGS = {
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-hans-cn": "zh-hans",
}
_language = env.str("BLOG_LANGUAGE", default="zh-hans").strip().lower().replace("_", "-")
LANGUAGE_CODE = _LANGUAGE_SPELLINGS.get(_language) or (
    "en" if _language.startswith("en-") else _language
)
# The reader's choice from the language switch: a year, never read by scripts.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("BLOG_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
# Our own translations, of the reading and the authoring side (compiled .mo committed: no
# gettext needed).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=DATA_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if env.str("BLOG_S3_BUCKET", default=""):
    # Uploaded and imported images in an S3-compatible bucket (django-storages, the `s3`
    # extra). Credentials come the way boto3 finds them (AWS_ACCESS_KEY_ID and
    # AWS_SECRET_ACCESS_KEY, or the machine's role). Addresses are plain, not signed: the
    # bucket (or the CDN in front, BLOG_S3_CUSTOM_DOMAIN) serves them to readers, and a name
    # never gets other bytes (it carries their digest), so they may be kept for a year.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("BLOG_S3_BUCKET"),
            "endpoint_url": env.str("BLOG_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("BLOG_S3_REGION", default="") or None,
            "custom_domain": env.str("BLOG_S3_CUSTOM_DOMAIN", default="") or None,
            "location": env.str("BLOG_S3_PREFIX", default=""),
            "querystring_auth": False,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }

# Chinese tag names keep their characters in the slug (see the README on slugs), and
# "PyTorch" and "pytorch" are one tag.
TAGGIT_CASE_INSENSITIVE = True

BLOG = {
    "TITLE": env.str("BLOG_TITLE", default="深度笔记"),
    "TAGLINE": env.str("BLOG_TAGLINE", default="机器学习工程师的技术笔记：公式、代码与实践。"),
    "POSTS_PER_PAGE": 10,
    "FEED_ITEMS": env.int("BLOG_FEED_ITEMS", default=20),
    "SERVE_MEDIA": env.bool("BLOG_SERVE_MEDIA", default=True),
    # Readers' pages and feeds kept in the cache under the site's freshness (blog.pagecache);
    # 0 builds every page (the benchmark's "uncached" runs), still with ETags and compression.
    "PAGE_CACHE": env.bool("BLOG_PAGE_CACHE", default=True),
    # The authority of feed entry ids (tag:<authority>,<date>:post-<id>); set it to the
    # site's domain so ids stay the same whatever host name a feed was fetched by.
    "FEED_ID_AUTHORITY": env.str("BLOG_FEED_ID_AUTHORITY", default=""),
    "EXCERPT_WIDTH": 110,
    # The largest article body accepted (UTF-8 bytes of Markdown), by the editor and the
    # importer alike, checked before anything is rendered.
    "MAX_ARTICLE_BYTES": env.int("BLOG_MAX_ARTICLE_BYTES", default=1024 * 1024),
    # How long an upload in the admin may spend importing: the files not reached by then are
    # reported as skipped, for the next upload. One article's rendering may still add its
    # own bound (RENDER_SECONDS, twice over), so a request ends well within a minute.
    "IMPORT_SECONDS": env.int("BLOG_IMPORT_SECONDS", default=15),
    # The time one article's rendering may take (blog.rendering.limits): past it, formulas
    # stay TeX source and code is not highlighted; past twice it, the article is shown as
    # plain text. Either way with a warning, and well within a worker's timeout.
    "RENDER_SECONDS": env.float("BLOG_RENDER_SECONDS", default=4.0),
    # How many proxies of our own are in front and append to X-Forwarded-For. 0: the client's
    # address is the connection's (REMOTE_ADDR) and the header is ignored (blog.login).
    "TRUSTED_PROXIES": env.int("BLOG_TRUSTED_PROXIES", default=0),
    # Where the admin lives (site_config/urls.py); everything else finds it by reverse().
    "ADMIN_PATH": _admin_path(env.str("BLOG_ADMIN_PATH", default="admin/")),
    # A post's revisions (blog.revisions): all of the last this many days, then one a day.
    "REVISIONS_KEEP_DAYS": env.int("BLOG_REVISIONS_KEEP_DAYS", default=30),
    # Days a post stays in the trash before `manage.py empty_trash` deletes it for good.
    "TRASH_DAYS": env.int("BLOG_TRASH_DAYS", default=30),
    # Days a shared preview link of a draft works.
    "PREVIEW_LINK_DAYS": env.int("BLOG_PREVIEW_LINK_DAYS", default=7),
}

# The admin posts an article form-encoded, where a byte of Chinese takes three ("%E5"): an
# article at the size limit must still reach the form, which then names the limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * BLOG["MAX_ARTICLE_BYTES"] + 512 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
