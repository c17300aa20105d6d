"""Settings of the server processes started by ``tests/test_ratelimit.py``.

The example project with rate limiting on and Redis (django-redis) as the cache, so that several
processes share one budget. Everything test-specific comes from environment variables set by the
test: the Redis URL and key prefix (a dedicated db and a prefix unique to the test run), the
SQLite file, and the query budget.
"""

import os

from example_project.settings import *  # noqa: F403
from example_project.settings import DJANGO_GRAPHQL_AUTO

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["RL_TEST_SQLITE"],
    }
}

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ["RL_TEST_REDIS_URL"],
        "KEY_PREFIX": os.environ["RL_TEST_KEY_PREFIX"],
    }
}

DJANGO_GRAPHQL_AUTO = {
    **DJANGO_GRAPHQL_AUTO,
    "ENABLE_RATE_LIMITING": True,
    "RATE_LIMIT_QUERIES": os.environ.get("RL_TEST_QUERY_RATE", "5/hour"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_graphql_auto.security": {"handlers": ["console"], "level": "WARNING"}},
}
