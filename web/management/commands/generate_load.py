"""``manage.py generate_load --initiatives N``: a national programme of N initiatives, in bulk
(``bench/loadgen.py``). Refuses a database that already holds initiatives unless ``--append``.
``--workers`` processes build the rows (PostgreSQL; default 2 from 50,000 initiatives);
``--keep-indexes`` leaves the big tables' indexes and foreign keys in place during the load."""

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
        parser.add_argument("--workers", type=int, default=None, help="processes building rows (PostgreSQL)")
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="do not set the big tables' secondary indexes and foreign keys aside during the load",
        )

    def handle(self, *args, **o):
        if o["initiatives"] < 1:
            raise CommandError(_("--initiatives phải là số nguyên dương"))
        if o["affiliates"] is not None and not 1 <= o["affiliates"] <= 1000:
            raise CommandError(_("--affiliates phải từ 1 đến 1000"))
        if o["workers"] is not None and not 1 <= o["workers"] <= 16:
            raise CommandError(_("--workers phải từ 1 đến 16"))
        try:
            result = generate(
                o["initiatives"],
                append=o["append"],
                seed=o["seed"],
                batch=max(100, o["batch"]),
                affiliates=o["affiliates"],
                quiet=o["quiet"],
                workers=o["workers"],
                bulk=False if o["keep_indexes"] else None,
            )
        except LoadRefused as refused:
            if refused.args and refused.args[0] == "workers":
                raise CommandError(
                    _("Nhiều tiến trình ghi (--workers) cần PostgreSQL và không nằm trong một giao dịch")
                ) from None
            raise CommandError(
                _("Cơ sở dữ liệu đã có sáng kiến: dùng một cơ sở dữ liệu trống, hoặc thêm --append")
            ) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False))
