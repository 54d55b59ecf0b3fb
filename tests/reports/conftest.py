import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

# codes → parent code in the base structure (tests/conftest.py), plus a depth-5 team under XN1
PARENTS = {
    "TLD": None,
    "NGANH": "TLD",
    "TCTA": "NGANH",
    "XN1": "TCTA",
    "XN2": "TCTA",
    "TCTB": "NGANH",
    "XN3": "TCTB",
    "TO1": "XN1",
}
HEADCOUNT = {"TLD": 0, "NGANH": 5000, "TCTA": 2000, "XN1": 300, "XN2": 200, "TCTB": 1000, "XN3": 100, "TO1": 40}


def local_dt(day: datetime.date, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def report_structure(db, structure_data):
    """The base tree, one level deeper (TO1 under XN1), with targets on several levels."""
    from workflow.structure import structure_load

    sector = structure_data["organisations"][0]["children"][0]
    corp_a = sector["children"][0]
    xn1 = corp_a["children"][0]
    xn1["children"] = [
        {
            "code": "TO1",
            "name": "Tổ công đoàn 1",
            "level": "unit",
            "headcount": 40,
            "targets": [{"phase": "A", "initiatives": 2}],
        }
    ]
    corp_a["targets"] = [{"phase": "A", "initiatives": 10}, {"phase": "B", "initiatives": 50}]
    corp_a["children"][1]["targets"] = [{"phase": "A", "initiatives": 3}, {"phase": "B", "initiatives": 6}]
    sector["targets"] = [{"phase": "A", "initiatives": 30}]
    sector["children"][1]["children"][0]["targets"] = [{"phase": "B", "initiatives": 5}]
    structure_load(data=structure_data)
    from councils.models import User

    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def make_initiative(db):
    from councils.models import Organisation, User
    from initiatives.models import Initiative, InitiativeAuthor

    creator = {}

    def make(
        org,
        *,
        submitted=None,
        recognised=None,
        state="advisory_review",
        benefit=0,
        category="technical",
        authors=(("author1", None),),
    ):
        if "u" not in creator:
            creator["u"] = User.objects.get(username="author1")
        organisation = Organisation.objects.get(code=org)
        ini = Initiative.objects.create(
            title=f"Sáng kiến thử nghiệm {org}",
            category=category,
            organisation=organisation,
            benefit_value_vnd=benefit,
            state=state,
            created_by=creator["u"],
            submitted_at=local_dt(submitted) if submitted else None,
            recognised_at=local_dt(recognised) if recognised else None,
        )
        users = {u.username: u for u in User.objects.filter(username__in=[a for a, _ in authors if a])}
        share = Decimal(100) / len(authors)
        for i, (username, full_name) in enumerate(authors):
            user = users.get(username) if username else None
            InitiativeAuthor.objects.create(
                initiative=ini,
                user=user,
                full_name=full_name or (user.display_name if user else "?"),
                share_percent=share.quantize(Decimal("0.01")),
                position=i,
            )
        # written straight to the table, as a bulk load would be: count it as the actions do
        from django.db import transaction

        from initiatives.counters import progress_counters_apply, progress_share

        with transaction.atomic():
            progress_counters_apply(before=None, after=progress_share(ini))
        return ini

    return make


@pytest.fixture
def random_initiatives(report_structure, make_initiative):
    """A deterministic mix over every organisation: both phases, withdrawn and rejected ones,
    authors with and without accounts, some shared between units. Returns the plain rows."""
    rng = random.Random(20220930)
    people = ["author1", "author1b", "author2", "author3", "u1_m1"]
    outsiders = ["Nguyễn Văn Ngoài", "Trần Thị Khách", "Lê Văn Cộng Tác"]
    rows = []
    for _ in range(90):
        org = rng.choice(["XN1", "XN2", "XN3", "TO1", "TCTA", "NGANH", "TCTB"])
        submitted = None if rng.random() < 0.1 else datetime.date(2021, 9, 1) + datetime.timedelta(rng.randint(0, 500))
        recognised = None
        if submitted and rng.random() < 0.5:
            recognised = submitted + datetime.timedelta(rng.randint(0, 120))
        state = rng.choice(["advisory_review", "unit_council", "rejected", "withdrawn", "corporation_council"])
        if submitted is None:
            state = "draft"
        authors = []
        for _ in range(rng.randint(1, 3)):
            a = (rng.choice(people), None) if rng.random() < 0.6 else (None, rng.choice(outsiders))
            if a not in authors:
                authors.append(a)
        benefit = rng.choice([0, 5_000_000, 80_000_000, 123_456_789])
        category = rng.choice(["technical", "management", "union", "covid"])
        make_initiative(
            org,
            submitted=submitted,
            recognised=recognised,
            state=state,
            benefit=benefit,
            category=category,
            authors=authors,
        )
        rows.append(
            {
                "org": org,
                "submitted": submitted,
                "recognised": recognised,
                "state": state,
                "benefit": benefit,
                "category": category,
                "people": {f"u:{u}" if u else f"n:{name}" for u, name in authors},
            }
        )
    return rows


def descendants(code, parents=PARENTS):
    out = {code}
    changed = True
    while changed:
        changed = False
        for c, p in parents.items():
            if p in out and c not in out:
                out.add(c)
                changed = True
    return out
