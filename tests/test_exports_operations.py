"""The letterhead's operation without HTTP: only the office sets it, the fields it cannot print without."""
from __future__ import annotations

import pytest

from helpers import user_of
from tracker.exports import operations as ops
from tracker.exports.letterhead import DEFAULTS, current_letterhead
from tracker.extensions import db
from tracker.operations import Invalid, NotAllowed, perform

GOOD = {**DEFAULTS, "issuing_body": "Ban Chỉ đạo các Chương trình MTQG tỉnh", "symbol": "BC-BCĐ",
        "recipients": "- UBND tỉnh (b/c);\n\n- Các sở, ngành;", "authority": "TM. Ban Chỉ đạo",
        "signer_title": "Phó Trưởng ban", "signer_name": "Nguyễn  Văn Bình"}


def test_only_the_office_sets_the_letterhead_that_the_report_prints(seeded):
    with seeded.app_context():
        for who in ("khdt@test.vn", "lanhdao@test.vn"):
            with pytest.raises(NotAllowed):
                perform(ops.set_letterhead, user_of(who), GOOD)
        office = user_of("vpdp@test.vn")
        with pytest.raises(Invalid) as missing:
            perform(ops.set_letterhead, office, {**GOOD, "symbol": " ", "signer_name": "", "place": "x" * 61})
        assert missing.value.errors == {"symbol": ["Mục này bắt buộc."], "signer_name": ["Mục này bắt buộc."],
                                        "place": ["Không dài quá 60 ký tự."]}
        perform(ops.set_letterhead, office, GOOD)
        db.session.expire_all()
        head = current_letterhead()
        assert (head.issuing_body, head.symbol, head.authority, head.signer_name) == (
            "BAN CHỈ ĐẠO CÁC CHƯƠNG TRÌNH MTQG TỈNH", "BC-BCĐ", "TM. BAN CHỈ ĐẠO", "Nguyễn Văn Bình")
        assert head.recipients == ("UBND tỉnh (b/c);", "Các sở, ngành;")
