"""The ``fastnas`` command line (the only module that parses argv).

Commands call library functions; each section below belongs to one subpackage.
"""
from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="fastnas")
def main():
    """fastnas: fast neural architecture search."""


@main.command("config")
def config_cmd():
    """Show which compiled backends loaded."""
    import fastnas

    fastnas.show_config()


@main.command("demo")
@click.option("--out", default="demo-out", show_default=True, help="output folder for tables and plots")
@click.option("--quiet", is_flag=True, help="no progress bars")
def demo_cmd(out, quiet):
    """Run the main demo on bundled real data."""
    from fastnas import _demo

    _demo.run(out, progress=not quiet)


# ---- spaces ----------------------------------------------------------------------------------
# ---- data / query (fastnas.nasbench) ---------------------------------------------------------
# ---- search / simulate (fastnas.search, fastnas.sim) -----------------------------------------
# ---- predictors ------------------------------------------------------------------------------
# ---- automl ----------------------------------------------------------------------------------


if __name__ == "__main__":  # pragma: no cover
    main()
