from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from web.chart import state_chart_svg

DEFAULT = Path(__file__).resolve().parents[3] / "docs" / "lifecycle.svg"


class Command(BaseCommand):
    help = "Write the lifecycle state chart, drawn from the flow's transitions, to docs/lifecycle.svg."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(DEFAULT))

    def handle(self, *args, output, **options):
        Path(output).write_text(state_chart_svg() + "\n", encoding="utf-8")
        self.stdout.write(_("Đã vẽ: %(file)s") % {"file": output})
