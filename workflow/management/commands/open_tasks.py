from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from initiatives.opentasks import tasks_rebuild
from workflow.opentask_check import inbox_differences, people_with_work, stale_due_dates


class Command(BaseCommand):
    help = (
        "The open-work table behind the inbox: --check compares, person by person, the inbox read from it "
        "with the inbox searched from the dossiers, and each row's due date with its dossier's (exit 1 on any "
        "difference); --rebuild fills it again "
        "from every dossier."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="compare the two inboxes (the default)")
        parser.add_argument("--rebuild", action="store_true", help="empty the table and fill it from the dossiers")
        parser.add_argument("--limit", type=int, default=None, help="check only the first N people")

    def handle(self, *args, **options):
        if options["rebuild"]:
            with transaction.atomic():
                rows = tasks_rebuild()
            self.stdout.write(f"open tasks: {rows}")
            if not options["check"]:
                return
        people = people_with_work(options["limit"])
        differences = inbox_differences(people)
        for d in differences[:50]:
            self.stdout.write(f"{d['user']}: missing {d['missing'][:20]} extra {d['extra'][:20]}")
        stale = stale_due_dates()
        if stale:
            self.stdout.write(f"open work with another due date than its dossier's: {stale[:20]}")
        if differences or stale:
            raise CommandError(f"{len(differences)} inboxes differ, {len(stale)} dossiers' open work is out of date")
        self.stdout.write(f"ok: {people.count()} inboxes agree")
