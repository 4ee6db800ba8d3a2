"""The plan's numbers changed through their operations, without HTTP: who may, the per-field refusals, the effect."""
from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from helpers import user_of
from test_indicators import HEADER, indicator, row
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.indicators import counts
from tracker.indicators import operations as ops
from tracker.indicators.models import Commune, CommuneCriterion, IndicatorEntry
from tracker.operations import Invalid, NotAllowed, perform
from tracker.plan.models import Agency

APRIL = date(2021, 4, 12)


def entries_of(indicator_id: int) -> list[tuple]:
    return db.session.execute(sa.select(IndicatorEntry.quarter, IndicatorEntry.value, IndicatorEntry.note)
                              .where(IndicatorEntry.indicator_id == indicator_id).order_by(IndicatorEntry.id)).all()


def agency_named(name: str) -> Agency:
    return db.session.scalar(sa.select(Agency).where(Agency.name == name))


def csv_upload(rows, name="xa.csv") -> FileStorage:
    text = "\n".join(",".join(map(str, r)) for r in [HEADER, *rows]) + "\n"
    return FileStorage(io.BytesIO(text.encode()), filename=name)


def test_the_responsible_body_enters_a_figure_with_evidence(seeded):
    with seeded.app_context():
        tc18 = indicator(seeded, "tc18.1")
        pdf = FileStorage(io.BytesIO(b"%PDF-1.4\n%minh chung\n"), filename="danh-sach.pdf", content_type="application/pdf")
        entry = perform(ops.enter_figure, user_of("noivu@test.vn"), tc18, 1, "1.250", " Theo báo cáo ", APRIL,
                        files=[pdf])
        db.session.expire_all()
        assert entries_of(tc18.id) == [(1, 1250, "Theo báo cáo")]
        assert entry.entered_by.email == "noivu@test.vn"
        assert db.session.scalar(sa.select(Attachment.original_name).where(Attachment.entry_id == entry.id)) == "danh-sach.pdf"


def test_another_body_may_not_enter_and_nothing_is_written(seeded):
    with seeded.app_context():
        tc18 = indicator(seeded, "tc18.1")
        for email in ("khdt@test.vn", "lanhdao@test.vn"):
            with pytest.raises(NotAllowed):
                perform(ops.enter_figure, user_of(email), tc18, 1, "3000", "", APRIL)
        assert entries_of(tc18.id) == []


@pytest.mark.parametrize(("key", "quarter", "value", "field", "message"), [
    ("tc18.1", 1, "-5", "value", "Số liệu không được âm."),
    ("tc18.1", 1, "12,5", "value", "Số lượt phải là số nguyên."),
    ("tc18.1", 3, "10", "quarter", "Quý 3/2021 chưa bắt đầu."),
    ("tc18.1", 9, "10", "quarter", "Chọn một quý của năm 2021."),
    ("border_villages", 1, "157", "value", "Không thể nhiều hơn 156 thôn hiện có."),
    ("tc02", 1, "90", "value", "Chỉ tiêu này được tính từ tiêu chí của các xã; hãy cập nhật tiêu chí từng xã."),
    ("model_residential_areas", 1, "2", "district", "Chọn huyện, thành phố của số liệu."),
])
def test_a_figure_that_breaks_a_rule_is_invalid_on_its_field(seeded, key, quarter, value, field, message):
    with seeded.app_context():
        found = indicator(seeded, key)
        with pytest.raises(Invalid) as refused:
            perform(ops.enter_figure, user_of("vpdp@test.vn"), found, quarter, value, "", APRIL)
        assert refused.value.errors == {field: [message]}
        assert entries_of(found.id) == []


def test_a_district_enters_its_own_figure_whatever_it_chose(seeded):
    with seeded.app_context():
        areas = indicator(seeded, "model_residential_areas")
        van_quan = agency_named("UBND huyện Văn Quan")
        entry = perform(ops.enter_figure, user_of("dinhlap@test.vn"), areas, 1, "2", "", APRIL, van_quan.id)
        assert entry.district.name == "UBND huyện Đình Lập"
        office = perform(ops.enter_figure, user_of("vpdp@test.vn"), areas, 1, "3", "", APRIL, van_quan.id)
        assert office.district.name == "UBND huyện Văn Quan"


def test_only_the_office_names_the_responsible_body_and_never_a_group(seeded):
    with seeded.app_context():
        found = indicator(seeded, "advanced_communes")
        before = found.responsible_id
        noivu = agency_named("Sở Nội vụ")
        with pytest.raises(NotAllowed):
            perform(ops.set_responsible, user_of("noivu@test.vn"), found, noivu.id)
        assert found.responsible_id == before
        group = db.session.scalar(sa.select(Agency).where(Agency.level == "group"))
        for wrong in (group.id, 999999):
            with pytest.raises(Invalid) as refused:
                perform(ops.set_responsible, user_of("vpdp@test.vn"), found, wrong)
            assert refused.value.errors == {"agency": ["Chọn một cơ quan trong danh sách."]}
        assert perform(ops.set_responsible, user_of("vpdp@test.vn"), found, noivu.id) == noivu
        db.session.expire_all()
        assert found.responsible_id == noivu.id
        assert perform(ops.set_responsible, user_of("vpdp@test.vn"), found, None) is None
        assert found.responsible_id is None


def commune_of(district: str) -> Commune:
    return db.session.scalar(sa.select(Commune).join(Agency, Agency.id == Commune.district_id)
                             .where(Agency.name == district).order_by(Commune.name))


def test_a_district_records_its_own_communes_criteria(seeded):
    with seeded.app_context():
        commune = commune_of("UBND huyện Đình Lập")
        met = counts.criteria_of(commune.id, date(2021, 5, 10))
        missing = min(set(counts.CRITERIA) - met)
        changed = perform(ops.update_commune, user_of("dinhlap@test.vn"), commune, date(2021, 5, 8), met | {missing},
                          "Quyết định 12/QĐ-UBND", date(2021, 5, 10))
        assert changed == 1
        assert counts.criteria_of(commune.id, date(2021, 5, 10)) == met | {missing}
        other = commune_of("UBND huyện Văn Quan")

        def recorded() -> int:
            return db.session.scalar(sa.select(sa.func.count()).select_from(CommuneCriterion)
                                     .where(CommuneCriterion.commune_id == other.id))

        before = recorded()
        for email in ("noivu@test.vn", "lanhdao@test.vn", "dinhlap@test.vn"):
            with pytest.raises(NotAllowed):
                perform(ops.update_commune, user_of(email), other, date(2021, 5, 8), {1}, "", date(2021, 5, 10))
        assert recorded() == before


@pytest.mark.parametrize(("since", "met", "field", "message"), [
    (date(2021, 6, 1), {1}, "since", "Không ghi nhận trước cho ngày chưa đến."),
    (date(2009, 6, 1), {1}, "since", "Ngày quá xa; chương trình bắt đầu từ năm 2010."),
    (date(2021, 5, 1), {20}, "met", "Chỉ có các tiêu chí từ 1 đến 19."),
])
def test_criteria_that_cannot_be_are_invalid_on_their_field(seeded, since, met, field, message):
    with seeded.app_context():
        commune = commune_of("UBND huyện Đình Lập")
        before = db.session.scalar(sa.select(sa.func.count()).select_from(CommuneCriterion))
        with pytest.raises(Invalid) as refused:
            perform(ops.update_commune, user_of("vpdp@test.vn"), commune, since, met, "", date(2021, 5, 10))
        assert refused.value.errors == {field: [message]}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CommuneCriterion)) == before


def communes_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Commune))


def test_the_office_imports_a_communes_file_whole_or_not_at_all(seeded):
    good = [row("Chi Lăng", "Xã Vân An", "15/01/2021", range(1, 19))]
    with seeded.app_context():
        with pytest.raises(NotAllowed):
            perform(ops.import_communes, user_of("dinhlap@test.vn"), csv_upload(good), date(2021, 5, 10))
        with pytest.raises(Invalid) as refused:
            perform(ops.import_communes, user_of("vpdp@test.vn"), csv_upload([
                row("Đình Lập", "Xã Bắc Xa", "31/12/2020", range(1, 15)),
                row("Huyện Không Có", "Xã A", "31/12/2020", range(1, 3)),
                row("Đình Lập", "Xã Bính Xá", "31/02/2021", range(1, 3))]), date(2021, 5, 10))
        assert refused.value.errors["file"] == [
            "Dòng 3: huyện «Huyện Không Có» không có trong danh sách cơ quan.",
            "Dòng 4: ngày «31/02/2021» không hợp lệ (dùng dd/mm/yyyy)."]
        with pytest.raises(Invalid) as wrong_kind:
            perform(ops.import_communes, user_of("vpdp@test.vn"), csv_upload(good, "xa.txt"), date(2021, 5, 10))
        assert wrong_kind.value.errors == {"file": ["Chỉ nhận tệp .csv hoặc .xlsx."]}
        with pytest.raises(Invalid) as none:
            perform(ops.import_communes, user_of("vpdp@test.vn"), None, date(2021, 5, 10))
        assert none.value.errors == {"file": ["Chọn tệp CSV hoặc XLSX."]}
        assert communes_count() == 181 and counts.has_sample()
        summary = perform(ops.import_communes, user_of("vpdp@test.vn"), csv_upload(good), date(2021, 5, 10))
        assert (summary.communes, summary.created, summary.changes, summary.removed_sample) == (1, 1, 18, 181)
        assert communes_count() == 1 and not counts.has_sample()
