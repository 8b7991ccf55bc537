from pathlib import Path

import pytest

# the real 工会法 (2021), beside the repository (../shared/fixtures/README.md)
UNION_LAW = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "regulations" / "中华人民共和国工会法-2021.md"


@pytest.fixture
def union_law() -> Path:
    assert UNION_LAW.is_file(), f"the fixture {UNION_LAW} is missing"
    return UNION_LAW
