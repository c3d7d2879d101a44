"""The students dashboard: the change of the risk-band distribution since the previous
computation (each student's latest prediction against the one before it)."""

from datetime import UTC, datetime, timedelta

import pytest

from students.models import DropoutPrediction, FeatureSet
from tests.dashboards.conftest import table
from tests.students.factories import StudentFactory

T0 = datetime(2026, 11, 2, 6, tzinfo=UTC)
SCORES = {"low": 0.1, "medium": 0.5, "high": 0.9}


def predict(student, bands):
    """Predictions of `student` one day apart, in order; the last becomes the latest."""
    for day, band in enumerate(bands):
        at = T0 + timedelta(days=day)
        features = FeatureSet.objects.create(
            student=student, features={}, feature_version="t", window_start=at, window_end=at
        )
        prediction = DropoutPrediction.objects.create(
            student=student,
            feature_set=features,
            risk_score=SCORES[band],
            risk_band=band,
            model_version="t",
            as_of=at,
            predicted_at=at,
        )
    student.latest_prediction = prediction
    student.save(update_fields=["latest_prediction"])


@pytest.fixture
def cohort(db):
    predict(StudentFactory(code="S001"), ["high", "low", "medium"])  # low -> medium
    predict(StudentFactory(code="S002"), ["low", "high"])  # low -> high
    predict(StudentFactory(code="S003"), ["medium", "medium"])  # unchanged
    predict(StudentFactory(code="S004"), ["low"])  # first computation: only now
    StudentFactory(code="S005")  # never computed


def test_the_risk_bands_now_before_and_their_difference(boss_client, cohort):
    # when
    response = boss_client.get("/admin/dashboards/students/")

    # then
    assert response.status_code == 200
    assert table(response, "Risk bands since the previous computation") == [
        ["LOW", 1, 2, "-1"],
        ["MEDIUM", 2, 1, "+1"],
        ["HIGH", 1, 0, "+1"],
    ]
    assert b"<td>MEDIUM</td><td>2</td><td>1</td><td>+1</td>" in response.content
