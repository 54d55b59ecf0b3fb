"""The WSGI application of the web processes (gunicorn: deploy/gunicorn.conf.py).

What a web process builds once and keeps for its life — Django, the project's modules, then, at its
first request, the URL resolvers, compiled templates and translation catalogues — is moved out of
the cyclic garbage collector's way (``gc.freeze``): a full collection otherwise walks all of it,
and at a few hundred thousand objects that is a pause of 50–90 ms in whichever request triggers it
(the slow single runs of ``bench/list_endpoints.py`` at 2 million; BENCHMARKS.md). The collector
goes on collecting everything created afterwards.
"""

import gc
import os

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
gc.freeze()


def _freeze_after_first_request(**kwargs):
    request_finished.disconnect(_freeze_after_first_request, dispatch_uid="sangkien-gc-freeze")
    gc.collect()  # the first request's own garbage is not kept
    gc.freeze()


request_finished.connect(_freeze_after_first_request, dispatch_uid="sangkien-gc-freeze", weak=False)
