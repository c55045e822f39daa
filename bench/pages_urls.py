"""The project's URLs plus the bare baseline view (used by bench/pages.py only)."""

from bench.pages import urlpatterns as bench_patterns
from ordersite.urls import urlpatterns as project_patterns

urlpatterns = [*bench_patterns, *project_patterns]
