"""Reading the chart data of a page in tests."""

def chart_data(page: str, name: str) -> dict:
    """The JSON a page hands to static/jingshen/charts.js in <script id=name>."""
    import json
    import re

    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', page, re.S)
    assert found, name
    return json.loads(found.group(1))
