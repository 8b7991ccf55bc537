"""Serve exactly the front-end files we use from node_modules (installed from the npm
registry with a lock file), without copying them into the repo or collecting whole packages."""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

# static path -> file inside node_modules
VENDOR_FILES = {
    "vendor/htmx/htmx.min.js": "htmx.org/dist/htmx.min.js",
    "vendor/echarts/echarts.min.js": "echarts/dist/echarts.min.js",
}


class NodeModulesFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        self.root = Path(settings.BASE_DIR) / "node_modules"

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        target = VENDOR_FILES.get(path)
        if target is None or not (self.root / target).exists():
            return [] if find_all else None
        found = str(self.root / target)
        return [found] if find_all else found

    def list(self, ignore_patterns):
        for static_path, target in VENDOR_FILES.items():
            folder = (self.root / target).parent
            if (folder / Path(target).name).exists():
                storage = FileSystemStorage(location=str(folder))
                storage.prefix = str(Path(static_path).parent)
                yield Path(target).name, storage
