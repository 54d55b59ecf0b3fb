import pytest

from councils.models import User


@pytest.fixture
def flow(api, users, make_draft, django_capture_on_commit_callbacks):
    """Drive initiatives through the API as the people of the test tree."""

    class Flow:
        def __init__(self):
            for u in User.objects.all():
                u.email = f"{u.username}@example.org"
                u.save(update_fields=["email"])

        def act(self, user, iid, name, comment="", expect=200):
            with django_capture_on_commit_callbacks(execute=True):  # notifications run as after a real commit
                r = api(users[user]).post(
                    f"/api/v1/initiatives/{iid}/actions/{name}/", {"comment": comment}, format="json"
                )
            assert r.status_code == expect, (user, name, r.status_code, r.content)
            return r.json()

        def vote(self, user, iid, decision, score=None, comment="", expect=201):
            body = {"decision": decision, "comment": comment}
            if score is not None:
                body["score"] = score
            with django_capture_on_commit_callbacks(execute=True):
                r = api(users[user]).post(f"/api/v1/initiatives/{iid}/votes/", body, format="json")
            assert r.status_code == expect, (user, decision, r.status_code, r.content)
            return r.json()

        def get(self, user, iid):
            r = api(users[user]).get(f"/api/v1/initiatives/{iid}/")
            assert r.status_code == 200, r.content
            return r.json()

        def state(self, iid):
            from initiatives.models import Initiative

            return Initiative.objects.get(pk=iid).state

        def history(self, user, iid):
            r = api(users[user]).get(f"/api/v1/initiatives/{iid}/history/", {"page_size": 500})
            assert r.status_code == 200, r.content
            return r.json()["results"]

        def draft(self, user="author1", **kw):
            return make_draft(user, **kw)["id"]

        def to_unit_council(self, user="author1", adviser="u1_adv", **kw):
            iid = self.draft(user, **kw)
            self.act(user, iid, "submit")
            self.act(adviser, iid, "forward")
            return iid

        def council_decides(self, iid, voters, decision, closer, comment=""):
            for v in voters:
                self.vote(
                    v, iid, decision, score=80, comment=comment or ("lý do" if decision in ("return", "reject") else "")
                )
            return self.act(closer, iid, "close")

        def to_sector(self, **kw):
            iid = self.to_unit_council(**kw)
            self.council_decides(iid, ["u1_chair", "u1_sec", "u1_m1"], "approve", "u1_chair")
            self.council_decides(iid, ["c_chair", "c_m1"], "approve", "c_chair")
            assert self.state(iid) == "sector_review"
            return iid

    return Flow()
