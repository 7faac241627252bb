"""Fetches the browser libraries the web pages use (the socket.io client, Chart.js, and
rasa-webchat for shops that embed the widget on their own site) from
the npm registry, checks each archive against its pinned integrity hash, and copies the
one built file each page loads into ``engagement/web/static/vendor/``.

Run by ``make`` before the services start; a file already present with the expected hash
is kept, so it runs offline once done. Customers' browsers then load everything from the
engagement service itself: no CDN.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "engagement" / "web" / "static" / "vendor"
REGISTRY = "https://registry.npmjs.org"

# (package, version, integrity of the npm tarball, file inside it, name served)
ASSETS = (
    ("socket.io-client", "4.8.1",
     "sha512-hJVXfu3E28NmzGk8o1sHhN3om52tRvwYeidbj7xKy2eIIse5IoKX3USlS6Tqt3BHAtflLIkCQBkzVrEEfWUyYQ==",
     "package/dist/socket.io.min.js", "socket.io.min.js"),
    ("chart.js", "4.4.7",
     "sha512-pwkcKfdzTMAU/+jNosKhNL2bHtJc/sSmYgVbuGTEDhzkrhmyihmP7vUc/5ZK9WopidMDHNe3Wm7jOd/WhuHWuw==",
     "package/dist/chart.umd.js", "chart.umd.js"),
    # the Rasa ecosystem's chat widget, which shops embed on their own sites (README)
    ("rasa-webchat", "1.0.1",
     "sha512-Ld1zVJvTAaTrs6A5p8t70agNNrKYRyXlvqXZRgBoDvKKUXbA0jhJKECi5bdPGlaR6jsmqWtVylHS+YqIqo0x8w==",
     "package/lib/index.js", "rasa-webchat.js"),
)  # fmt: skip


def fetch(package: str, version: str, integrity: str, member: str, served: str) -> None:
    target = VENDOR / served
    stamp = VENDOR / f"{served}.from"
    wanted = f"{package}@{version} {integrity}"
    if target.exists() and stamp.exists() and stamp.read_text() == wanted:
        return
    url = f"{REGISTRY}/{package}/-/{package.split('/')[-1]}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 (fixed https URL)
        archive = answer.read()
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, archive).digest()).decode()
    if digest != expected:
        raise SystemExit(f"{package}@{version}: the archive does not match its pinned hash")
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        extracted = tar.extractfile(member)
        if extracted is None:
            raise SystemExit(f"{package}@{version}: no {member} in the archive")
        content = extracted.read()
    VENDOR.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(content)
    partial.replace(target)
    stamp.write_text(wanted)
    print(f"fetched {package}@{version} → {target.relative_to(VENDOR.parent.parent.parent.parent)}")


def main() -> int:
    for asset in ASSETS:
        fetch(*asset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
