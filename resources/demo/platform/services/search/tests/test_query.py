from app.query import normalise


def test_normalise_folds_case_and_spaces():
    assert normalise("  Green   TEA ") == "green tea"
