"""How often one author may ask for something costly (a preview, an upload): a count per
minute in the cache, so every worker shares it. A cache that lost the count, or is away,
lets the request through: these limits stop scripts, not authors."""

import time

from django.core.cache import cache


def wait(user, what, per_minute):
    """Seconds until `user` may do `what` again, or 0 (and this try is counted)."""
    now = time.time()
    minute = int(now // 60)
    key = f"rate:{what}:{user.pk}:{minute}"
    cache.add(key, 0, 90)
    try:
        count = cache.incr(key)
    except ValueError:
        return 0
    if count > per_minute:
        return max(1, int((minute + 1) * 60 - now))
    return 0
