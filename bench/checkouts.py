"""Another checkout's code under our package name, for the A/B benches.

`loan_audit` is installed from this checkout's folders by a mapping (pyproject's
package-dir), so another checkout's `pipeline/`, `rules/` and `reports/` are not
importable as they lie. `importable(tree)` makes a folder holding `loan_audit/` whose
sub-packages are links to that checkout's folders: first on sys.path, it gives
`loan_audit.rules` (and whatever else the checkout has) from there; a package the
checkout lacks still comes from this one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

PACKAGES = ("pipeline", "rules", "reports")


def importable(tree: Path) -> Path:
    """A new folder that, put first on sys.path, makes `loan_audit` the code of `tree`."""
    farm = Path(tempfile.mkdtemp(prefix="loan-audit-checkout-"))
    (farm / "loan_audit").mkdir()
    for name in PACKAGES:
        if (tree / name / "__init__.py").is_file():
            (farm / "loan_audit" / name).symlink_to((tree / name).resolve(), target_is_directory=True)
    return farm
