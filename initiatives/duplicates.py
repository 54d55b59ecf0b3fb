"""Duplicate screening: is this dossier probably the same idea as an earlier one, anywhere in the
programme?

The engine (``normalise``, ``similarity``) is pure Python and works in the unaccented space, so
"cầu chì" and "cau chi" are the same words. A title is read as Vietnamese is written: compound
words are joined by a curated dictionary of the sector's terms ("máy biến áp" → one word, its
abbreviation "MBA" the same word), synonyms meet on one form ("không cần cắt điện" = "hotline"),
and the filler words of dossier titles ("giải pháp", "ứng dụng", "nâng cao hiệu quả" …) are
dropped. Word order does not matter: two dossiers are compared as weighted sets of words, the
title counting more than the summary.

``screen`` fetches a bounded set of candidates through ``dup_key`` (the normalised words, written
by the actions): on PostgreSQL a GIN full-text index over the keys of the submitted dossiers,
asked for the query's rarest words (PostgreSQL's own statistics of that index say which words are
rare, so the rows fetched stay about ``BUDGET`` whatever the table's size); on SQLite ``LIKE``
filters on the strongest words. The candidates are ranked by their keys, and the best ``RESCORE``
scored here in full.
"""

import functools
import re

from unidecode import unidecode

DEFAULT_THRESHOLD = 0.42
TITLE_MAX = 300

# Phrases read as one word (left: unaccented, lower case; right: the canonical word). Longest
# match first. "" drops the phrase (the filler of dossier titles).
_PHRASES = {
    # filler of dossier titles
    "nang cao hieu qua": "",
    "nang cao chat luong": "",
    "giai phap": "",
    "ung dung": "",
    "cai tien": "",
    "cai tao": "",
    "sang kien": "",
    "nghien cuu": "",
    "xay dung": "",
    "thiet ke": "",
    "che tao": "",
    "de xuat": "",
    "phuong phap": "",
    "bien phap": "",
    "hoan thien": "",
    "doi moi": "",
    "mot so": "",
    "nang cao": "",
    "hieu qua": "",
    "su dung": "",
    "thuc hien": "",
    "cong tac": "",
    "mo hinh": "",
    "tong cong ty": "",
    "cong ty": "",
    "dien luc": "",
    "nganh dien": "",
    "don vi": "",
    "ap dung": "",
    "trien khai": "",
    "phuc vu": "",
    "dam bao": "",
    "tang cuong": "",
    "toi uu hoa": "toi_uu",
    "toi uu": "toi_uu",
    # equipment and its abbreviations
    "tram bien ap": "tba",
    "tram bien the": "tba",
    "tba": "tba",
    "may bien ap": "mba",
    "may bien the": "mba",
    "mba": "mba",
    "may bien dong": "ti",
    "bien dong dien": "ti",
    "ti": "ti",
    "tu": "tu",
    "may bien dien ap": "tu_do",
    "cau chi tu roi": "fco",
    "cau chi": "fco",
    "fco": "fco",
    "dao cach ly": "dcl",
    "dcl": "dcl",
    "cau dao": "cau_dao",
    "may cat": "may_cat",
    "recloser": "recloser",
    "tu dong dong lai": "recloser",
    "duong day": "duong_day",
    "dz": "duong_day",
    "tuyen day": "duong_day",
    "day dan": "day_dan",
    "cap ngam": "cap_ngam",
    "cap boc": "cap_boc",
    "cong to dien tu": "cong_to",
    "cong to": "cong_to",
    "dien ke": "cong_to",
    "dong ho do dien": "cong_to",
    "dong ho dien": "cong_to",
    "ghi chi so": "chi_so",
    "doc chi so": "chi_so",
    "chot chi so": "chi_so",
    "chi so": "chi_so",
    "thu tien dien": "thu_tien",
    "thu tien": "thu_tien",
    "thanh toan tien dien": "thu_tien",
    "thanh toan": "thu_tien",
    "hoa don dien tu": "hoa_don",
    "hoa don": "hoa_don",
    "khach hang": "khach_hang",
    "chong set van": "chong_set",
    "chong set": "chong_set",
    "csv": "chong_set",
    "tiep dia": "tiep_dia",
    "tiep dat": "tiep_dia",
    "noi dat": "tiep_dia",
    "su cach dien": "su",
    "chuoi su": "su",
    "su polymer": "su",
    "cot dien": "cot",
    "cot be tong": "cot",
    "tu bu": "tu_bu",
    "bu cong suat phan khang": "tu_bu",
    "cong suat phan khang": "tu_bu",
    "he so cong suat": "cos_phi",
    "cos phi": "cos_phi",
    "cosphi": "cos_phi",
    "ro le": "role",
    "role": "role",
    "role bao ve": "role",
    "tu dien": "tu_dien",
    "tu trung the": "tu_dien",
    "tu ha the": "tu_dien",
    "ha the": "ha_the",
    "ha ap": "ha_the",
    "trung the": "trung_the",
    "trung ap": "trung_the",
    "cao the": "cao_the",
    "cao ap": "cao_the",
    "sua chua dien nong": "hotline",
    "hotline": "hotline",
    "khong can cat dien": "hotline",
    "khong phai cat dien": "hotline",
    "khong cat dien": "hotline",
    "khong mat dien": "hotline",
    "dang mang dien": "hotline",
    "mang dien": "hotline",
    "cat dien": "cat_dien",
    "mat dien": "cat_dien",
    "ngung cap dien": "cat_dien",
    "gian doan cung cap dien": "cat_dien",
    "thiet bi bay khong nguoi lai": "uav",
    "may bay khong nguoi lai": "uav",
    "flycam": "uav",
    "drone": "uav",
    "uav": "uav",
    "camera nhiet": "anh_nhiet",
    "chup anh nhiet": "anh_nhiet",
    "anh nhiet": "anh_nhiet",
    "do nhiet": "anh_nhiet",
    "phat quang": "phat_quang",
    "chat tia cay": "phat_quang",
    "chat ha cay": "phat_quang",
    "cay xanh": "phat_quang",
    "hanh lang tuyen": "hanh_lang",
    "hanh lang an toan": "hanh_lang",
    "hanh lang": "hanh_lang",
    "ton that dien nang": "ton_that",
    "ton that": "ton_that",
    "su co": "su_co",
    "hu hong": "su_co",
    "giam thieu": "giam",
    "han che": "giam",
    "cat giam": "giam",
    "tiet kiem": "giam",
    "rut ngan": "giam",
    "giam": "giam",
    "lam mat": "lam_mat",
    "giai nhiet": "lam_mat",
    "tan nhiet": "lam_mat",
    "qua nhiet": "nong",
    "phat nhiet": "nong",
    "nong": "nong",
    "ro ri": "ro_ri",
    "ri dau": "ro_ri",
    "ro dau": "ro_ri",
    "dau cach dien": "dau",
    "dau mba": "dau",
    "phan mem": "phan_mem",
    "chuong trinh": "phan_mem",
    "app": "phan_mem",
    "dien thoai di dong": "dien_thoai",
    "dien thoai thong minh": "dien_thoai",
    "smartphone": "dien_thoai",
    "dien thoai": "dien_thoai",
    "tin nhan": "tin_nhan",
    "sms": "tin_nhan",
    "zalo": "tin_nhan",
    "tu dong hoa": "tu_dong",
    "tu dong": "tu_dong",
    "giam sat": "giam_sat",
    "theo doi": "giam_sat",
    "tu xa": "tu_xa",
    "scada": "scada",
    "dieu khien": "dieu_khien",
    "canh bao": "canh_bao",
    "bao dong": "canh_bao",
    "thong bao": "canh_bao",
    "ve sinh": "ve_sinh",
    "lau chui": "ve_sinh",
    "rua": "ve_sinh",
    "dung cu": "dung_cu",
    "cong cu": "dung_cu",
    "thiet bi": "thiet_bi",
    "gia do": "gia_do",
    "thay the": "thay",
    "thay": "thay",
    "thao lap": "thay",
    "lap dat": "lap_dat",
    "kiem tra": "kiem_tra",
    "kiem dinh": "kiem_tra",
    "thi nghiem": "kiem_tra",
    "do dien tro": "dien_tro",
    "dien tro": "dien_tro",
    "nhanh chong": "nhanh",
    "nhanh": "nhanh",
    "thoi gian": "thoi_gian",
    "an toan": "an_toan",
    "tai nan": "an_toan",
    "dien mat troi": "dmt",
    "pin mat troi": "dmt",
    "nang luong mat troi": "dmt",
    "quang dien": "dmt",
    "ban do": "gis",
    "gis": "gis",
    "qua tai": "qua_tai",
    "non tai": "non_tai",
    "can bang pha": "lech_pha",
    "lech pha": "lech_pha",
    "dien ap": "dien_ap",
    "sut ap": "dien_ap",
    "nha may": "nha_may",
    "thuy dien": "thuy_dien",
    "nhiet dien": "nhiet_dien",
    "to may": "to_may",
    "tua bin": "tuabin",
    "tuabin": "tuabin",
    "lo hoi": "lo_hoi",
    "may phat": "may_phat",
    "may bom": "bom",
    "bom": "bom",
    "kho vat tu": "vat_tu",
    "vat tu": "vat_tu",
    "ho so": "ho_so",
    "giay to": "ho_so",
    "so hoa": "so_hoa",
    "ma qr": "qr",
    "qr": "qr",
    "truc tuyen": "tu_xa",
    "online": "tu_xa",
    "qua mang": "tu_xa",
    "nhan tin": "tin_nhan",
    "trung hoa": "trung_tinh",
    "trung tinh": "trung_tinh",
    "tram": "tba",
    "22kv": "trung_the",
    "35kv": "trung_the",
    "10kv": "trung_the",
    "04kv": "ha_the",
    "cam bien": "cam_bien",
    "phat hien": "phat_hien",
    "nhan dang": "phat_hien",
    "do tim": "phat_hien",
    "tim": "phat_hien",
    "trom dien": "trom_dien",
    "cau moc": "trom_dien",
    "lay cap dien": "trom_dien",
    "hoc may": "ai",
    "tri tue nhan tao": "ai",
    "ai": "ai",
    "den bao": "chi_thi",
    "chi thi": "chi_thi",
    "nhiet do": "nhiet",
    "tai su dung": "dung_lai",
    "dung lai": "dung_lai",
    "nhan vien": "",
    "cong nhan": "",
    "nguoi lao dong": "",
    "quan ly": "quan_ly",
    "van hanh": "van_hanh",
    "sua chua": "sua_chua",
    "bao duong": "sua_chua",
    "bao tri": "sua_chua",
}

# single syllables that carry nothing once the phrases are read
_STOP = set(
    """va cua cho cac nhung mot la co duoc voi bang khi tren duoi vao ra trong ngoai tai o de nham theo
    tu den nay do nhu cung ma thi phai can se da dang viec su moi tung hay hoac rat nhieu it qua lai
    lam ve hon nen sau truoc khac nhau gi ai bi boi vi nguoi ta chung minh ban thuc te tot moi dien
    he thong kv pc evn npc spc cpc hcmc hn""".split()
)

# words the sector writes in almost every dossier: they count, but less
_WEAK = {
    "thiet_bi": 0.4,
    "dung_cu": 0.5,
    "quan_ly": 0.4,
    "van_hanh": 0.4,
    "sua_chua": 0.6,
    "kiem_tra": 0.6,
    "an_toan": 0.5,
    "nhanh": 0.4,
    "thoi_gian": 0.4,
    "giam": 0.4,
    "thay": 0.6,
    "lap_dat": 0.5,
    "tu_dong": 0.7,
    "phan_mem": 0.7,
    "luoi": 0.4,
    "tram": 0.5,
    "cong_suat": 0.6,
    "ho_so": 0.6,
    "khach_hang": 0.7,
    "su_co": 0.7,
    "cat_dien": 0.7,
    "dien_ap": 0.7,
    "toi_uu": 0.4,
    "ha_the": 0.6,
    "trung_the": 0.6,
    "giam_sat": 0.7,
    "canh_bao": 0.8,
    "nang": 0.5,
    "so": 0.4,
}

_MAX_PHRASE = max(len(p.split()) for p in _PHRASES)
_TOKEN = re.compile(r"[a-z0-9]+")


def _syllables(text: str) -> list[str]:
    text = unidecode(text or "").lower()
    text = re.sub(r"(\d)[,.](\d)", r"\1\2", text)  # "0,4 kV" → "04kv"
    text = re.sub(r"(\d)\s+kv\b", r"\1kv", text)
    return _TOKEN.findall(text)


def normalise(text: str) -> list[str]:
    """The content words of ``text`` in order: unaccented, compounds joined, synonyms on one form,
    filler and function words dropped."""
    return list(_normalise(text or ""))


@functools.lru_cache(maxsize=4096)
def _normalise(text: str) -> tuple[str, ...]:
    syl = _syllables(text)
    out, i = [], 0
    while i < len(syl):
        for n in range(min(_MAX_PHRASE, len(syl) - i), 0, -1):
            phrase = " ".join(syl[i : i + n])
            if phrase in _PHRASES:
                word = _PHRASES[phrase]
                if word:
                    out.append(word)
                i += n
                break
        else:
            w = syl[i]
            if w not in _STOP and (len(w) > 1 or w.isdigit()):
                out.append(w)
            i += 1
    return tuple(out)


def dup_key(title: str, summary: str = "") -> str:
    """What ``Initiative.dup_key`` holds: the distinct content words of title and summary, sorted,
    compounds written as one word ("cau_chi" → "cauchi": a full-text parser keeps it whole)."""
    words = {w.replace("_", "") for w in normalise(title)} | {w.replace("_", "") for w in normalise(summary)}
    return " ".join(sorted(words))[:2000]


def _weight(w: str) -> float:
    if w.isdigit():
        return 0.5
    return _WEAK.get(w, 1.0)


_WEIGHTS: dict[str, float] = {}  # _weight of the words met (a vocabulary: bounded below)


def _mass(words) -> float:
    get, total = _WEIGHTS.get, 0.0
    for w in words:
        x = get(w)
        if x is None:
            if len(_WEIGHTS) > 200_000:
                _WEIGHTS.clear()
            x = _WEIGHTS[w] = _weight(w)
        total += x
    return total


def _dice(a: set, b: set) -> float:
    total = _mass(a) + _mass(b)
    return 2 * _mass(a & b) / total if total else 0.0


def _contain(a: set, b: set) -> float:
    small = min(_mass(a), _mass(b))
    return _mass(a & b) / small if small else 0.0


def _words(d: dict) -> tuple[set, set]:
    title = set(normalise(d.get("title") or ""))
    return title, title | set(normalise(d.get("summary") or ""))


class _Read:
    """A dossier's words as ``similarity`` reads them (title words, all words) with their masses:
    read once per dossier when one is compared with many (the batch screen)."""

    __slots__ = ("title", "whole", "m_title", "m_whole")

    def __init__(self, d: dict):
        self.title, self.whole = _words(d)
        self.m_title, self.m_whole = _mass(self.title), _mass(self.whole)


def _score(a: _Read, b: _Read) -> float:
    """``similarity``'s score of two read dossiers."""
    ta, aa, tb, ab = a.title, a.whole, b.title, b.whole
    if not aa or not ab:
        return 0.0
    shared_title = ta & tb
    total = a.m_title + b.m_title
    title = 2 * _mass(shared_title) / total if total else 0.0
    total = a.m_whole + b.m_whole
    whole = 2 * _mass(aa & ab) / total if total else 0.0
    # a shortened dossier: its title is (nearly) all in the other's words
    short = 0.0
    if ta and tb:
        small = min(a.m_title, b.m_whole)
        one = _mass(ta & ab) / small if small else 0.0
        small = min(b.m_title, a.m_whole)
        other = _mass(tb & aa) / small if small else 0.0
        short = min(one, other)
    score = 0.45 * title + 0.35 * whole + 0.2 * short
    if score > 0 and not shared_title and title == 0:
        score *= 0.8
    return round(min(1.0, max(0.0, score)), 3)


def _reasons(a: dict, b: dict, ra: _Read, rb: _Read) -> list[str]:
    shared = sorted(ra.whole & rb.whole, key=lambda w: (-_weight(w), w))
    reasons = [w.replace("_", " ") for w in shared]
    if a.get("organisation_id") and a.get("organisation_id") == b.get("organisation_id"):
        reasons.append("same_unit")
    if a.get("category") and a.get("category") == b.get("category"):
        reasons.append("same_field")
    return reasons


def similarity(a: dict, b: dict) -> tuple[float, list[str]]:
    """How alike two dossiers are (0–1) and why: the shared words, and when known the same unit
    and the same field. ``a`` and ``b``: {"title", "summary", optional "organisation_id",
    "category"}."""
    ra, rb = _Read(a), _Read(b)
    if not ra.whole or not rb.whole:
        return 0.0, []
    return _score(ra, rb), _reasons(a, b, ra, rb)


# ---- retrieval ------------------------------------------------------------------------------------

# ``provider(user, ids) -> set of ids whose title user may read``: registered by ``workflow`` (where
# visibility lives); until then, with a user, no title is shown
title_provider = None
# the rows the database is asked for, at most (expected, from the words' frequencies), and fetched
BUDGET = 2000
FETCH = 3000
# of those, how many the full similarity reads (the others are ranked out by their keys alone)
RESCORE = 60
INDEX = "initiative_dup_key_fts"
# the register import's screen (``screen_many``): rows expected, read and rescored per row
IMPORT_SCREEN = {"budget": 300, "fetch": 500, "rescore": 15}
_stats = {"at": 0.0, "freq": {}, "rows": 0.0}


def register_title_provider(provider) -> None:
    global title_provider
    title_provider = provider


_FLAT_WEAK = {k.replace("_", ""): v for k, v in _WEAK.items()}


def _key_weight(w: str) -> float:
    return 0.5 if w.isdigit() else _FLAT_WEAK.get(w, 1.0)


def _word_stats(cursor) -> tuple[dict, float]:
    """How often each word is in the submitted dossiers' keys (PostgreSQL's own statistics of the
    full-text index: its most common elements), and how many rows the index holds. Cached 10 min."""
    import time

    if time.monotonic() - _stats["at"] < 600:
        return _stats["freq"], _stats["rows"]
    cursor.execute(
        "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats WHERE tablename = %s",
        [INDEX],
    )
    row = cursor.fetchone()
    freq = {}
    if row and row[0]:
        freq = dict(zip(row[0], row[1][: len(row[0])], strict=False))
        freq[""] = row[1][len(row[0])] if len(row[1]) > len(row[0]) else 0.0  # the least listed: the others are rarer
    cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [INDEX])
    rows = cursor.fetchone()
    _stats.update(at=time.monotonic(), freq=freq, rows=max(0.0, float(rows[0])) if rows else 0.0)
    return freq, _stats["rows"]


def _tsqueries(words: list[str], freq: dict, rows: float, budget: int = BUDGET) -> list[str]:
    """Full-text queries from the widest to the narrowest, starting at the first expected to fetch
    at most ``BUDGET`` rows: any of the rarest words; pairs of the rarest together; the three
    rarest together. (The estimate takes the words as independent; ``_candidates`` narrows further
    when the rows say otherwise.)"""
    unlisted = freq.get("", 0.0) / 2
    f = {w: freq.get(w, unlisted) for w in words}
    ranked = sorted(words, key=lambda w: (f[w], -_key_weight(w), -len(w), w))  # no statistics: the strongest
    chosen, expected = [], 0.0
    for w in ranked[:12]:
        if chosen and expected + rows * f[w] > budget:
            break
        chosen.append(w)
        expected += rows * f[w]
    levels = [(" | ".join(chosen), expected)]
    top = ranked[:5]
    if len(top) >= 2:
        pairs = sorted(((a, b) for i, a in enumerate(top) for b in top[i + 1 :]), key=lambda p: f[p[0]] * f[p[1]])
        clauses, expected = [], 0.0
        for a, b in pairs:
            if clauses and expected + rows * f[a] * f[b] > budget:
                break
            clauses.append(f"({a} & {b})")
            expected += rows * f[a] * f[b]
        levels.append((" | ".join(clauses), expected))
    if len(top) >= 3:
        levels.append((" & ".join(top[:3]), rows * f[top[0]] * f[top[1]] * f[top[2]]))
    first = next((i for i, (_q, e) in enumerate(levels) if e <= budget), len(levels) - 1)
    return [q for q, _e in levels[first:]]


_LEVEL_SQL = """
SELECT q.n, c.ids, c.keys
FROM unnest(%s::text[], %s::text[], %s::int[]) AS q(query, excl, n)
CROSS JOIN LATERAL (
    SELECT array_agg(m.id) AS ids, KEYS AS keys FROM (
        SELECT i.id, i.dup_key FROM initiatives_initiative i
        WHERE to_tsvector('simple', i.dup_key) @@ to_tsquery('simple', q.query)
          AND i.state NOT IN ('draft', 'withdrawn') AND NOT (i.id = ANY(q.excl::bigint[]))
        ORDER_BY
        LIMIT %s
    ) m
) c
"""


def _fetch_ids(
    asks: list[tuple[int, str, list]], fetch: int, newest: bool = False, keys: dict | None = None
) -> dict[int, list[int]]:
    """One statement for many screens: for each ``(n, tsquery, excluded ids)`` the ids of the
    submitted dossiers whose key matches, at most ``fetch + 1``: any (the default: a word matching
    100,000 rows reads ``fetch + 1`` of them in table order — about the earliest filed — not all;
    measured at 1.5 million rows p95 622 ms against 1,349 ms with the order) or the newest
    (``newest``: every match read and sorted), as ``{n: [id]}``. With ``keys`` (a dict) their keys
    come in the same statement, read from the rows the match visits anyway, into ``keys``
    (``{id: key}``): for one screen; a batch's rows share candidates, read once by ``_keys_of``."""
    from django.db import connection

    out = {n: [] for n, _q, _x in asks}
    if not asks:
        return out
    sql = _LEVEL_SQL.replace("ORDER_BY", "ORDER BY i.id DESC" if newest else "")
    sql = sql.replace("KEYS", "array_agg(m.dup_key)" if keys is not None else "NULL::text[]")
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                [q for _n, q, _x in asks],
                ["{" + ",".join(str(int(i)) for i in x) + "}" for _n, _q, x in asks],
                [n for n, _q, _x in asks],
                fetch + 1,
            ],
        )
        for n, ids, found in cursor.fetchall():
            out[n] = list(ids or ())
            if keys is not None and ids:
                keys.update(zip(ids, found, strict=True))
    return out


def _keys_of(ids) -> dict[int, str]:
    """{id: its key} in one statement, each key read once for a whole batch."""
    from django.db import connection

    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, dup_key FROM initiatives_initiative WHERE id = ANY(%s)", [sorted(ids)])
        return dict(cursor.fetchall())


def _best_keys(words: list[str], keys: list[tuple[int, str]], limit: int) -> list[int]:
    """Pre-rank by the keys (``(id, key)``: a key's words are distinct): shared weight over both
    sizes (a candidate's size counted in words: cheap); the ids of the best ``limit``."""
    mine = frozenset(words)
    weight = {w: _key_weight(w) for w in mine}
    mass = sum(map(_key_weight, mine))
    ranked = []
    for pk, key in keys:
        theirs = key.split()
        shared = mine.intersection(theirs)
        ranked.append((-2 * sum(map(weight.__getitem__, shared)) / (mass + len(theirs)), pk) if shared else (0.0, pk))
    ranked.sort()
    return [pk for _rank, pk in ranked[:limit]]


def _candidates_many(
    asks: list[tuple[str, tuple]],
    limit: int,
    expected: dict | None = None,
    budget: int = 0,
    fetch: int = 0,
    newest: bool = False,
) -> list[list[dict]]:
    """``_candidates`` for many ``(key, exclude_ids)`` at once: on PostgreSQL one statement per
    narrowing level for all of them (usually one), one for their keys, one for their rows; the same
    answers as one by one. ``expected``: {word: rows} known to be common though the statistics do
    not say so yet (the words a register being imported repeats). ``budget`` / ``fetch``: the rows
    expected / read at most per dossier (``BUDGET`` / ``FETCH`` by default)."""
    from django.db import connection

    from .models import Initiative, State

    budget, fetch = budget or BUDGET, fetch or FETCH
    fields = ("id", "title", "summary", "confidential", "category", "organisation_id", "organisation__code")
    words = [sorted(set(key.split())) for key, _x in asks]
    found: list[list] = [[] for _a in asks]
    if connection.vendor == "postgresql":
        # the GIN full-text index over the submitted dossiers' keys (migration 0007)
        with connection.cursor() as cursor:
            freq, rows = _word_stats(cursor)
        if expected:
            freq = {**freq, **{w: max(freq.get(w, 0.0), n / max(rows, 1.0)) for w, n in expected.items()}}
        levels = [_tsqueries(w, freq, rows, budget) for w in words]
        pending = {n: 0 for n in range(len(asks))}  # narrower while the rows are more than ``fetch``
        read = {} if len(asks) == 1 else None  # one screen: the keys come with the ids
        while pending:
            got = _fetch_ids([(n, levels[n][lvl], list(asks[n][1])) for n, lvl in pending.items()], fetch, newest, read)
            for n, ids in got.items():
                found[n] = ids
            pending = {
                n: pending[n] + 1 for n, ids in got.items() if len(ids) > fetch and pending[n] + 1 < len(levels[n])
            }
        found = [ids[:fetch] for ids in found]
        keys = _keys_of({pk for ids in found for pk in ids}) if read is None else read
        found = [[(pk, keys[pk]) for pk in ids if pk in keys] for ids in found]
    else:
        # portable: the dossiers holding any of the strongest words (a small base: the same answers)
        from django.db.models import Q

        for n, (_key, exclude_ids) in enumerate(asks):
            qs = Initiative.objects.exclude(state__in=(State.DRAFT, State.WITHDRAWN))
            if exclude_ids:
                qs = qs.exclude(pk__in=list(exclude_ids))
            match = Q()
            for w in sorted(words[n], key=lambda w: (-_key_weight(w), -len(w), w))[:12]:
                match |= Q(dup_key__startswith=f"{w} ") | Q(dup_key__contains=f" {w} ") | Q(dup_key__endswith=f" {w}")
                match |= Q(dup_key=w)
            found[n] = list(qs.filter(match).values_list("id", "dup_key")[:fetch])
    best = [_best_keys(words[n], found[n], limit) for n in range(len(asks))]
    wanted = sorted({pk for ids in best for pk in ids})
    rows = {r["id"]: r for r in Initiative.objects.filter(pk__in=wanted).values(*fields)} if wanted else {}
    return [[rows[pk] for pk in ids if pk in rows] for ids in best]


def register_words(keys: list[str], total_rows: int, share: float = 0.02) -> dict:
    """{word: expected rows} for the words of a register's keys (a sample: a batch) held by at
    least ``share`` of them, scaled to the register's ``total_rows``: a unit's code in every title,
    a subject repeated — common once imported, though the statistics do not say so yet."""
    from collections import Counter

    counts = Counter(w for key in keys for w in set(key.split()))
    n = max(len(keys), 1)
    return {w: c / n * total_rows for w, c in counts.items() if c / n >= share}


def _candidates(key: str, exclude_ids, limit: int) -> list[dict]:
    """A bounded set of submitted dossiers whose key shares the query's telling words (one query
    for the keys; on PostgreSQL one more, cached, for the words' frequencies), ranked by their keys."""
    return _candidates_many([(key, tuple(exclude_ids or ()))], limit)[0]


def screen(
    *,
    title: str,
    summary: str = "",
    organisation=None,
    category=None,
    exclude_ids=(),
    user=None,
    limit: int = 10,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[dict]:
    """The submitted dossiers (not drafts, not withdrawn) of the whole programme that are probably
    the same idea as ``title`` + ``summary``: ``[{"id", "title", "organisation", "similarity",
    "reasons", "words", "masked"}]``, most alike first, the earlier first on ties.

    With ``user``: a candidate whose title ``user`` may not read (not theirs to open, or
    confidential and closed to them) appears as "a dossier of unit X" / "a confidential dossier of
    unit X", without its words."""
    item = {
        "title": title,
        "summary": summary,
        "organisation": organisation,
        "category": category,
        "exclude_ids": exclude_ids,
    }
    return screen_many([item], user=user, limit=limit, threshold=threshold)[0]


def screen_many(
    items: list[dict],
    *,
    user=None,
    limit: int = 10,
    threshold: float = DEFAULT_THRESHOLD,
    expected: dict | None = None,
    budget: int = 0,
    fetch: int = 0,
    rescore: int = RESCORE,
    newest: bool = False,
) -> list[list[dict]]:
    """``screen`` for many dossiers at once (the register import's batches): ``items`` are
    ``{"title", "summary", "organisation", "category", "exclude_ids"}``; the answers, in order,
    are those ``screen`` gives each one, in a few statements whatever their number (an item may
    carry its ``"key"``, ``dup_key(title, summary)``, when the caller has it already). ``expected``
    ({word: rows}, see ``register_words``): words the statistics may not know are common yet.
    ``budget``, ``fetch``, ``rescore``: smaller than the defaults for a register's 100,000 rows
    (``IMPORT_SCREEN``), where each row's few best matter, not the sixtieth."""
    from django.utils.translation import gettext as _

    keys = [it["key"] if "key" in it else dup_key(it["title"], it.get("summary") or "") for it in items]
    todo = [n for n, key in enumerate(keys) if key]
    candidates = dict(
        zip(
            todo,
            _candidates_many(
                [(keys[n], tuple(items[n].get("exclude_ids") or ())) for n in todo],
                rescore,
                expected,
                budget,
                fetch,
                newest,
            ),
            strict=True,
        )
    )
    results, read = [], {}  # a candidate's words read once for the whole batch
    for n, it in enumerate(items):
        org = it.get("organisation")
        me = {
            "title": it["title"],
            "summary": it.get("summary") or "",
            "organisation_id": getattr(org, "pk", org),
            "category": it.get("category"),
        }
        found = []
        mine = _Read(me)
        for c in candidates.get(n, ()):
            theirs = read.get(c["id"])
            if theirs is None:
                theirs = read[c["id"]] = _Read(c)
            if not mine.whole or not theirs.whole:
                continue
            score = _score(mine, theirs)
            if score >= threshold:
                found.append((score, c, _reasons(me, c, mine, theirs)))
        found.sort(key=lambda x: (-x[0], x[1]["id"]))
        results.append(found[:limit])
    readable = None
    if user is not None and any(results):
        ids = sorted({c["id"] for found in results for _s, c, _r in found})
        readable = set(title_provider(user, ids)) if title_provider else set()
    out = []
    for found in results:
        rows = []
        for score, c, reasons in found:
            unit = c["organisation__code"]
            words = [r for r in reasons if r not in ("same_unit", "same_field")]
            masked = readable is not None and c["id"] not in readable
            why = []
            if words and not masked:
                why.append(_("từ chung: %(words)s") % {"words": ", ".join(words[:8])})
            if "same_unit" in reasons:
                why.append(_("cùng đơn vị"))
            if "same_field" in reasons:
                why.append(_("cùng lĩnh vực"))
            if masked:
                shown = (
                    _("một hồ sơ bảo mật của đơn vị %(unit)s")
                    if c["confidential"]
                    else _("một hồ sơ của đơn vị %(unit)s")
                ) % {"unit": unit}
            else:
                shown = c["title"]
            rows.append(
                {
                    "id": c["id"],
                    "title": shown,
                    "organisation": unit,
                    "similarity": round(score, 2),
                    "reasons": why,
                    "words": [] if masked else words,
                    "masked": masked,
                }
            )
        out.append(rows)
    return out
