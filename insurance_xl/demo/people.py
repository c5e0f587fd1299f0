"""Made-up people and vehicles for the demo store: names, phones, ID numbers, VINs, plates, accounts.

Everything is drawn from a numpy Generator, a whole column at a time, so thirty thousand vehicles
cost milliseconds. Identifiers are well formed the way validation checks them: VINs are 17
characters without I, O or Q (with a real check digit), phones 11 digits, ID numbers 18 characters
with their check character, plates unique.
"""
from __future__ import annotations

import numpy as np

# Common surnames, most frequent first (their weights fall off with rank).
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
                "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红玲芬建国志文辉力鹏飞宇浩然子涵欣怡雨轩梓萱"
             "晨阳博俊佳琪思远嘉懿晓东海波春梅立新永庆宏亮婷雪莉琳晶丹凤云燕颖瑶倩慧")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "185", "186",
                   "187", "188", "189", "191", "198", "199")
# Beijing districts first: the store is in Beijing; a few customers registered elsewhere.
AREA_CODES = ("110101", "110102", "110105", "110106", "110107", "110108", "110111", "110112", "110114",
              "110115", "130102", "130602", "120101", "370102", "410105", "230103")
BANK_BINS = ("622202", "621700", "622848", "622588", "621483", "622700", "621226")
BEIJING_LETTERS = tuple("ABCEFGHJKLMNPQ")
OTHER_PROVINCES = (("冀", "ABCDEFGHJR"), ("津", "ABCDEFGHJ"), ("鲁", "ABCDEFGH"))
PLATE_CHARS = np.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))
VIN_CHARS = np.array(list("0123456789ABCDEFGHJKLMNPRSTUVWXYZ"))  # no I, O, Q (ISO 3779)
_VIN_VALUE = {**{str(d): d for d in range(10)},
              **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
              **dict(zip("STUVWXYZ", range(2, 10)))}
_VIN_TABLE = np.zeros(128, dtype=np.int64)  # character code -> transliterated value
_VIN_TABLE[[ord(c) for c in _VIN_VALUE]] = list(_VIN_VALUE.values())
_VIN_WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2])
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY"  # model years 2010..2030 (no I O Q U Z 0)
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))


def pick(rng: np.random.Generator, options, n: int, weights=None) -> np.ndarray:
    """n draws from `options` (with optional weights), as a numpy array of the options' values."""
    options = np.asarray(options)
    p = None if weights is None else np.asarray(weights, dtype=float) / np.sum(weights)
    return options[rng.choice(len(options), size=n, p=p)]


def digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """n strings of `width` random decimal digits (leading zeros kept)."""
    if width == 0:
        return np.full(n, "", dtype=object)
    table = rng.integers(0, 10, size=(n, width)).astype(np.uint8) + ord("0")
    return np.array([row.tobytes().decode() for row in table], dtype=object) if n else np.array([], dtype=object)


def numbered(numbers, width: int) -> np.ndarray:
    """Numbers as text, zero-padded to `width` digits (000123)."""
    return np.array([str(int(x)).zfill(width) for x in np.asarray(numbers)], dtype=object)


def cat(*parts) -> np.ndarray:
    """Element-wise string concatenation of arrays (or scalars) into an object array."""
    out = np.asarray(parts[0], dtype=object)
    for part in parts[1:]:
        out = out + np.asarray(part, dtype=object)
    return out


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    ranks = np.arange(1, len(SURNAMES) + 1)
    surname = pick(rng, SURNAMES, n, 1 / ranks ** 0.9)
    first = pick(rng, GIVEN, n)
    second = np.where(rng.random(n) < 0.55, pick(rng, GIVEN, n), "")
    return cat(surname, first, second)


def mobile_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    return cat(pick(rng, MOBILE_PREFIXES, n), digits(rng, n, 8))


def id_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """18-character resident ID numbers: area, birth date (1955-2003), sequence, check character."""
    born = np.datetime64("1955-01-01") + rng.integers(0, 48 * 365, size=n).astype("timedelta64[D]")
    birth = np.array([str(d).replace("-", "") for d in born.astype("datetime64[D]")], dtype=object)
    body = cat(pick(rng, AREA_CODES, n), birth, digits(rng, n, 3))
    matrix = np.array([list(b) for b in body], dtype=np.int64).reshape(n, 17) if n else np.zeros((0, 17), int)
    return cat(body, _ID_CHECK[(matrix @ _ID_WEIGHTS) % 11])


def bank_accounts(rng: np.random.Generator, n: int) -> np.ndarray:
    return cat(pick(rng, BANK_BINS, n), digits(rng, n, 13))


def vins(rng: np.random.Generator, wmi: np.ndarray, model_year: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """VINs: maker code, 5 descriptor characters, check digit, model year, plant, 6-digit serial.

    `serial` must be unique per vehicle: that is what makes every VIN unique.
    """
    n = len(wmi)
    vds = VIN_CHARS[rng.integers(0, len(VIN_CHARS), size=(n, 5))]
    plant = VIN_CHARS[rng.integers(0, len(VIN_CHARS), size=n)]
    year = np.array(list(_YEAR_CODES))[np.clip(np.asarray(model_year) - 2010, 0, len(_YEAR_CODES) - 1)]
    serial_text = numbered(serial, 6)
    chars = np.empty((n, 17), dtype="<U1")
    chars[:, :3] = np.array([list(w) for w in wmi]).reshape(n, 3) if n else chars[:, :3]
    chars[:, 3:8] = vds
    chars[:, 9] = year
    chars[:, 10] = plant
    chars[:, 11:] = np.array([list(s) for s in serial_text]).reshape(n, 6) if n else chars[:, 11:]
    chars[:, 8] = "0"
    total = (_VIN_TABLE[chars.view(np.uint32)] * _VIN_WEIGHTS).sum(axis=1) % 11
    chars[:, 8] = np.where(total == 10, "X", total.astype(str))
    return np.array(["".join(row) for row in chars], dtype=object)


def unique_plates(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct licence plates: mostly 京, some from neighbouring provinces, a few green (new energy)."""
    plates: list[str] = []
    seen: set[str] = set()
    while len(plates) < n:
        m = int((n - len(plates)) * 1.2) + 16
        province = np.full(m, "京", dtype=object)
        letter = pick(rng, BEIJING_LETTERS, m)
        elsewhere = rng.random(m) < 0.08
        which = rng.integers(0, len(OTHER_PROVINCES), size=m)
        for i, (prov, letters) in enumerate(OTHER_PROVINCES):
            sel = elsewhere & (which == i)
            province[sel] = prov
            letter[sel] = pick(rng, list(letters), int(sel.sum()))
        # five characters: digits mostly, a letter or two here and there
        tail = PLATE_CHARS[rng.integers(0, 10, size=(m, 5))]
        lettered = rng.random((m, 5)) < 0.18
        tail[lettered] = PLATE_CHARS[rng.integers(10, len(PLATE_CHARS), size=int(lettered.sum()))]
        body = np.array(["".join(t) for t in tail], dtype=object)
        green = rng.random(m) < 0.03  # new-energy plates: D/F then five digits
        body[green] = cat(pick(rng, ["D", "F"], int(green.sum())), digits(rng, int(green.sum()), 5))
        for plate in cat(province, letter, body):
            if plate not in seen:
                seen.add(plate)
                plates.append(plate)
                if len(plates) == n:
                    break
    return np.array(plates, dtype=object)
