"""Generate the demo register (``register.xlsx``) deterministically from the seeds' figures.

Seed 000 (EVNSPC, Tạp chí Năng lượng): by the end of phase 1 (1/6/2022) 65 initiatives were
registered — PC Bình Dương 40, PC Bình Thuận 8, PC Tây Ninh 5, CNTT 3, PC Cà Mau 3, PC Bạc Liêu 2,
Cơ quan Tổng công ty 2 (``SPCHQ``), PC Đồng Tháp 1, PC Vĩnh Long 1 — and 222 cumulatively by
30/9/2022 ("đạt 9,3% chỉ tiêu được giao"). The 157 registered between 1/6 and 30/9/2022 are spread
over the same units (the seed does not say where). Titles, authors, dates and benefits are invented.

    python -m workflow.demo.make_register   # rewrites workflow/demo/register.xlsx
"""

import datetime
import random
from pathlib import Path

from openpyxl import Workbook

from config.xlsx import cells_as_text

OUT = Path(__file__).resolve().parent / "register.xlsx"
PHASE1 = {"PCBD": 40, "PCBTH": 8, "PCTN": 5, "SPCIT": 3, "PCCM": 3, "PCBL": 2, "SPCHQ": 2, "PCDT": 1, "PCVL": 1}
PHASE2_BY_30_9_2022 = {
    "PCBD": 45,
    "PCBTH": 25,
    "PCTN": 18,
    "SPCIT": 9,
    "PCCM": 16,
    "PCBL": 12,
    "SPCHQ": 10,
    "PCDT": 12,
    "PCVL": 10,
}  # 157
USERS = {"PCBD": ["lan", "hung", "tuvan1"], "PCBTH": ["minh"], "SPCIT": ["tam"]}
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Hoàng", "Ngọc", "Quốc", "Hữu"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hải",
    "Khoa",
    "Lộc",
    "Mai",
    "Nam",
    "Phúc",
    "Quang",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trung",
    "Vy",
    "Yến",
]
SUBJECTS = [
    ("technical", "Cải tiến thiết bị thí nghiệm máy biến áp"),
    ("technical", "Dụng cụ thao tác trên lưới điện hạ thế"),
    ("technical", "Ứng dụng phần mềm quản lý vật tư"),
    ("technical", "Giải pháp giảm tổn thất điện năng trạm biến áp"),
    ("management", "Quy trình số hóa hồ sơ khách hàng"),
    ("management", "Tổ chức ca trực vận hành hợp lý"),
    ("union", "Mô hình sinh hoạt tổ công đoàn trực tuyến"),
    ("covid", "Phương án vận hành an toàn trong dịch Covid-19"),
]
PROGRAMME_STARTS = datetime.date(2021, 9, 1)
HEADERS = [
    "Số hồ sơ",
    "Tên sáng kiến",
    "Mã đơn vị",
    "Lĩnh vực",
    "Tác giả",
    "Giá trị làm lợi (VND)",
    "Ngày áp dụng",
    "Ngày đăng ký",
    "Ngày công nhận",
]


def _day(rng, first, last):
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def rows():
    rng = random.Random(2022_09_30)
    out, n = [], 0
    periods = [
        (PHASE1, datetime.date(2021, 9, 15), datetime.date(2022, 5, 31)),
        (PHASE2_BY_30_9_2022, datetime.date(2022, 6, 1), datetime.date(2022, 9, 30)),
    ]
    for counts, first, last in periods:
        for unit, count in counts.items():
            people = USERS.get(unit, []) + [
                f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}" for _ in range(max(3, count // 2))
            ]
            for _ in range(count):
                n += 1
                category, subject = rng.choice(SUBJECTS)
                registered = _day(rng, first, last)
                authors = rng.sample(people, k=min(len(people), rng.choice([1, 1, 2, 3])))
                shares = [100 // len(authors)] * len(authors)
                shares[0] += 100 - sum(shares)
                recognised = None
                if rng.random() < 0.55:
                    recognised = min(
                        registered + datetime.timedelta(days=rng.randint(10, 75)), datetime.date(2022, 9, 30)
                    )
                out.append(
                    [
                        f"SPC-{registered:%Y}-{n:04d}",
                        f"{subject} tại {unit} (số {n})",
                        unit,
                        category,
                        "; ".join(f"{a}:{s}" for a, s in zip(authors, shares, strict=True)),
                        rng.choice([0, 15_000_000, 40_000_000, 85_000_000, 120_000_000, 250_000_000]),
                        # applied within the programme's counting window (it starts 01/9/2021)
                        max(registered - datetime.timedelta(days=rng.randint(10, 120)), PROGRAMME_STARTS),
                        registered,
                        recognised,
                    ]
                )
    return out


def main():
    wb = Workbook()
    ws = wb.active
    ws.title = "Sổ đăng ký"
    ws.append(HEADERS)
    for row in rows():
        ws.append(row)
    fixed = datetime.datetime(2022, 10, 1, 8, 0)
    wb.properties.created = wb.properties.modified = fixed
    cells_as_text(wb)
    wb.save(OUT)
    print(f"{OUT}: {ws.max_row - 1} rows")


if __name__ == "__main__":
    main()
