"""``manage.py rebuild_progress_counters``: recompute the report counters from the initiatives
(after a bulk load, an edit outside the actions, or organisation moves)."""

from django.core.management.base import BaseCommand

from initiatives.counters import progress_counters_rebuild


class Command(BaseCommand):
    help = "Recompute the progress report counters from the initiatives."

    def handle(self, *args, **options):
        sizes = progress_counters_rebuild()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in sizes.items()))
