"""The structure file (API.md §1): parsing, validation, and applying the tree, people and councils.

``structure_validate`` checks the whole file (programme, quotas and targets included) and returns
every problem with the path of the bad entry, e.g. ``organisations[0].children[2].councils[1].quorum``.
``structure_apply_tree`` writes organisations, people, roles and councils; the programme and quotas
are written by the rooms above (``initiatives``, ``awards``), called by ``workflow.actions.structure_load``.
"""

import datetime
import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .actions import (
    bloc_save,
    council_create,
    council_update,
    membership_remove,
    membership_set,
    organisation_create,
    organisation_move,
    organisation_update,
    role_grant,
    role_revoke,
    substitutes_set,
    user_create,
    user_set_password,
    user_update,
)
from .models import (
    Ballot,
    Council,
    CouncilKind,
    Level,
    MemberRole,
    Membership,
    Organisation,
    Role,
    RoleAssignment,
    User,
)
from .selectors import SMALL_ADVISORY_TEAM

AWARDS = ("federation_certificate", "sector_certificate", "monthly_commendation")
PERIODS = ("programme", "month")
QUOTA_KINDS = ("cap", "target")


class StructureError(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(errors))


def structure_parse(path) -> dict:
    """Read a JSON (or YAML) structure file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StructureError([f"{path}: " + _("không tìm thấy tệp")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise StructureError([f"{path}: " + _("không đọc được tệp") + f" ({e})"]) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise StructureError([f"{path}: " + _("YAML không hợp lệ") + f" ({e})"]) from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise StructureError(
                [
                    f"{path}: "
                    + _("JSON không hợp lệ (dòng %(line)s, cột %(column)s: %(reason)s)")
                    % {"line": e.lineno, "column": e.colno, "reason": e.msg}
                ]
            ) from None
    if not isinstance(data, dict):
        raise StructureError([f"{path}: " + _("tệp phải là một đối tượng JSON")])
    return data


def parse_threshold(value) -> Fraction | None:
    """ "2/3", "1/2", 0.5 or "0.5" → a Fraction in (0, 1]; None when it is not one."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*/\s*\d+\s*", value):
            num, den = (int(x) for x in value.split("/"))
            frac = Fraction(num, den) if den else None
        elif isinstance(value, int | float | str):
            frac = Fraction(str(value).strip()).limit_denominator(1000)
        else:
            return None
    except (ValueError, ZeroDivisionError):
        return None
    if frac is None or not (0 < frac <= 1):
        return None
    return frac


def _date(value):
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _is_int(value, minimum=0):
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


@dataclass
class _Validation:
    errors: list = field(default_factory=list)
    org_codes: dict = field(default_factory=dict)  # code → path in file
    council_codes: dict = field(default_factory=dict)
    usernames: dict = field(default_factory=dict)
    phase_codes: set = field(default_factory=set)
    member_refs: list = field(default_factory=list)  # (path, username)

    def note(self, path, message):
        """One message (gettext: in the language of whoever loads the file) at its path."""
        self.errors.append(f"{path}: {message}")


def _choices(choices):
    return ", ".join(choices.values)


def structure_validate(data: dict) -> list[str]:
    """Every problem of the file, each naming its path. An empty list means the file is good."""
    v = _Validation()
    programme = data.get("programme")
    if programme is not None:
        _validate_programme(v, programme)
    organisations = data.get("organisations", [])
    if not isinstance(organisations, list):
        v.note("organisations", _("phải là một danh sách"))
        organisations = []
    for i, org in enumerate(organisations):
        _validate_org(v, org, f"organisations[{i}]", parent_code=None)
    people = data.get("people", [])
    if not isinstance(people, list):
        v.note("people", _("phải là một danh sách"))
        people = []
    known_orgs = set(v.org_codes) | set(
        Organisation.objects.filter(code__in=_referenced_orgs(data)).values_list("code", flat=True)
    )
    # Parents named explicitly (top-level entries hanging under an existing organisation).
    for i, org in enumerate(organisations):
        if isinstance(org, dict) and org.get("parent") not in (None, "") and org["parent"] not in known_orgs:
            v.note(
                f"organisations[{i}].parent",
                _("tổ chức cha '%(org_parent)s' không tồn tại") % {"org_parent": org["parent"]},
            )
    for i, person in enumerate(people):
        _validate_person(v, person, f"people[{i}]", known_orgs)
    known_users = set(v.usernames) | set(
        User.objects.filter(username__in=[u for _, u in v.member_refs]).values_list("username", flat=True)
    )
    for path, username in v.member_refs:
        if username not in known_users:
            v.note(path, _("không có người dùng '%(username)s'") % {"username": username})
    if programme is not None and isinstance(programme, dict):
        for j, quota in enumerate(programme.get("quotas") or []):
            if isinstance(quota, dict) and isinstance(quota.get("organisation"), str):
                if quota["organisation"] not in known_orgs:
                    v.note(
                        f"programme.quotas[{j}].organisation",
                        _("không có tổ chức '%(quota_organisation)s'") % {"quota_organisation": quota["organisation"]},
                    )
    if programme is not None and isinstance(programme, dict) and isinstance(programme.get("budgets"), list):
        for j, budget in enumerate(programme["budgets"]):
            if isinstance(budget, dict) and isinstance(budget.get("organisation"), str):
                if budget["organisation"] not in known_orgs:
                    v.note(
                        f"programme.budgets[{j}].organisation",
                        _("không có tổ chức '%(budget_organisation)s'")
                        % {"budget_organisation": budget["organisation"]},
                    )
    for path, phase in getattr(v, "target_refs", []):
        if phase not in v.phase_codes:
            v.note(path, _("không có giai đoạn '%(phase)s' trong chương trình") % {"phase": phase})
    if "blocs" in data:
        _validate_blocs(v, data)
    return v.errors


def structure_warnings(data: dict) -> list[str]:
    """What the file may hold but the programme's rules advise against, each naming its path (the
    file is loaded all the same): an advisory team of fewer than 3 members (seed 003 §II.1)."""
    out = []

    def walk(org, path):
        if not isinstance(org, dict):
            return
        for i, c in enumerate(org.get("councils") or []):
            if isinstance(c, dict) and c.get("kind") == CouncilKind.ADVISORY:
                members = c.get("members") or []
                if isinstance(members, list) and len(members) < SMALL_ADVISORY_TEAM:
                    out.append(
                        f"{path}.councils[{i}].members: "
                        + _(
                            "tổ tư vấn %(council)s của %(org)s chỉ có %(n)s thành viên; chương trình yêu cầu "
                            "tổ tư vấn hỗ trợ sáng kiến có từ %(min)s thành viên trở lên"
                        )
                        % {
                            "council": c.get("code"),
                            "org": org.get("code"),
                            "n": len(members),
                            "min": SMALL_ADVISORY_TEAM,
                        }
                    )
        for i, child in enumerate(org.get("children") or []):
            walk(child, f"{path}.children[{i}]")

    for i, org in enumerate(data.get("organisations") or []):
        walk(org, f"organisations[{i}]")
    return out


def _referenced_orgs(data):
    refs = set()
    for org in data.get("organisations") or []:
        if isinstance(org, dict) and isinstance(org.get("parent"), str):
            refs.add(org["parent"])
    for person in data.get("people") or []:
        if isinstance(person, dict) and isinstance(person.get("organisation"), str):
            refs.add(person["organisation"])
    programme = data.get("programme")
    if isinstance(programme, dict):
        for quota in programme.get("quotas") or []:
            if isinstance(quota, dict) and isinstance(quota.get("organisation"), str):
                refs.add(quota["organisation"])
        budgets = programme.get("budgets")
        for budget in budgets if isinstance(budgets, list) else []:
            if isinstance(budget, dict) and isinstance(budget.get("organisation"), str):
                refs.add(budget["organisation"])
    return refs


def _validate_programme(v, p):
    if not isinstance(p, dict):
        v.note("programme", _("phải là một đối tượng"))
        return
    for key in ("code", "name"):
        if not isinstance(p.get(key), str) or not p[key].strip():
            v.note(f"programme.{key}", _("bắt buộc"))
    starts, ends = _date(p.get("starts")), _date(p.get("ends"))
    if not starts:
        v.note("programme.starts", _("phải là ngày dạng YYYY-MM-DD"))
    if not ends:
        v.note("programme.ends", _("phải là ngày dạng YYYY-MM-DD"))
    if starts and ends and ends < starts:
        v.note("programme.ends", _("kết thúc trước ngày bắt đầu"))
    pct = p.get("participation_target_percent", 10)
    if not isinstance(pct, int | float) or isinstance(pct, bool) or not (0 <= pct <= 100):
        v.note("programme.participation_target_percent", _("phải là số từ 0 đến 100"))
    phases = p.get("phases", [])
    if not isinstance(phases, list):
        v.note("programme.phases", _("phải là một danh sách"))
        phases = []
    for i, ph in enumerate(phases):
        path = f"programme.phases[{i}]"
        if not isinstance(ph, dict):
            v.note(path, _("phải là một đối tượng"))
            continue
        code = ph.get("code")
        if not isinstance(code, str) or not code.strip():
            v.note(f"{path}.code", _("bắt buộc"))
        elif code in v.phase_codes:
            v.note(f"{path}.code", _("mã giai đoạn '%(code)s' bị trùng") % {"code": code})
        else:
            v.phase_codes.add(code)
        s, e = _date(ph.get("starts")), _date(ph.get("ends"))
        if not s:
            v.note(f"{path}.starts", _("phải là ngày dạng YYYY-MM-DD"))
        if not e:
            v.note(f"{path}.ends", _("phải là ngày dạng YYYY-MM-DD"))
        if s and e and e < s:
            v.note(f"{path}.ends", _("kết thúc trước ngày bắt đầu"))
        if "target" in ph and not _is_int(ph["target"]):
            v.note(f"{path}.target", _("phải là số nguyên ≥ 0"))
    quotas = p.get("quotas", [])
    if not isinstance(quotas, list):
        v.note("programme.quotas", _("phải là một danh sách"))
        quotas = []
    seen = set()
    for i, q in enumerate(quotas):
        path = f"programme.quotas[{i}]"
        if not isinstance(q, dict):
            v.note(path, _("phải là một đối tượng"))
            continue
        if q.get("award") not in AWARDS:
            v.note(
                f"{path}.award",
                _("loại khen thưởng không hợp lệ '%(q_get_award)s' (một trong: %(join_awards)s)")
                % {"q_get_award": q.get("award"), "join_awards": ", ".join(AWARDS)},
            )
        if not _is_int(q.get("cap")):
            v.note(f"{path}.cap", _("phải là số nguyên ≥ 0"))
        per = q.get("per", "programme")
        if per not in PERIODS:
            v.note(f"{path}.per", _("phải là một trong: %(join_periods)s") % {"join_periods": ", ".join(PERIODS)})
        if q.get("kind", "cap") not in QUOTA_KINDS:
            v.note(f"{path}.kind", _("phải là cap hoặc target"))
        if not isinstance(q.get("organisation"), str):
            v.note(f"{path}.organisation", _("bắt buộc"))
        if "amount_vnd" in q and not _is_int(q["amount_vnd"]):
            v.note(f"{path}.amount_vnd", _("phải là số nguyên ≥ 0"))
        key = (q.get("award"), q.get("organisation"), per)
        if key in seen:
            v.note(path, _("hạn mức bị trùng"))
        seen.add(key)
    budgets = p.get("budgets", [])
    if not isinstance(budgets, list):
        v.note("programme.budgets", _("phải là một danh sách"))
        budgets = []
    seen = set()
    for i, b in enumerate(budgets):
        path = f"programme.budgets[{i}]"
        if not isinstance(b, dict):
            v.note(path, _("phải là một đối tượng"))
            continue
        if not isinstance(b.get("organisation"), str):
            v.note(f"{path}.organisation", _("bắt buộc"))
        year = b.get("year")
        if not _is_int(year) or not 1900 <= year <= 2999:
            v.note(f"{path}.year", _("phải là năm từ 1900 đến 2999"))
        if not _is_int(b.get("amount_vnd")):
            v.note(f"{path}.amount_vnd", _("phải là số nguyên ≥ 0"))
        key = (b.get("organisation"), year)
        if key in seen:
            v.note(path, _("kinh phí bị trùng (cùng tổ chức, cùng năm)"))
        seen.add(key)


def _validate_org(v, org, path, parent_code):
    if not isinstance(org, dict):
        v.note(path, _("phải là một đối tượng"))
        return
    code = org.get("code")
    if not isinstance(code, str) or not code.strip():
        v.note(f"{path}.code", _("bắt buộc"))
    elif code in v.org_codes:
        v.note(
            f"{path}.code",
            _("mã tổ chức '%(code)s' bị trùng với %(v_org_codes_code)s")
            % {"code": code, "v_org_codes_code": v.org_codes[code]},
        )
    else:
        v.org_codes[code] = path
    if not isinstance(org.get("name"), str) or not org["name"].strip():
        v.note(f"{path}.name", _("bắt buộc"))
    level = org.get("level")
    if level not in Level.values:
        v.note(
            f"{path}.level",
            _("cấp không hợp lệ '%(level)s' (một trong: %(choices_level)s)")
            % {"level": level, "choices_level": _choices(Level)},
        )
    if parent_code is None and level == Level.UNIT and not org.get("parent"):
        v.note(path, _("công đoàn cơ sở phải có tổ chức cha"))
    if "parent" in org and parent_code is not None:
        v.note(f"{path}.parent", _("chỉ dùng cho tổ chức ở cấp ngoài cùng"))
    if "headcount" in org and not _is_int(org["headcount"]):
        v.note(f"{path}.headcount", _("phải là số nguyên ≥ 0"))
    if "moved_on" in org and _date(org["moved_on"]) is None:
        v.note(f"{path}.moved_on", _("phải là ngày dạng YYYY-MM-DD"))
    targets = org.get("targets", [])
    if not isinstance(targets, list):
        v.note(f"{path}.targets", _("phải là một danh sách"))
        targets = []
    seen_targets = {}  # (phase, from) → path: one target per phase and date it takes effect
    for i, t in enumerate(targets):
        tpath = f"{path}.targets[{i}]"
        if not isinstance(t, dict):
            v.note(tpath, _("phải là một đối tượng"))
            continue
        if not isinstance(t.get("phase"), str):
            v.note(f"{tpath}.phase", _("bắt buộc"))
        else:
            v.__dict__.setdefault("target_refs", []).append((f"{tpath}.phase", t["phase"]))
        if not _is_int(t.get("initiatives")):
            v.note(f"{tpath}.initiatives", _("phải là số nguyên ≥ 0"))
        if "from" in t and _date(t["from"]) is None:
            v.note(f"{tpath}.from", _("phải là ngày dạng YYYY-MM-DD"))
        key = (t.get("phase"), t.get("from"))
        if isinstance(key[0], str) and key in seen_targets:
            v.note(
                tpath,
                _("chỉ tiêu giai đoạn %(phase)s áp dụng từ cùng ngày đã có ở %(other)s")
                % {"phase": key[0], "other": seen_targets[key]},
            )
        elif isinstance(key[0], str) and (key[1] is None or isinstance(key[1], str)):
            seen_targets[key] = tpath
    councils = org.get("councils", [])
    if not isinstance(councils, list):
        v.note(f"{path}.councils", _("phải là một danh sách"))
        councils = []
    for i, c in enumerate(councils):
        _validate_council(v, c, f"{path}.councils[{i}]")
    children = org.get("children", [])
    if not isinstance(children, list):
        v.note(f"{path}.children", _("phải là một danh sách"))
        children = []
    for i, child in enumerate(children):
        _validate_org(v, child, f"{path}.children[{i}]", parent_code=code or "?")


def _validate_council(v, c, path):
    if not isinstance(c, dict):
        v.note(path, _("phải là một đối tượng"))
        return
    code = c.get("code")
    if not isinstance(code, str) or not code.strip():
        v.note(f"{path}.code", _("bắt buộc"))
    elif code in v.council_codes:
        v.note(
            f"{path}.code",
            _("mã hội đồng '%(code)s' bị trùng với %(v_council_codes_code)s")
            % {"code": code, "v_council_codes_code": v.council_codes[code]},
        )
    else:
        v.council_codes[code] = path
    if c.get("kind") not in CouncilKind.values:
        v.note(
            f"{path}.kind",
            _("loại hội đồng không hợp lệ '%(c_get_kind)s' (một trong: %(choices_councilkind)s)")
            % {"c_get_kind": c.get("kind"), "choices_councilkind": _choices(CouncilKind)},
        )
    members = c.get("members", [])
    if not isinstance(members, list):
        v.note(f"{path}.members", _("phải là một danh sách"))
        members = []
    quorum = c.get("quorum", 1)
    if not _is_int(quorum, minimum=1):
        v.note(f"{path}.quorum", _("phải là số nguyên ≥ 1"))
    elif members and quorum > len(members):
        v.note(
            f"{path}.quorum",
            _("số phiếu tối thiểu %(quorum)s lớn hơn số thành viên (%(len_members)s)")
            % {"quorum": quorum, "len_members": len(members)},
        )
    if "threshold" in c and parse_threshold(c["threshold"]) is None:
        v.note(
            f"{path}.threshold",
            _("'%(c_threshold)s' không phải là phân số trong (0, 1], ví dụ \"2/3\"") % {"c_threshold": c["threshold"]},
        )
    if c.get("ballot", "open") not in Ballot.values:
        v.note(f"{path}.ballot", _("phải là open hoặc secret"))
    if "decision_days" in c and not _is_int(c["decision_days"], minimum=1):
        v.note(f"{path}.decision_days", _("phải là số nguyên ≥ 1"))
    seen = set()
    for i, m in enumerate(members):
        mpath = f"{path}.members[{i}]"
        if not isinstance(m, dict) or not isinstance(m.get("username"), str):
            v.note(f"{mpath}.username", _("bắt buộc"))
            continue
        if m["username"] in seen:
            v.note(f"{mpath}.username", _("'%(m_username)s' được liệt kê hai lần") % {"m_username": m["username"]})
        seen.add(m["username"])
        if m.get("role", "member") not in MemberRole.values:
            v.note(
                f"{mpath}.role",
                _("vai trò không hợp lệ '%(m_get_role)s' (một trong: %(choices_memberrole)s)")
                % {"m_get_role": m.get("role"), "choices_memberrole": _choices(MemberRole)},
            )
        v.member_refs.append((f"{mpath}.username", m["username"]))
    _validate_substitutes(v, c.get("substitutes", []), path, members=seen)


def _validate_substitutes(v, substitutes, path, *, members):
    """``substitutes``: usernames, in the order they sit in; none twice, none a member."""
    if not isinstance(substitutes, list):
        v.note(f"{path}.substitutes", _("phải là danh sách tên đăng nhập"))
        return
    seen = set()
    for i, username in enumerate(substitutes):
        spath = f"{path}.substitutes[{i}]"
        if not isinstance(username, str) or not username.strip():
            v.note(spath, _("phải là tên đăng nhập của một người"))
            continue
        if username in seen:
            v.note(spath, _("'%(username)s' được liệt kê hai lần") % {"username": username})
            continue
        seen.add(username)
        if username in members:
            v.note(
                spath,
                _("'%(username)s' đã là thành viên của hội đồng này, không thể đồng thời là người dự khuyết")
                % {"username": username},
            )
            continue
        v.member_refs.append((spath, username))


def _validate_person(v, p, path, known_orgs):
    if not isinstance(p, dict):
        v.note(path, _("phải là một đối tượng"))
        return
    username = p.get("username")
    if not isinstance(username, str) or not re.fullmatch(r"[\w.@+-]{1,150}", username or ""):
        v.note(f"{path}.username", _("bắt buộc (chữ, số và . @ + - _)"))
    elif username in v.usernames:
        v.note(
            f"{path}.username",
            _("'%(username)s' bị trùng với %(v_usernames_username)s")
            % {"username": username, "v_usernames_username": v.usernames[username]},
        )
    else:
        v.usernames[username] = path
    org = p.get("organisation")
    if not isinstance(org, str):
        v.note(f"{path}.organisation", _("bắt buộc"))
    elif org not in known_orgs:
        v.note(f"{path}.organisation", _("không có tổ chức '%(org)s'") % {"org": org})
    roles = p.get("roles", [])
    if not isinstance(roles, list):
        v.note(f"{path}.roles", _("phải là một danh sách"))
        roles = []
    for i, role in enumerate(roles):
        if role not in Role.values:
            v.note(
                f"{path}.roles[{i}]",
                _("vai trò không hợp lệ '%(role)s' (một trong: %(choices_role)s)")
                % {"role": role, "choices_role": _choices(Role)},
            )
    if "email" in p and p["email"] and (not isinstance(p["email"], str) or "@" not in p["email"]):
        v.note(f"{path}.email", _("địa chỉ e-mail không hợp lệ"))
    if "password" in p and not isinstance(p["password"], str):
        v.note(f"{path}.password", _("phải là chuỗi"))
    elif p.get("password"):
        # the same validators as every other door that sets a password (AUTH_PASSWORD_VALIDATORS)
        someone = User(
            username=username if isinstance(username, str) else "",
            email=p.get("email") if isinstance(p.get("email"), str) else "",
            full_name=p.get("full_name") if isinstance(p.get("full_name"), str) else "",
        )
        try:
            validate_password(p["password"], someone)
        except ValidationError as e:
            v.errors.append(f"{path}.password: {' '.join(e.messages)}")


@dataclass
class TreeResult:
    organisations: dict = field(default_factory=dict)  # code → Organisation
    changes: int = 0


def structure_apply_tree(*, data: dict, actor=None) -> TreeResult:
    """Write organisations, people, roles and councils. Call inside a transaction, after validation."""
    assert transaction.get_connection().in_atomic_block
    result = TreeResult()
    for org in data.get("organisations") or []:
        parent = Organisation.objects.get(code=org["parent"]) if org.get("parent") else None
        _apply_org(org, parent, result, actor)
    people = data.get("people") or []
    for p in people:
        _apply_person(p, result, actor)
    for org in data.get("organisations") or []:
        _apply_councils(org, result, actor)
    if data.get("blocs"):
        _apply_blocs(data["blocs"], result, actor, file_parents=_file_parents(data))
    return result


def _apply_org(spec, parent, result, actor=None):
    fields = {"name": spec["name"], "level": spec["level"], "headcount": spec.get("headcount", 0)}
    org = Organisation.objects.filter(code=spec["code"]).first()
    if org is None:
        org = organisation_create(actor=actor, parent=parent, code=spec["code"], **fields)
        result.changes += 1
    else:
        changed = {k: val for k, val in fields.items() if getattr(org, k) != val}
        if changed:
            organisation_update(organisation_id=org.pk, actor=actor, **changed)
            result.changes += 1
        current_parent = Organisation.objects.get_parent(org)
        wanted = parent.pk if parent else None
        if (current_parent.pk if current_parent else None) != wanted and (parent is not None):
            # recorded with its effective date (``moved_on``, default today) for history-aware reports
            effective = _date(spec.get("moved_on")) or datetime.date.today()
            if not _file_predates_move(org, wanted, _date(spec.get("moved_on"))):
                organisation_move(organisation=org, new_parent=parent, effective=effective, actor=actor)
                result.changes += 1
        org = Organisation.objects.get(pk=org.pk)
    result.organisations[org.code] = org
    for child in spec.get("children") or []:
        _apply_org(child, Organisation.objects.get(pk=org.pk), result, actor)


def _file_predates_move(org, file_parent_id, moved_on) -> bool:
    """The file places ``org`` under the parent a recorded, dated move took it away from (an admin's
    move, or the demo's PC Bình Dương in 2025): the file is older than that move, so loading it
    keeps the move rather than undoing it — unless the file says when it moved back (``moved_on``
    after that move)."""
    from .models import OrganisationMove

    last = OrganisationMove.objects.filter(organisation=org).order_by("-effective", "-id").first()
    return (
        last is not None and last.old_parent_id == file_parent_id and (moved_on is None or moved_on <= last.effective)
    )


def _apply_person(spec, result, actor):
    org = Organisation.objects.get(code=spec["organisation"])
    user = User.objects.filter(username=spec["username"]).first()
    fields = {
        "full_name": spec.get("full_name", ""),
        "email": spec.get("email", "") or "",
        "organisation": org,
        "position": spec.get("position", "") or "",
        "qualification": spec.get("qualification", "") or "",
        "date_of_birth": _date(spec.get("date_of_birth")),
    }
    # the admin role opens the Django admin, limited to the union administrators' group
    is_admin = Role.ADMIN in (spec.get("roles") or [])
    admins = _admin_group()
    if user is None:
        user = user_create(
            actor=actor,
            username=spec["username"],
            password=spec.get("password") or None,
            is_staff=is_admin,
            groups=[admins] if is_admin else None,
            **fields,
        )
        result.changes += 1
    else:
        changed = {k: val for k, val in fields.items() if getattr(user, k) != val}
        if changed:
            user_update(user_id=user.pk, actor=actor, **changed)
            result.changes += 1
        if spec.get("password") and not check_password(spec["password"], user.password):
            user_set_password(user_id=user.pk, actor=actor, password=spec["password"])
            result.changes += 1
        in_group = user.groups.filter(pk=admins.pk).exists()
        if user.is_staff != is_admin or in_group != is_admin:
            groups = set(user.groups.all())
            groups = groups | {admins} if is_admin else groups - {admins}
            user_update(user_id=user.pk, actor=actor, is_staff=is_admin, groups=list(groups))
            result.changes += 1
        user = User.objects.get(pk=user.pk)
    wanted = {(org.pk, role) for role in spec.get("roles") or []}
    current = {(a.organisation_id, a.role): a for a in RoleAssignment.objects.filter(user=user)}
    # grants before revokes: an admin moved from one role to another never holds none in between
    # (which would disable the passwords they chose: ``passwords_recheck``)
    for _org_pk, role in wanted - set(current):
        role_grant(user=user, organisation=org, role=role, actor=actor)
        result.changes += 1
    for key, assignment in current.items():
        if key not in wanted:
            role_revoke(assignment=assignment, actor=actor)
            result.changes += 1


ADMIN_GROUP = "Quản trị công đoàn"  # a stored name: one language (the programme's)
ADMIN_MODELS = {
    "councils": ("organisation", "council", "user", "roleassignment", "membership"),
    "initiatives": ("programme", "phase", "organisationtarget", "initiative"),
    "awards": ("quota",),
    "audit": ("auditentry",),
}


def _admin_group():
    from django.contrib.auth.models import Group, Permission

    group, created = Group.objects.get_or_create(name=ADMIN_GROUP)
    if created:
        perms = Permission.objects.filter(
            content_type__app_label__in=list(ADMIN_MODELS),
            content_type__model__in=[m for models in ADMIN_MODELS.values() for m in models],
        ).exclude(codename__startswith="delete_")
        group.permissions.set(perms)
    return group


def _apply_councils(spec, result, actor):
    org = result.organisations[spec["code"]]
    for c in spec.get("councils") or []:
        threshold = parse_threshold(c.get("threshold", "2/3"))
        fields = {
            "name": c.get("name", "") or "",
            "organisation": org,
            "kind": c["kind"],
            "quorum": c.get("quorum", 1),
            "threshold": f"{threshold.numerator}/{threshold.denominator}",
            "ballot": c.get("ballot", Ballot.OPEN),
            "decision_days": c.get("decision_days", 90),
        }
        council = Council.objects.filter(code=c["code"]).first()
        if council is None:
            council = council_create(actor=actor, code=c["code"], **fields)
            result.changes += 1
        else:
            current = {
                "organisation": council.organisation,
                "name": council.name,
                "kind": council.kind,
                "quorum": council.quorum,
                "threshold": council.threshold_display,
                "ballot": council.ballot,
                "decision_days": council.decision_days,
            }
            changed = {k: v for k, v in fields.items() if current[k] != v}
            if "kind" in changed:  # a different kind grants different permissions: re-seat everyone
                for membership in Membership.objects.filter(council=council).select_related("user", "council"):
                    membership_remove(membership=membership, actor=actor)
            if changed:
                council = council_update(council_id=council.pk, actor=actor, **changed)
                result.changes += 1
        wanted = {m["username"]: m.get("role", MemberRole.MEMBER) for m in c.get("members") or []}
        for membership in Membership.objects.filter(council=council).select_related("user"):
            if membership.user.username not in wanted:
                membership_remove(membership=membership, actor=actor)
                result.changes += 1
        substitutes = list(c.get("substitutes") or [])
        users = {u.username: u for u in User.objects.filter(username__in=[*wanted, *substitutes])}
        for username, role in wanted.items():
            if membership_set(council=council, user=users[username], role=role, actor=actor):
                result.changes += 1
        result.changes += substitutes_set(council=council, users=[users[u] for u in substitutes], actor=actor)
    for child in spec.get("children") or []:
        _apply_councils(child, result, actor)


# --- emulation blocs (khối thi đua): an optional top-level "blocs" section -------------------------


def _file_parents(data) -> dict:
    """code → parent code as the file places each organisation (None for a root)."""
    parents = {}

    def walk(spec, parent_code):
        if not isinstance(spec, dict) or not isinstance(spec.get("code"), str):
            return
        parents[spec["code"]] = parent_code
        children = spec.get("children")
        for child in children if isinstance(children, list) else []:
            walk(child, spec["code"])

    roots = data.get("organisations")
    for org in roots if isinstance(roots, list) else []:
        if isinstance(org, dict):
            walk(org, org.get("parent") if isinstance(org.get("parent"), str) else None)
    return parents


def _validate_blocs(v, data):
    blocs = data.get("blocs")
    if not isinstance(blocs, list):
        v.note("blocs", _("phải là một danh sách"))
        return
    parents = _file_parents(data)
    named = {
        m for b in blocs if isinstance(b, dict) and isinstance(b.get("members"), list) for m in b["members"]
    } - set(parents)
    for org in Organisation.objects.filter(code__in=[m for m in named if isinstance(m, str)]):
        parent = Organisation.objects.get_parent(org)
        parents[org.code] = parent.code if parent else None
    seen = {}
    for i, b in enumerate(blocs):
        path = f"blocs[{i}]"
        if not isinstance(b, dict):
            v.note(path, _("phải là một đối tượng"))
            continue
        code = b.get("code")
        if not isinstance(code, str) or not code.strip():
            v.note(f"{path}.code", _("bắt buộc"))
        elif code in seen:
            v.note(
                f"{path}.code",
                _("mã khối '%(code)s' bị trùng với %(seen_code)s") % {"code": code, "seen_code": seen[code]},
            )
        else:
            seen[code] = path
        if not isinstance(b.get("name"), str) or not b["name"].strip():
            v.note(f"{path}.name", _("bắt buộc"))
        members = b.get("members")
        if not isinstance(members, list) or not members:
            v.note(f"{path}.members", _("phải là danh sách mã tổ chức"))
            continue
        bloc_parent, first_path = None, None
        for j, m in enumerate(members):
            mpath = f"{path}.members[{j}]"
            if not isinstance(m, str) or m not in parents:
                v.note(mpath, _("không có tổ chức '%(m)s'") % {"m": m})
                continue
            if members.index(m) != j:
                v.note(mpath, _("'%(m)s' được liệt kê hai lần") % {"m": m})
                continue
            if parents[m] is None:
                v.note(mpath, _("'%(m)s' là tổ chức gốc, không có tổ chức cha") % {"m": m})
            elif first_path is None:
                bloc_parent, first_path = parents[m], mpath
            elif parents[m] != bloc_parent:
                v.note(
                    mpath,
                    _(
                        "'%(m)s' (thuộc '%(parents_m)s') không cùng tổ chức cha với %(first_path)s (thuộc '%(bloc_parent)s')"
                    )
                    % {"m": m, "parents_m": parents[m], "first_path": first_path, "bloc_parent": bloc_parent},
                )


def _apply_blocs(blocs, result, actor=None, file_parents=None):
    for b in blocs:
        orgs = {o.code: o for o in Organisation.objects.filter(code__in=b["members"])}
        # the bloc's parent as the file places its members (as validated), so that a member moved
        # since (a recorded move the file predates) does not carry the bloc along
        parent_code = (file_parents or {}).get(b["members"][0])
        parent = (
            Organisation.objects.get(code=parent_code)
            if parent_code
            else Organisation.objects.get_parent(orgs[b["members"][0]])
        )
        members = [orgs[c] for c in b["members"]]
        if bloc_save(code=b["code"], name=b["name"], organisation=parent, members=members, actor=actor):
            result.changes += 1
