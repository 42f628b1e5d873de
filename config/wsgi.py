import gc
import os

from django.core.wsgi import get_wsgi_application

from config.startup import refuse_public_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

refuse_public_secret_key()

# Everything loaded so far (Django, the apps, their modules) lives as long as the process.
# Moving it out of the cyclic collector's sight keeps full collections short during requests
# that build many objects (the dashboard holds a row per account), which halves its slowest
# responses; see docs/benchmarks.md.
gc.freeze()
