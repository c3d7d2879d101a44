"""The legacy dashboard's calls, through GraphQL."""

PAYLOAD = "... on OperationInfo { messages { kind field message } }"
ADD_STUDENT = f"""
mutation ($input: StudentCreateInput!) {{
  studentCreate(input: $input) {{ ... on Student {{ code name email status }} {PAYLOAD} }}
}}
"""
ADD_MODULE = f"""
mutation ($input: ConceptModuleCreateInput!) {{
  conceptModuleCreate(input: $input) {{ ... on ConceptModule {{ code }} {PAYLOAD} }}
}}
"""
RECORD = f"""
mutation ($input: AssessmentRecordInput!) {{
  assessmentRecord(input: $input) {{ ... on Attempt {{ attemptNumber passed }} {PAYLOAD} }}
}}
"""
SUBMIT = f"""
mutation ($input: DraftSubmitInput!) {{
  draftSubmit(input: $input) {{ ... on Draft {{ status }} {PAYLOAD} }}
}}
"""
PERFORMANCE = """
query ($code: String!) {
  performanceRecord(student: $code) {
    module { code } mastery averageScore completion attemptCount eventCount
  }
}
"""


def test_add_student_then_get_performance_record(staff_client):
    # given: add_student("s001", "Name", "email")
    added = staff_client.execute(
        ADD_STUDENT, {"input": {"code": "s001", "name": "Name", "email": "name@example.com"}}
    )
    staff_client.execute(ADD_MODULE, {"input": {"code": "alg1", "title": "Algebra 1"}})
    staff_client.execute(ADD_MODULE, {"input": {"code": "geo1", "title": "Geometry", "order": 2}})
    # two attempts at one quiz (40%, then 90%), one test passed (15/20), one draft submitted
    for score, max_score, kind in [(4, 10, "QUIZ"), (9, 10, "QUIZ"), (15, 20, "TEST")]:
        staff_client.execute(
            RECORD,
            {
                "input": {
                    "student": "s001",
                    "module": "alg1",
                    "kind": kind,
                    "score": score,
                    "maxScore": max_score,
                }
            },
        )
    staff_client.execute(
        SUBMIT, {"input": {"student": "s001", "module": "geo1", "content": "My proof"}}
    )

    # when: get_performance_record("s001")
    result = staff_client.execute(PERFORMANCE, {"code": "s001"})

    # then: mastery uses each assessment's latest attempt (0.9, 0.75); the average all three
    # attempts (0.4, 0.9, 0.75); completion counts the passed assessments and done drafts
    assert added == {
        "data": {
            "studentCreate": {
                "code": "s001",
                "name": "Name",
                "email": "name@example.com",
                "status": "ACTIVE",
            }
        }
    }
    assert result == {
        "data": {
            "performanceRecord": [
                {
                    "module": {"code": "alg1"},
                    "mastery": 0.825,
                    "averageScore": 0.6833333333333332,
                    "completion": 1.0,
                    "attemptCount": 3,
                    "eventCount": 0,
                },
                {
                    "module": {"code": "geo1"},
                    "mastery": 0.0,
                    "averageScore": None,
                    "completion": 1.0,
                    "attemptCount": 0,
                    "eventCount": 0,
                },
            ]
        }
    }


def test_performance_record_of_an_unknown_student(staff_client):
    # when
    result = staff_client.execute(PERFORMANCE, {"code": "nobody"})

    # then
    assert result["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in result["errors"]] == [
        ("No student with code 'nobody'.", "NOT_FOUND")
    ]
