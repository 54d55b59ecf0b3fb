"""``manage.py generate_load --initiatives N``: a national programme of N initiatives, in bulk
(``bench/loadgen.py``). Refuses a database that already holds initiatives unless ``--append``."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bench.loadgen import LoadRefused, generate


class Command(BaseCommand):
    help = "Write a national programme of N initiatives in bulk (PostgreSQL COPY; SQLite for tiny N)."

    def add_arguments(self, parser):
        parser.add_argument("--initiatives", type=int, required=True)
        parser.add_argument("--append", action="store_true", help="add to a database that already holds data")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--batch", type=int, default=20_000)
        parser.add_argument("--affiliates", type=int, default=None)
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, **o):
        if o["initiatives"] < 1:
            raise CommandError(_("--initiatives phải là số nguyên dương"))
        if o["affiliates"] is not None and not 1 <= o["affiliates"] <= 1000:
            raise CommandError(_("--affiliates phải từ 1 đến 1000"))
        try:
            result = generate(
                o["initiatives"],
                append=o["append"],
                seed=o["seed"],
                batch=max(100, o["batch"]),
                affiliates=o["affiliates"],
                quiet=o["quiet"],
            )
        except LoadRefused:
            raise CommandError(
                _("Cơ sở dữ liệu đã có sáng kiến: dùng một cơ sở dữ liệu trống, hoặc thêm --append")
            ) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False))
