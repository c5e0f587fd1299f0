"""Vehicle identity (DOMAIN.md): the integer codes rules use and the text ids agree, row for row."""
import numpy as np
import pandas as pd

from insurance_xl.tables import registers_from_tables, table_from_records
from insurance_xl.reading.store import read_store
from insurance_xl.core.vehicles import is_own_brand, vehicle_codes, vehicle_index

from tests.conftest import sample


def same_partition(texts: pd.Series, codes: np.ndarray) -> bool:
    pairs = pd.DataFrame({"text": pd.factorize(texts)[0], "code": codes}).drop_duplicates()
    return pairs["text"].is_unique and pairs["code"].is_unique


def assert_codes_match_ids(registers, own_brands):
    index = vehicle_index(registers)
    codes = vehicle_codes(registers, own_brands)
    keys = ("policies", "sales", "claims")
    texts = pd.concat([index.ids(registers[k]) for k in keys], ignore_index=True)
    assert same_partition(texts, np.concatenate([codes.ids[k] for k in keys]))
    for key in ("policies", "sales"):
        own = is_own_brand(index.brands(registers[key]), own_brands).to_numpy()
        assert (own == codes.own[key]).all(), key
    return index, codes


def test_identity_rules_on_a_hand_built_store():
    sales = table_from_records("sales", [
        {"vin": "VIN1", "plate": "京A1", "brand": "斯巴鲁", "sale_date": "2024-01-01"},
        {"vin": "VIN2", "plate": "京A2", "brand": "斯巴鲁", "sale_date": "2024-02-01"},
    ])
    policies = table_from_records("policies", [
        {"vin": None, "plate": "京A1", "brand": None, "policy_start": "2025-01-01"},  # → VIN1, 斯巴鲁 from sales
        {"vin": "VIN3", "plate": "京A2", "brand": "丰田", "policy_start": "2023-01-01"},  # older pair: sales wins
        {"vin": None, "plate": "京Z9", "brand": "大众", "policy_start": "2025-01-01"},  # a plate of its own
        {"vin": None, "plate": None, "brand": "斯巴鲁", "policy_start": "2025-01-01"},  # neither: its own row
        {"vin": None, "plate": None, "brand": None, "policy_start": "2025-01-01"},  # and another
        {"vin": "VIN3", "plate": None, "brand": None, "policy_start": "2025-06-01"},  # brand from VIN3's policy
    ])
    claims = table_from_records("claims", [{"plate": "京A2"}, {"plate": "京Z9"}, {"plate": "京Q0"}, {"plate": None}])
    registers = registers_from_tables({"sales": sales, "policies": policies, "claims": claims})
    index, codes = assert_codes_match_ids(registers, ["斯巴鲁"])
    assert list(index.ids(policies)[:3]) == ["VIN1", "VIN3", "PLATE:京Z9"]
    assert list(index.ids(claims)[:3]) == ["VIN2", "PLATE:京Z9", "PLATE:京Q0"]
    assert list(index.brands(policies).fillna("-")) == ["斯巴鲁", "丰田", "大众", "斯巴鲁", "-", "丰田"]
    p = codes.ids["policies"]
    assert p[0] == codes.ids["sales"][0] and p[1] == p[5] and len({p[3], p[4], p[2]}) == 3
    assert codes.ids["claims"][0] == codes.ids["sales"][1]
    # DOMAIN.md rev 2: with exactly one own brand a blank 品牌 reads as the own brand (row 4)
    assert codes.own["policies"].tolist() == [True, False, False, True, True, False]


def test_codes_match_ids_on_the_sample_store():
    assert_codes_match_ids(read_store(sample("store.xlsx")), ["斯巴鲁"])
