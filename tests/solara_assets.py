"""Solara's browser assets for machines without the public CDN.

A solara server fetches its JavaScript and CSS (the Vuetify app, require.js, the grid
layout Mesa's SolaraViz uses, Vega for Altair charts) from a CDN on first use and keeps
them in its cache folder, ``<sys.prefix>/share/solara/cdn``. Where the CDN cannot be
reached (CI, a training room behind a firewall) this fills that cache from the npm
registry with ``npm pack``, the packages and versions the page asks for::

    python tests/solara_assets.py            # fill the cache of this Python environment

Already present packages are skipped; nothing is fetched when everything is there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: Solara's Vuetify app for ipyvuetify 1.x (Vuetify 2) and 3.x (Vuetify 3), as solara
#: 1.64's page template names them.
VUETIFY_APPS = {1: "@widgetti/solara-vuetify-app@10.1.1", 3: "@widgetti/solara-vuetify3-app@5.2.0"}


def _vuetify_app() -> str:
    from importlib.metadata import version

    major = int(version("ipyvuetify").split(".")[0])
    return VUETIFY_APPS[3 if major >= 3 else 1]


#: What the dashboard's page loads from the CDN: (cache folder, npm package spec).
#: The folder names are the CDN paths solara requests (``vega@5`` is the latest 5.x).
ASSETS: tuple[tuple[str, str], ...] = (
    (_vuetify_app(), _vuetify_app()),
    ("requirejs@2.3.6", "requirejs@2.3.6"),
    ("font-awesome@4.5.0", "font-awesome@4.5.0"),
    ("@widgetti/vue-grid-layout@2.3.13-alpha.2", "@widgetti/vue-grid-layout@2.3.13-alpha.2"),
    ("vega@5", "vega@5"),
    ("vega-lite@5", "vega-lite@5"),
    ("vega-embed@6", "vega-embed@6"),
)


def cache_directory() -> Path:
    """Solara's CDN cache of this Python environment."""
    from solara.server.settings import assets

    return Path(assets.proxy_cache_dir)


def missing(cache: Path | None = None) -> list[tuple[str, str]]:
    cache = cache or cache_directory()
    return [(folder, spec) for folder, spec in ASSETS if not (cache / folder).is_dir()]


def ensure_assets(cache: Path | None = None) -> list[str]:
    """Unpack every missing package of :data:`ASSETS` into the cache (``npm pack``);
    returns the folders added. Raises RuntimeError if npm is missing or fails."""
    cache = cache or cache_directory()
    wanted = missing(cache)
    if not wanted:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to fetch solara's browser assets (apt-get install npm)")
    with tempfile.TemporaryDirectory() as work:
        for folder, spec in wanted:
            done = subprocess.run([npm, "pack", "--silent", spec], cwd=work,
                                  capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                raise RuntimeError(f"npm pack {spec} failed: {done.stderr.strip()}")
            archive = Path(work) / done.stdout.strip().splitlines()[-1]
            target = cache / folder
            staging = Path(work) / "unpacked"
            with tarfile.open(archive) as tar:
                tar.extractall(staging, filter="data")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(staging / "package"), str(target))
            shutil.rmtree(staging)
    return [folder for folder, _ in wanted]


if __name__ == "__main__":
    added = ensure_assets()
    print(f"added {', '.join(added)} to {cache_directory()}" if added
          else f"solara's assets are all in {cache_directory()}")
    sys.exit(0)
