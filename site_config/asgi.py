from django.core.asgi import get_asgi_application

from site_config import use_default_settings

use_default_settings()
application = get_asgi_application()
