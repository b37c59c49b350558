"""The built-in demo: a small fictional retail platform with a queue of AI-assisted changes.

``build_demo`` makes, deterministically, a git repository of the platform, its team remote, the demo
people's SSH keys and a review queue of incoming changes; ``reviewer-app demo`` is its face.
The platform files, the people and the changes are data under ``resources/demo/``.
"""

from __future__ import annotations

from reviewer_app.core.demo.builder import DemoResult, build_demo, default_demo_path, demo_paths

__all__ = ["DemoResult", "build_demo", "default_demo_path", "demo_paths"]
