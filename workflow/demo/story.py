"""The demo's part of the seeds' story told by the programme's rules (issue 10, items 9 and 10).

``demo_story()`` runs after ``seed_demo``'s own story (the lead wires it there), through the real
actions, and does nothing the second time:

1. **Hà Nội and Thủ Đức over target** (seed 001: "Công đoàn Tổng công ty Điện lực TP. Hà Nội, Công
   đoàn Công ty TNHH MTV Nhiệt điện Thủ Đức đã vượt chỉ tiêu kế hoạch, vượt trước gần 01 năm", by
   11/11/2022): a register of phase-2 initiatives is imported (``initiatives_import``, as the
   demo's EVNSPC register is) — EVNHANOI 530 against its phase-2 target of 520 (seed figures;
   registered at its unit PC Hoàn Kiếm), NDTD 28 against 25 (the seeds give no figure for Thủ
   Đức's target: ours). The progress report of phase 2 as of 2022-11-11 shows both above 100 %.
2. **The sector's goal revised** to 6,000 by 01/9/2023 (seed 001, document 663 of 14/11/2022) is
   in ``structure.json`` (a target row valid from 2022-11-14): a report as of an earlier day shows
   7,000, a later one 6,000.
3. **PC Bình Dương moves** from EVNSPC to the Ho Chi Minh City corporation (EVNHCMC) on 1/7/2025
   (``organisation_relocate``: an ``OrganisationMove`` with that effective date, the counters
   refreshed): a report of a past month counts it under EVNSPC, a later one under EVNHCMC.
4. **The current programme** "1M-2026" (1/10/2023 – 31/12/2027, after the seeds' programme ends
   on 30/9/2023) with one phase, targets and the sector's quotas, so that dossiers drafted today
   count in a programme and its awards have quotas.
"""

import datetime
import random
import tempfile
from pathlib import Path

from django.db import transaction
from openpyxl import Workbook

from config.xlsx import cells_as_text

from .make_register import FAMILY, GIVEN, HEADERS, MIDDLE, SUBJECTS

OVER_TARGET = {  # unit: (registrations in phase 2 by 11/11/2022, the corporation or unit it counts for)
    "PCHK": 530,  # EVNHANOI: phase-2 target 520 (seed figures)
    "NDTD": 28,  # Thủ Đức: phase-2 target 25 (ours)
}
PHASE2_STARTS = datetime.date(2022, 6, 1)
BY = datetime.date(2022, 11, 11)
MOVE_ON = datetime.date(2025, 7, 1)

CURRENT_PROGRAMME = {
    "programme": {
        "code": "1M-2026",
        "name": "Chương trình 01 triệu sáng kiến (tiếp nối)",
        "starts": "2023-10-01",
        "ends": "2027-12-31",
        "phases": [{"code": "P1", "starts": "2023-10-01", "ends": "2027-12-31", "target": 8000}],
        "participation_target_percent": 10,
        "quotas": [
            # as the seeds' programme: the certificates' 60 and 100 are goals, the monthly five a cap
            {
                "award": "federation_certificate",
                "cap": 60,
                "kind": "target",
                "amount_vnd": 5000000,
                "organisation": "CDDLVN",
            },
            {
                "award": "sector_certificate",
                "cap": 100,
                "kind": "target",
                "amount_vnd": 3000000,
                "organisation": "CDDLVN",
            },
            {
                "award": "monthly_commendation",
                "cap": 5,
                "per": "month",
                "amount_vnd": 1000000,
                "organisation": "CDDLVN",
            },
        ],
    },
    "organisations": [
        {"code": "CDDLVN", "targets": [{"phase": "P1", "initiatives": 8000}]},
        {"code": "EVNSPC", "targets": [{"phase": "P1", "initiatives": 2000}]},
        {"code": "EVNHCMC", "targets": [{"phase": "P1", "initiatives": 900}]},
        {"code": "EVNHANOI", "targets": [{"phase": "P1", "initiatives": 900}]},
    ],
}


def over_target_rows() -> list[list]:
    """The register rows of Hà Nội's and Thủ Đức's phase-2 registrations (deterministic)."""
    rng = random.Random(2022_11_11)
    out, n = [], 0
    for unit, count in OVER_TARGET.items():
        people = [f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}" for _ in range(count // 2)]
        for _ in range(count):
            n += 1
            category, subject = rng.choice(SUBJECTS)
            registered = PHASE2_STARTS + datetime.timedelta(days=rng.randint(0, (BY - PHASE2_STARTS).days))
            recognised = None
            if rng.random() < 0.5:
                recognised = min(registered + datetime.timedelta(days=rng.randint(10, 60)), BY)
            out.append(
                [
                    f"{unit}-{registered:%Y}-{n:04d}",
                    f"{subject} tại {unit} (số {n})",
                    unit,
                    category,
                    f"{rng.choice(people)}:100",
                    rng.choice([0, 20_000_000, 50_000_000, 90_000_000, 160_000_000]),
                    registered - datetime.timedelta(days=rng.randint(5, 90)),
                    registered,
                    recognised,
                ]
            )
    return out


def demo_over_target() -> int:
    """Import Hà Nội's and Thủ Đức's registrations (once). Returns how many were imported."""
    from councils.models import User
    from initiatives.imports import initiatives_import
    from initiatives.models import Initiative

    if Initiative.objects.filter(reference__startswith="PCHK-").exists():
        return 0
    wb = Workbook()
    ws = wb.active
    ws.title = "Sổ đăng ký"
    ws.append(HEADERS)
    for row in over_target_rows():
        ws.append(row)
    cells_as_text(wb)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hanoi-thuduc.xlsx"
        wb.save(path)
        return initiatives_import(path=path, actor=User.objects.filter(username="quantri").first())


def demo_move_binh_duong():
    """PC Bình Dương moves from EVNSPC to EVNHCMC on 1/7/2025 (once; the structure loader keeps a
    recorded move that the file predates)."""
    from councils.models import Organisation, OrganisationMove
    from workflow.structure import organisation_relocate

    pcbd = Organisation.objects.get(code="PCBD")
    if OrganisationMove.objects.filter(organisation=pcbd, effective=MOVE_ON).exists():
        return None
    return organisation_relocate(
        organisation=pcbd, new_parent=Organisation.objects.get(code="EVNHCMC"), effective=MOVE_ON, actor=None
    )


@transaction.atomic
def demo_current_programme():
    """The programme running today (1M-2026), its phase, targets and quotas (once; audited as
    any structure file's programme)."""
    from awards.structure import quotas_apply
    from councils.structure import StructureError, structure_validate
    from initiatives.counters import progress_counters_refresh
    from initiatives.structure import programme_apply

    errors = [e for e in structure_validate({"programme": CURRENT_PROGRAMME["programme"]})]
    if errors:
        raise StructureError(errors)
    programme, changes = programme_apply(data=CURRENT_PROGRAMME)
    changes += quotas_apply(data=CURRENT_PROGRAMME, programme=programme)
    progress_counters_refresh()  # a new programme and phase: new author-counting periods
    return programme, changes


def demo_story() -> dict:
    """The whole of this part of the demo; returns what it did."""
    imported = demo_over_target()
    move = demo_move_binh_duong()
    programme, changes = demo_current_programme()
    return {"imported": imported, "moved": move is not None, "programme": programme.code, "changes": changes}
