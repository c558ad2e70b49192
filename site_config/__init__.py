import os


def use_default_settings():
    """Development settings when DJANGO_DEBUG=1, production otherwise (the README's table).

    manage.py, wsgi and asgi call this, so `gunicorn site_config.wsgi` needs no extra flag."""
    debug = os.environ.get("DJANGO_DEBUG", "0").strip().lower() in {"1", "true", "yes", "on"}
    module = "site_config.settings.dev" if debug else "site_config.settings.prod"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", module)
