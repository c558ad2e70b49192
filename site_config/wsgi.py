from django.core.wsgi import get_wsgi_application

from site_config import use_default_settings

use_default_settings()
django_application = get_wsgi_application()

# Imported once the apps are loaded (get_wsgi_application sets Django up).
from blog.pagecache import answering_hits  # noqa: E402

# Readers' pages the page cache holds are answered in front of Django's handler.
application = answering_hits(django_application)
