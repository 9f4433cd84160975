"""Build hook: compile the message catalogues into the package, since .mo files are not committed.

Everything else about the build is in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGUES = Path("outreach", "translations")


class BuildWithCatalogues(build_py):
    """build_py that also writes translations/<language>/LC_MESSAGES/messages.mo."""

    def run(self) -> None:
        super().run()
        # An editable install reads the package from the source tree, so it compiles there.
        target = Path() if self.editable_mode else Path(self.build_lib)
        sources = sorted(CATALOGUES.glob("*/LC_MESSAGES/*.po"))
        if not sources:
            raise SystemExit(f"no message catalogues in {CATALOGUES}: pages would be English only")
        for source in sources:
            compiled = target / source.with_suffix(".mo")
            compiled.parent.mkdir(parents=True, exist_ok=True)
            with source.open("rb") as handle:
                catalogue = read_po(handle, locale=source.parts[-3])
            if catalogue.fuzzy:
                # pybabel would skip the whole catalogue; better to fail the build than ship it.
                raise SystemExit(f"{source}: the catalogue's header is marked fuzzy")
            with compiled.open("wb") as handle:
                write_mo(handle, catalogue)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        """The compiled catalogues too, so installers record them."""
        outputs = super().get_outputs(include_bytecode)
        if not self.editable_mode:
            for source in sorted(CATALOGUES.glob("*/LC_MESSAGES/*.po")):
                outputs.append(str(Path(self.build_lib) / source.with_suffix(".mo")))
        return outputs


setup(cmdclass={"build_py": BuildWithCatalogues})
