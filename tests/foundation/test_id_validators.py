import pytest
from django.core.exceptions import ValidationError

from chat.validation import validate_object_id
from students.models import CODE_VALIDATOR


@pytest.mark.parametrize("validator", [validate_object_id, CODE_VALIDATOR])
@pytest.mark.parametrize("value", ["abc\n", "abc\r\n", "\nabc", "ab\nc"])
def test_ids_and_codes_refuse_a_newline_anywhere(validator, value):
    # when / then
    with pytest.raises(ValidationError):
        validator(value)


@pytest.mark.parametrize("validator", [validate_object_id, CODE_VALIDATOR])
def test_ids_and_codes_accept_plain_values(validator):
    # when / then: no error
    assert validator("abc-1.2_x") is None
