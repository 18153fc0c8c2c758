"""Seeded generator of realistic exports for the three presets, with cross-source duplicates and planted defects.

The same people appear in Salesforce, HubSpot and WukongCRM exports with the variations real systems
produce (phone formats, e-mail case, short-form addresses, a married name change, Excel damage), spread
over several nights in the landing layout <out>/<source>/<YYYY-MM-DD>/. It scales to millions of rows.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

# Real surname concentration: the top Chinese surnames cover a large share of people.
CN_SURNAMES = ["王"] * 72 + ["李"] * 72 + ["张"] * 68 + ["刘"] * 53 + ["陈"] * 46 + ["杨"] * 33 + ["黄"] * 24 + \
    ["赵"] * 20 + ["吴"] * 20 + ["周"] * 19 + ["徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高", "郑", "梁",
                                               "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹"] * 8 + \
    ["欧阳", "司马", "诸葛", "上官"]
CN_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅志强海燕小龙婷雪晨浩宇欣怡子涵梓轩")
WEST_FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
              "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
              "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Emily", "Mark", "Anna", "Steven", "Laura"]
WEST_LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
             "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee",
             "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "O'Brien"]
SYLLABLES = ["wang", "li", "zhang", "liu", "chen", "yang", "xiao", "ming", "hua", "wei", "fang", "jun", "lei", "na"]
CN_DOMAINS = ["163.com", "qq.com", "126.com", "sina.com", "foxmail.com", "aliyun.com"]
WEST_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "example.com"]
CN_MOBILE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159",
                      "176", "177", "180", "182", "185", "186", "187", "188", "189", "199"]
US_AREAS = ["212", "415", "646", "617", "312", "213", "206", "503", "305", "404"]
# (province, city, district, short form as people write it)
CN_PLACES = [
    ("北京市", "北京市", "朝阳区", "北京朝阳"), ("北京市", "北京市", "海淀区", "北京海淀"),
    ("上海市", "上海市", "浦东新区", "上海浦东新区"), ("上海市", "上海市", "徐汇区", "上海徐汇"),
    ("广东省", "深圳市", "南山区", "广东深圳南山"), ("广东省", "广州市", "天河区", "广州天河区"),
    ("浙江省", "杭州市", "西湖区", "杭州西湖区"), ("江苏省", "南京市", "鼓楼区", "江苏南京鼓楼区"),
    ("四川省", "成都市", "武侯区", "四川成都武侯"), ("湖北省", "武汉市", "洪山区", "湖北武汉洪山"),
    ("吉林省", "长春市", "朝阳区", "吉林朝阳"), ("新疆维吾尔自治区", "乌鲁木齐市", "天山区", "新疆乌鲁木齐天山区"),
    ("重庆市", "重庆市", "渝中区", "重庆渝中"), ("陕西省", "西安市", "雁塔区", "陕西西安雁塔"),
]
CN_STREETS = ["建国路", "科技园路", "中山路", "人民路", "解放路", "文三路", "天府大道", "长安街", "世纪大道", "珞喻路"]
US_PLACES = [("New York", "NY", "100"), ("San Francisco", "CA", "941"), ("Boston", "MA", "021"),
             ("Chicago", "IL", "606"), ("Seattle", "WA", "981"), ("Portland", "OR", "972")]
US_STREETS = ["Main St", "Oak Ave", "Market St", "Broadway", "Pine St", "Maple Dr", "Elm St", "2nd Ave"]
COMPANIES_CN = ["北京华信科技有限公司", "上海瑞丰贸易有限公司", "深圳前海数据有限公司", "杭州云图网络科技有限公司"]
COMPANIES_WEST = ["Acme Corp", "Globex Inc", "Initech", "Umbrella LLC", "Stark Industries", "Wayne Enterprises"]
HOSTILE = ["<script>alert(1)</script>", '=HYPERLINK("http://evil.example","click")', "+SUM(1,2)", "@cmd"]

SALESFORCE_HEADERS = ["Id", "AccountId", "Salutation", "FirstName", "LastName", "Name", "Account.Name",
                      "MailingStreet", "MailingCity", "MailingState", "MailingPostalCode", "MailingCountry", "Phone",
                      "MobilePhone", "Email", "Birthdate", "GenderIdentity", "HasOptedOutOfEmail", "Title",
                      "CreatedDate", "LastModifiedDate", "LastActivityDate"]
# The same export as a contact report's "Export Details" (Salesforce Classic): field labels, dates as the user's
# locale writes them, 1/0 for checkboxes, and a footer below the records
REPORT_HEADERS = {"Id": "Contact ID", "AccountId": "Account ID", "FirstName": "First Name", "LastName": "Last Name",
                  "Name": "Full Name", "Account.Name": "Account Name", "MailingStreet": "Mailing Street",
                  "MailingCity": "Mailing City", "MailingState": "Mailing State/Province",
                  "MailingPostalCode": "Mailing Zip/Postal Code", "MailingCountry": "Mailing Country",
                  "MobilePhone": "Mobile", "GenderIdentity": "Gender Identity", "HasOptedOutOfEmail": "Email Opt Out",
                  "CreatedDate": "Created Date", "LastModifiedDate": "Last Modified Date",
                  "LastActivityDate": "Last Activity"}
REPORT_FOOTER = ["", "Acme Trading Co.", "Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.",
                 "Confidential Information - Do Not Distribute", "Generated By:  Sample Admin  11/21/2026 6:00 AM",
                 "Acme Trading Co."]
HUBSPOT_HEADERS = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number",
                   "Contact owner", "Lifecycle Stage", "Street Address", "City", "State/Region", "Postal Code",
                   "Country/Region", "Company Name", "Gender", "Date of birth", "Unsubscribed from all email",
                   "Create Date", "Last Modified Date", "Last Activity Date"]
WUKONG_HEADERS = ["客户名称", "客户来源", "手机", "电话", "网址", "邮箱", "客户行业", "客户级别", "下次联系时间", "备注",
                  "成交状态", "最后跟进时间", "详细地址", "地区定位", "负责人", "更新时间", "创建时间", "创建人"]


@dataclass
class Person:
    pid: int
    chinese: bool
    family: str
    given: str
    gender: str
    birth: dt.date
    phone: str  # national digits
    email: str
    place: tuple
    street: str
    company: str
    married_family: str | None = None
    created_days_back: int = 0
    created_second: int = 0
    # life events: a second e-mail, a new phone, a move; each source knows the old or the new value
    other_email: str | None = None
    other_phone: str | None = None
    other_place: tuple | None = None
    other_street: str | None = None

    def seen_by(self, source: str) -> "Person":
        """The person as one source knows them: for each life event, the old or the new value (fixed per
        person and source, so a record does not flip between nights)."""
        own = random.Random(f"{self.pid}:{source}")
        pick = lambda old, new: new if new is not None and own.random() < 0.5 else old  # noqa: E731
        place = pick((self.place, self.street), (self.other_place, self.other_street) if self.other_place else None)
        return replace(self, email=pick(self.email, self.other_email), phone=pick(self.phone, self.other_phone),
                       place=place[0], street=place[1])


def _person(rng: random.Random, pid: int) -> Person:
    chinese = rng.random() < 0.6
    gender = rng.choice("MF")
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
    if chinese:
        family = rng.choice(CN_SURNAMES)
        given = "".join(rng.choice(CN_GIVEN) for _ in range(rng.choice((1, 2, 2))))
        phone = rng.choice(CN_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        # the number comes from the person: an address belongs to one person, however large the crowd
        local = f"{rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)}{pid}"
        email = f"{local}@{rng.choice(CN_DOMAINS)}"
        place = rng.choice(CN_PLACES)
        street = f"{rng.choice(CN_STREETS)}{rng.randrange(1, 300)}号"
        company = rng.choice(COMPANIES_CN)
    else:
        family, given = rng.choice(WEST_LAST), rng.choice(WEST_FIRST)
        phone = f"{rng.choice(US_AREAS)}{rng.randrange(200, 999)}{rng.randrange(10000):04d}"
        if phone[3:6] in ("555", "911", "411"):
            phone = phone[:3] + "234" + phone[6:]
        email = f"{given.lower()}.{family.lower().replace(chr(39), '')}{pid}@{rng.choice(WEST_DOMAINS)}"
        place = rng.choice(US_PLACES)
        street = f"{rng.randrange(1, 9999)} {rng.choice(US_STREETS)}"
        company = rng.choice(COMPANIES_WEST)
    married = None
    if gender == "F" and rng.random() < 0.04:
        married = rng.choice(CN_SURNAMES[:300]) if chinese else rng.choice(WEST_LAST)
    person = Person(pid, chinese, family, given, gender, birth, phone, email, place, street, company, married,
                    rng.randrange(30, 900), rng.randrange(86400))
    if rng.random() < 0.08:
        user, domain = email.split("@")
        person.other_email = f"{user[::-1]}.{pid}@{rng.choice(CN_DOMAINS if chinese else WEST_DOMAINS)}"
    if rng.random() < 0.05:
        digits = list(phone)
        digits[-4:] = f"{rng.randrange(10000):04d}"
        person.other_phone = "".join(digits)
    if rng.random() < 0.08:
        person.other_place = rng.choice(CN_PLACES if chinese else US_PLACES)
        person.other_street = (f"{rng.choice(CN_STREETS)}{rng.randrange(1, 300)}号" if chinese
                               else f"{rng.randrange(1, 9999)} {rng.choice(US_STREETS)}")
    return person


def _household(rng: random.Random, crowd: list[Person], share: float = 0.03) -> None:
    """Some people share a home with the one before them: same landline and address; a Western spouse also
    shares the family name. Different people that a careless matcher would merge."""
    for i in range(1, len(crowd)):
        if rng.random() < share:
            p, home = crowd[i], crowd[i - 1]
            if p.chinese != home.chinese:
                continue
            p.phone, p.place, p.street = home.phone, home.place, home.street
            if not p.chinese:
                p.family = home.family


def _phone_variant(rng: random.Random, p: Person) -> str:
    d = p.phone
    if p.chinese:
        forms = [d, f"{d[:3]} {d[3:7]} {d[7:]}", f"+86-{d[:3]}-{d[3:7]}-{d[7:]}", f"+86 {d}", f"0086{d}",
                 "".join(chr(ord(c) + 0xFEE0) for c in d)]
    else:
        forms = [f"({d[:3]}) {d[3:6]}-{d[6:]}", f"{d[:3]}-{d[3:6]}-{d[6:]}", f"+1 {d[:3]} {d[3:6]} {d[6:]}", d,
                 f"1-{d[:3]}-{d[3:6]}-{d[6:]}"]
    return rng.choice(forms)


def _email_variant(rng: random.Random, p: Person) -> str:
    r = rng.random()
    if r < 0.15:
        return p.email.upper()
    if r < 0.2:
        return p.email.replace("@", "＠")
    if r < 0.25:
        return f" {p.email} "
    return p.email


def _iso(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class _Night:
    """Rows of one source for one night, with defects planted at fixed rates."""

    def __init__(self, rng: random.Random, night: dt.date):
        self.rng, self.night = rng, night

    def created(self, p: Person) -> dt.datetime:
        """When the person's record was created: fixed for the person, whatever night exports it."""
        return dt.datetime(2026, 11, 20) - dt.timedelta(days=p.created_days_back, seconds=-p.created_second)

    def stamp(self, days_back: int = 0) -> dt.datetime:
        base = dt.datetime.combine(self.night, dt.time(0)) - dt.timedelta(days=days_back)
        return base + dt.timedelta(seconds=self.rng.randrange(86400))

    def defect(self, rate: float) -> bool:
        return self.rng.random() < rate


def salesforce_row(n: _Night, p: Person, rid: str) -> list:
    rng = n.rng
    family = p.married_family if p.married_family and rng.random() < 0.5 else p.family
    given = p.given if not (p.chinese is False and rng.random() < 0.05) else p.given[:-1] + p.given[-1] * 2
    name = f"{family}{given}" if p.chinese else f"{given} {family}"
    phone = _phone_variant(rng, p)
    email = _email_variant(rng, p)
    if n.defect(0.02):
        email = email.replace("@", " at ")
    if n.defect(0.02):
        phone = "12345"
    created = n.created(p)
    row = [rid, f"001{rng.randrange(10**12):012d}", "Ms." if p.gender == "F" else "Mr.", given, family, name,
           p.company if not n.defect(0.005) else rng.choice(HOSTILE),
           p.street if not p.chinese else f"{p.place[2]}{p.street}", p.place[1] if p.chinese else p.place[0],
           p.place[0] if p.chinese else p.place[1],
           "" if p.chinese else f"{p.place[2]}{rng.randrange(10, 99)}", "China" if p.chinese else "United States",
           phone if rng.random() < 0.4 else "", phone if rng.random() >= 0.4 else "", email,
           p.birth.isoformat() if rng.random() < 0.7 else "", rng.choice(["Male", "Female"]) if False else
           {"M": "Male", "F": "Female"}[p.gender] if rng.random() < 0.6 else "",
           rng.choice(["true", "false", "false", "false"]), rng.choice(["Manager", "Engineer", "Director", ""]),
           _iso(created), _iso(n.stamp()), (n.night - dt.timedelta(days=rng.randrange(400))).isoformat()]
    if not row[12] and not row[13]:
        row[13] = phone
    if n.defect(0.003):
        row[5] = rng.choice(HOSTILE)
    if n.defect(0.004):
        row[15] = (n.night + dt.timedelta(days=400)).isoformat()  # birth date in the future
    return row


def hubspot_row(n: _Night, p: Person, rid: str) -> list:
    rng = n.rng
    d = p.phone
    family = p.married_family if p.married_family and rng.random() < 0.5 else p.family
    email = _email_variant(rng, p)
    if n.defect(0.02):
        email = email.split("@")[0] + "@"
    phone = _phone_variant(rng, p)
    if p.chinese and n.defect(0.05):
        phone = f"{int(d[0])}.{d[1:6]}E+{len(d) - 1}"  # Excel scientific notation, digits lost
    mobile, office = (phone, "") if rng.random() < 0.5 else ("", phone)
    gender = rng.choice({"M": ["Male", "M", "male", "男"], "F": ["Female", "F", "female", "女"]}[p.gender])
    if n.defect(0.01):
        gender = "?"
    created = n.created(p)
    return [rid, p.given, family, email, office, mobile, rng.choice(["Ann Lee", "Bo Chen", ""]),
            rng.choice(["lead", "customer", "subscriber"]), p.street if not p.chinese else p.street,
            p.place[1] if p.chinese else p.place[0], p.place[0] if p.chinese else p.place[1],
            "" if p.chinese else f"{p.place[2]}{rng.randrange(10, 99)}",
            rng.choice(["China", "中国", "CN"]) if p.chinese else rng.choice(["United States", "USA", "US"]),
            p.company, gender, p.birth.strftime("%m/%d/%Y") if rng.random() < 0.5 else "",
            rng.choice(["false", "false", "true", ""]), created.strftime("%Y-%m-%d %H:%M"),
            n.stamp().strftime("%Y-%m-%d %H:%M"), n.stamp(rng.randrange(200)).strftime("%Y-%m-%d %H:%M")]


def wukong_row(n: _Night, p: Person) -> list:
    rng = n.rng
    own = random.Random(p.pid)  # the fields of the surrogate id are written the same way every night
    family = p.married_family or p.family
    name = f"{family}{p.given}" if p.chinese else f"{p.given} {family}"
    province, city, district, short = p.place if p.chinese else ("", "", "", "")
    if p.chinese and rng.random() < 0.5:
        region, street = "", f"{short}{p.street}"
    else:
        region, street = (f"{province},{city},{district}" if p.chinese else ""), p.street
    mobile: object = int(p.phone) if p.chinese and own.random() < 0.5 else _phone_variant(own, p)
    if n.defect(0.01):
        name, mobile = "", ""
    created = n.created(p)
    return [name, rng.choice(["促销活动", "搜索引擎", "客户介绍", "独立开发"]), mobile, "",
            "", _email_variant(rng, p) if rng.random() < 0.6 else "", rng.choice(["IT", "金融业", "制造业"]),
            rng.choice(["A（重点客户）", "B（普通客户）", "C（非优先客户）"]), "", rng.choice(["", "老客户", "N/A"]),
            rng.choice(["未成交", "已成交"]), n.stamp(rng.randrange(100)).strftime("%Y-%m-%d %H:%M:%S"),
            street, region, rng.choice(["张经理", "李销售"]), n.stamp().strftime("%Y-%m-%d %H:%M:%S"),
            created.strftime("%Y-%m-%d %H:%M:%S"), "admin"]


def _write_csv(path: Path, headers: list[str], rows: list[list], encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding, errors="replace") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
        writer.writerow(headers)
        writer.writerows(rows)


def _as_report(row: list) -> list:
    """A salesforce_row as the report writes it: 11/20/2026, 3:04 PM for timestamps, 1/15/1990 for dates."""
    def stamp(text: str) -> str:
        if not text or len(text) < 10:
            return text
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        day = f"{value.month}/{value.day}/{value.year}"
        return day if len(text) == 10 else f"{day}, {value.strftime('%I:%M %p').lstrip('0')}"
    out = list(row)
    if len(out) == len(SALESFORCE_HEADERS):
        for i in (15, 19, 20, 21):
            out[i] = stamp(out[i]) if out[i][:4].isdigit() else out[i]
        out[17] = {"true": "1", "false": "0"}.get(out[17], out[17])
    return out


def _write_report(path: Path, rows: list[list]) -> None:
    _write_csv(path, [REPORT_HEADERS.get(h, h) for h in SALESFORCE_HEADERS], [_as_report(r) for r in rows])
    with path.open("a", newline="", encoding="utf-8") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows([[line] if line else [] for line in REPORT_FOOTER])


def _write_xlsx(path: Path, headers: list[str], rows: list[list]) -> None:
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("客户")
    ws.append(["客户信息"])  # WukongCRM writes a merged title row above the headers
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)


def _write_truth(truth: Path, out: Path, files: list[tuple[Path, int, list[Person]]], new: bool) -> None:
    """Who each data line really is (source_file, line, person_id), for measuring match accuracy."""
    truth.parent.mkdir(parents=True, exist_ok=True)
    with truth.open("w" if new else "a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        if new:
            writer.writerow(["source_file", "source_line", "person_id"])
        for path, first_line, people in files:
            rel = path.relative_to(out).as_posix()
            writer.writerows((rel, first_line + i, p.pid) for i, p in enumerate(people))


def generate(out: Path | str, people: int = 3000, nights: int = 3, start: str = "2026-11-20",
             seed: int = 42, defects: bool = True, xlsx_scale: float = 1.0,
             truth: Path | str | None = None) -> Iterator[tuple[Path, int]]:
    """Write the exports; yields (file, data rows). Night 1 is a full export, later nights are deltas.
    xlsx_scale shrinks the share of people in the WukongCRM (XLSX) export, e.g. 0.2 for about a tenth of rows."""
    out, truth = Path(out), (Path(truth) if truth is not None else None)
    rng = random.Random(seed)
    crowd = [_person(rng, i) for i in range(people)]
    _household(rng, crowd)
    in_sf = [p for p in crowd if rng.random() < (0.55 if not p.chinese else 0.3)]
    in_hs = [p for p in crowd if rng.random() < 0.45]
    in_wk = [p for p in crowd if rng.random() < (0.75 if p.chinese else 0.1) * xlsx_scale]
    first = dt.date.fromisoformat(start)
    for k in range(nights):
        night = first + dt.timedelta(days=k)
        n = _Night(rng, night)
        share = 1.0 if k == 0 else 0.12
        pick = lambda group: [p for p in group if rng.random() < share]  # noqa: E731
        sf_people, hs_people, wk_people = pick(in_sf), pick(in_hs), pick(in_wk)
        sf_rows = [salesforce_row(n, p.seen_by("salesforce"), f"003{p.pid:012d}") for p in sf_people]
        hs_rows = [hubspot_row(n, p.seen_by("hubspot"), str(100000 + p.pid)) for p in hs_people]
        wk_rows = [wukong_row(n, p.seen_by("wukong")) for p in wk_people]
        if defects and sf_rows:
            sf_rows.append(list(sf_rows[0]))                     # the same record exported twice
            sf_rows[1][0] = ""                                   # a record without its id
            sf_rows.append(["003BROKEN", "Line", "with", "too", "many"] + [""] * 30)  # wrong field count
            hs_rows.append([str(999000 + k), "", "", "not-an-email", "", "", "", "", "", "", "", "", "", "", "",
                            "", "", "", "", ""])             # nobody: no name, phone or email
        day = night.isoformat()
        sf, hs, wk = out / "salesforce" / day / "contacts.csv", out / "hubspot" / day / "contacts.csv", \
            out / "wukong" / day / "客户.xlsx"
        if defects and k == 1:   # the second night's Salesforce export is a report's, in its own layout
            _write_report(sf, sf_rows)
        else:
            _write_csv(sf, SALESFORCE_HEADERS, sf_rows)
        _write_csv(hs, HUBSPOT_HEADERS, hs_rows, encoding="gb18030" if defects and k == 1 else "utf-8")
        _write_xlsx(wk, WUKONG_HEADERS, wk_rows)
        if truth is not None:
            _write_truth(truth, out, [(sf, 2, sf_people), (hs, 2, hs_people), (wk, 3, wk_people)], k == 0)
        yield sf, len(sf_rows)
        yield hs, len(hs_rows)
        yield wk, len(wk_rows)
        if defects and k == nights - 1:
            bad = out / "salesforce" / day / "contacts_manual_fix.csv"
            _write_csv(bad, [h for h in SALESFORCE_HEADERS if h != "LastName"], [r[:4] + r[5:] for r in sf_rows[:5]])
            yield bad, 5
