"""Folding for search: diacritics, Đ/đ and case disappear; NFC and NFD fold alike."""
import unicodedata

import pytest

from tracker.text import fold, fold_key, nfc


@pytest.mark.parametrize(("text", "folded"), [
    ("Kế hoạch", "ke hoach"),
    ("ĐÌNH LẬP", "dinh lap"),
    ("Đình Lập", "dinh lap"),
    ("đường", "duong"),
    ("Sở KH&ĐT", "so kh&dt"),
    ("  Hữu   Lũng ", "huu lung"),
])
def test_fold(text, folded):
    assert fold(text) == folded


def test_nfd_input_folds_like_nfc():
    assert fold(unicodedata.normalize("NFD", "Tràng Định")) == fold("Tràng Định") == "trang dinh"


def test_fold_key_ignores_spacing_around_ampersand_and_dash():
    assert fold_key("Sở KH & ĐT") == fold_key("Sở KH&ĐT")
    assert fold_key("LĐ - TB&XH") == fold_key("LĐ-TB&XH")


def test_nfc_collapses_space():
    assert nfc(unicodedata.normalize("NFD", " Lạng  Sơn ")) == "Lạng Sơn"
