"""Text as the rules compare it, defined once: full-width forms folded, identifiers without spaces.
Pure functions over columns; the reader and the core both use them."""
from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# ASCII and the CJK Unified Ideographs are their own NFKC form, alone and together
_NFKC_STABLE = r"^[\x00-\x7f\x{4e00}-\x{9fff}]*$"
SPACE = "[ \t\r\n\f\v]"  # ASCII only: RE2-compatible, and folding already made odd spaces ASCII


def fold(text: str) -> str:
    """Full-width forms to half-width (ＡＢ１２ → AB12), surrounding whitespace removed."""
    return unicodedata.normalize("NFKC", text).strip()


def fold_texts(texts: pd.Series) -> pd.Series:
    """fold() over a column, but for the strip: only cells holding characters other than ASCII and
    common Chinese ones can change (full-width forms, ￥, ㈱…), each distinct one folded once."""
    changing = ~pc.fill_null(pc.match_substring_regex(arrow_texts(texts), _NFKC_STABLE), True).to_numpy(zero_copy_only=False)
    if not changing.any():
        return texts
    codes, uniques = pd.factorize(texts[changing])
    folded = np.array([unicodedata.normalize("NFKC", u) for u in np.asarray(uniques, dtype=object)], dtype=object)
    out = texts.copy()
    out[changing] = folded[codes]
    return out


def arrow_texts(texts: pd.Series | pd.api.extensions.ExtensionArray) -> pa.StringArray:
    """Texts (NaN or None for empty) as one Arrow string array, whatever chunks they came in."""
    array = pa.array(texts, type=pa.string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array  # a concatenated column


def id_keys(texts: pd.Series, upper: bool = False) -> pd.Series:
    """Identifiers as compared: full-width folded and trimmed; with `upper`, no spaces and upper case
    (registers' `upper` columns: 保单号, 车架号, 车牌号). An empty text is NaN."""
    folded = fold_texts(texts).str.strip()
    if upper:
        folded = folded.str.replace(SPACE + "+", "", regex=True).str.upper()
    return folded.where(folded != "")
